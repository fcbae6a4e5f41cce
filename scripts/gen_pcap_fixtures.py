#!/usr/bin/env python3
"""Writes the small packet captures of tests/data/pcap/ byte by byte (struct only, no scapy),
and, when tshark is installed, the conversations tshark finds in them
(`tshark -r FILE -q -z conv,tcp` and `conv,udp`) as FILE.tshark.csv, which the tests compare
with TrafficLens's flows.

    python3 scripts/gen_pcap_fixtures.py      # from the repository root
    python3 scripts/gen_pcap_fixtures.py --big FILE MB   # a large capture for the benchmark

Captures (all times from 2026-01-01 00:00:00 UTC):
- http.pcap: three HTTP exchanges opened and closed normally (Zeek: SF), one on VLAN 7;
  little-endian, microseconds.
- http.pcapng: the same packets as pcapng with nanosecond timestamps (if_tsresol 9).
- scan.pcap: 10.0.0.66 SYN-scans ports 1-120 of 10.0.0.5: open ports 22 and 80 answer
  SYN-ACK and are reset by the scanner (RSTO), 110-120 do not answer (S0), the rest reject
  (REJ); big-endian, nanoseconds.
- dns.pcapng: DNS over UDP, IPv4 and IPv6, answered (SF) and one unanswered (S0), an ARP
  packet (no flow); big-endian pcapng.
- mixed.pcap, mixed.pcapng: 20 workstations browsing two web servers and asking DNS, and the
  scanner of scan.pcap on 150 ports of 10.0.0.5: the hosts view of a small network.
- bad/truncated.pcap: http.pcap cut inside its last packet.
- bad/damaged.pcap: a packet whose IPv4 header is cut (skipped and counted), then a record
  header whose length field is damaged (reading stops there).
- bad/wifi.pcap: link type 105 (IEEE 802.11), which is not read.
- bad/header.pcap: a pcap file cut inside its 24-byte header.

loopback.pcapng is not written here: it is a real capture of this machine's loopback (Linux,
dumpcap 4.0), recorded with

    python3 -m http.server 8765 --bind 127.0.0.1 &
    dumpcap -q -i lo -f "tcp port 8765 or tcp port 8766 or udp port 8767" -w loopback.pcapng &
    for i in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:8765/index.html; done  # 3 x SF
    curl -s http://127.0.0.1:8766/                                                   # REJ
    python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x' * 20, ('127.0.0.1', 8767))"  # S0

and only its tshark conversations are written here.
"""

import csv
import os
import re
import shutil
import struct
import subprocess

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "pcap")
T0 = 1767225600.0  # 2026-01-01T00:00:00Z

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def ipv4(src, dst, proto, payload, ident=1):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, ip6(src), ip6(dst)) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(ip_packet, ethertype=0x0800, vlan=None, src=b"\x02\0\0\0\0\x01", dst=b"\x02\0\0\0\0\x02"):
    if vlan is not None:
        return dst + src + struct.pack("!HHH", 0x8100, vlan, ethertype) + ip_packet
    return dst + src + struct.pack("!H", ethertype) + ip_packet


def http_session(t, client, cport, server, sport=80, request=300, response=4000, vlan=None):
    """A whole HTTP exchange: handshake, request, response, FIN from both ends."""
    c, s = 1000, 5000
    seg = []
    def add(dt, frm_client, flags, data=b""):
        nonlocal c, s
        if frm_client:
            p = ipv4(client, server, 6, tcp(cport, sport, c, s, flags, data))
            c += len(data) + (1 if flags & (SYN | FIN) else 0)
        else:
            p = ipv4(server, client, 6, tcp(sport, cport, s, c, flags, data))
            s += len(data) + (1 if flags & (SYN | FIN) else 0)
        seg.append((t + dt, eth(p, vlan=vlan)))
    add(0.000, True, SYN)
    add(0.001, False, SYN | ACK)
    add(0.002, True, ACK)
    add(0.003, True, PSH | ACK, b"G" * request)
    add(0.010, False, ACK, b"H" * response)
    add(0.011, True, ACK)
    add(0.020, True, FIN | ACK)
    add(0.021, False, FIN | ACK)
    add(0.022, True, ACK)
    return seg


def syn_scan(t, scanner, target, ports, open_ports, silent, cport=40000, gap=0.005):
    seg = []
    for k, p in enumerate(ports):
        at = t + k * gap
        seg.append((at, eth(ipv4(scanner, target, 6, tcp(cport, p, 7, 0, SYN)))))
        if p in open_ports:
            seg.append((at + 0.0005, eth(ipv4(target, scanner, 6, tcp(p, cport, 900, 8, SYN | ACK)))))
            seg.append((at + 0.0010, eth(ipv4(scanner, target, 6, tcp(cport, p, 8, 0, RST)))))
        elif p not in silent:
            seg.append((at + 0.0005, eth(ipv4(target, scanner, 6, tcp(p, cport, 0, 8, RST | ACK)))))
    return seg


def dns(t, client, cport, server, answered=True, v6=False, qid=1):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01"
    a = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q[12:] + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22"
    make = (lambda s, d, u: ipv6(s, d, 17, u)) if v6 else (lambda s, d, u: ipv4(s, d, 17, u))
    et = 0x86DD if v6 else 0x0800
    seg = [(t, eth(make(client, server, udp(cport, 53, q)), ethertype=et))]
    if answered:
        seg.append((t + 0.004, eth(make(server, client, udp(53, cport, a)), ethertype=et)))
    return seg


def arp(t):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, b"\x02\0\0\0\0\x01", ip4("10.0.0.10"),
                       b"\0" * 6, ip4("10.0.0.1"))
    return [(t, eth(body, ethertype=0x0806))]


def write_pcap(path, packets, linktype=1, big=False, nanos=False, snaplen=65535):
    e = ">" if big else "<"
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for t, data in sorted(packets, key=lambda p: p[0]):
            sec = int(t)
            frac = round((t - sec) * (1e9 if nanos else 1e6))
            f.write(struct.pack(e + "IIII", sec, frac, len(data), len(data)))
            f.write(data)


def block(e, btype, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def write_pcapng(path, packets, big=False, linktype=1):
    e = ">" if big else "<"
    shb = block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    opt = struct.pack(e + "HH", 9, 1) + b"\x09\0\0\0" + struct.pack(e + "HH", 0, 0)  # if_tsresol 9
    idb = block(e, 1, struct.pack(e + "HHI", linktype, 0, 65535) + opt)
    with open(path, "wb") as f:
        f.write(shb + idb)
        for t, data in sorted(packets, key=lambda p: p[0]):
            ticks = round(t * 1e9)
            f.write(block(e, 6, struct.pack(e + "IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF,
                                            len(data), len(data)) + data))


def tshark_conversations(path):
    """tshark's TCP and UDP conversations: (proto, a, port a, b, port b, frames)."""
    rows = []
    for proto in ("tcp", "udp"):
        out = subprocess.run(["tshark", "-r", path, "-q", "-z", "conv," + proto],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            m = re.match(r"^(\S+)\s+<->\s+(\S+)\s+(.*)$", line)
            if not m:
                continue
            numbers = re.findall(r"(\d[\d,]*) (?:bytes|kB|MB|GB)", m.group(3))
            frames = re.findall(r"(?:^|\s)(\d+)\s+[\d,.]+ (?:bytes|kB|MB|GB)", m.group(3))
            a, pa = m.group(1).rsplit(":", 1)
            b, pb = m.group(2).rsplit(":", 1)
            total = int(frames[2]) if len(frames) >= 3 and numbers else None
            rows.append((proto, a, pa, b, pb, total))
    return rows


def write_big(path, megabytes):
    """A large capture for the speed benchmark (scripts/bench_pcap.sh): 2,000 workstations
    browsing 50 web servers and asking DNS, about 30 connections a second, until the file has
    `megabytes` MB; a SYN scan of 1,000 ports in the middle. Written as it goes."""
    limit = megabytes * 1_000_000
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        n = 0
        written = 24
        scanned = False
        while written < limit:
            w, t = n % 2000, T0 + n / 30.0
            host = "10.1.%d.%d" % (w // 250, w % 250 + 2)
            server = "10.0.0.%d" % (100 + (n * 7) % 50)
            seg = dns(t, host, 20000 + n % 40000, "10.0.0.53", qid=n % 65536)
            seg += http_session(t + 0.01, host, 30000 + n % 30000, server,
                                request=150 + n % 400, response=400 + (n * 37) % 1400)
            if not scanned and written > limit // 2:
                seg += syn_scan(t, "10.9.9.9", "10.0.0.5", range(1, 1001), {22, 80}, set())
                scanned = True
            for at, data in seg:
                sec = int(at)
                f.write(struct.pack("<IIII", sec, round((at - sec) * 1e6), len(data), len(data)))
                f.write(data)
                written += 16 + len(data)
            n += 1


def main():
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == "--big":
        write_big(sys.argv[2], int(sys.argv[3]))
        return
    os.makedirs(os.path.join(OUT, "bad"), exist_ok=True)
    http = (http_session(T0 + 1, "10.0.0.10", 50001, "10.0.0.2")
            + http_session(T0 + 2, "10.0.0.10", 50002, "10.0.0.2", response=12000)
            + http_session(T0 + 3, "10.0.0.11", 50003, "10.0.0.2", vlan=7))
    write_pcap(os.path.join(OUT, "http.pcap"), http)
    write_pcapng(os.path.join(OUT, "http.pcapng"), http)

    scan = syn_scan(T0 + 10, "10.0.0.66", "10.0.0.5", range(1, 121), {22, 80}, set(range(110, 121)))
    write_pcap(os.path.join(OUT, "scan.pcap"), scan, big=True, nanos=True)

    d = (dns(T0 + 1, "10.0.0.10", 40001, "10.0.0.53")
         + dns(T0 + 2, "10.0.0.11", 40002, "10.0.0.53", qid=2)
         + dns(T0 + 3, "2001:db8::10", 40003, "2001:db8::53", v6=True, qid=3)
         + dns(T0 + 4, "10.0.0.12", 40004, "10.0.0.53", answered=False, qid=4)
         + arp(T0 + 5))
    write_pcapng(os.path.join(OUT, "dns.pcapng"), d, big=True)

    mixed = []
    for w in range(20):
        host = "10.0.1.%d" % (10 + w)
        for k in range(3):
            t = T0 + 60 * k + 2.5 * w
            server = "10.0.0.2" if (w + k) % 2 == 0 else "10.0.0.3"
            mixed += dns(t, host, 30000 + 10 * w + k, "10.0.0.53", qid=w * 10 + k)
            mixed += http_session(t + 0.05, host, 50000 + 10 * w + k, server,
                                  request=200 + 13 * w, response=800 + 31 * w * (k + 1))
    mixed += syn_scan(T0 + 100, "10.0.0.66", "10.0.0.5", range(1, 151), {22, 80}, set(range(140, 151)))
    write_pcap(os.path.join(OUT, "mixed.pcap"), mixed)
    write_pcapng(os.path.join(OUT, "mixed.pcapng"), mixed)

    with open(os.path.join(OUT, "http.pcap"), "rb") as f:
        whole = f.read()
    with open(os.path.join(OUT, "bad", "truncated.pcap"), "wb") as f:
        f.write(whole[:-30])
    with open(os.path.join(OUT, "bad", "header.pcap"), "wb") as f:
        f.write(whole[:20])
    one = http_session(T0 + 1, "10.0.0.10", 50001, "10.0.0.2")
    cut_ip = (T0 + 1.0025, eth(ipv4("10.0.0.10", "10.0.0.2", 6, b"")[:12]))
    path = os.path.join(OUT, "bad", "damaged.pcap")
    write_pcap(path, one[:4] + [cut_ip] + one[4:])
    with open(path, "ab") as f:
        f.write(struct.pack("<IIII", int(T0) + 9, 0, 0x7FFFFFF0, 60) + b"\0" * 60)
        f.write(struct.pack("<IIII", int(T0) + 9, 0, 60, 60) + b"\0" * 60)
    write_pcap(os.path.join(OUT, "bad", "wifi.pcap"), [(T0, b"\x08\x00" + b"\0" * 40)], linktype=105)

    if shutil.which("tshark"):
        for name in ("http.pcap", "http.pcapng", "scan.pcap", "dns.pcapng", "mixed.pcap",
                     "loopback.pcapng"):
            rows = tshark_conversations(os.path.join(OUT, name))
            with open(os.path.join(OUT, name + ".tshark.csv"), "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(["proto", "a", "port_a", "b", "port_b", "frames"])
                w.writerows(sorted(rows))
            print(name, len([r for r in rows if r[0] == "tcp"]), "TCP and",
                  len([r for r in rows if r[0] == "udp"]), "UDP conversations (tshark)")
    else:
        print("tshark not installed: the .tshark.csv files were not rewritten")


if __name__ == "__main__":
    main()
