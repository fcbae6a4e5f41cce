//! Argus flow records as CSV: `ra -c ,` output with its header line, and the CTU-13 data sets'
//! `binetflow` files (`StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,
//! TotPkts,TotBytes,SrcBytes,Label`). [`sniff`] recognises the header, [`Columns`] reads a
//! record. Argus records cover both directions of a flow, so each is one connection: the
//! originator is `SrcAddr`/`Sport` as Argus assigned them, the responder `DstAddr`/`Dport`.
//!
//! Bytes are IP bytes (headers included): `SrcBytes` from the originator, `DstBytes` (or
//! `TotBytes - SrcBytes`) from the responder. Ports are decimal or hexadecimal (`0x0303`, as
//! Argus writes ICMP type and code). Columns not used (`Label`, `sTos`, ...) are carried as the
//! log's other fields. `StartTime` needs its date: `ra`'s default time format has none, so
//! export with `RA_TIME_FORMAT="%Y/%m/%d %T.%f"` in an rc file (`ra -F`), or `-u` for seconds.
//!
//! States, with the definitions of the `ra(1)` man page, mapped to Zeek's `conn_state`:
//! - TCP flag states of `ra -Z b` (the CTU-13 files: `S_RA`, `FSPA_FSPA`, `S_`): the source's
//!   flags before `_`, the destination's after, named by [`crate::data::formats::flows::tcp`]
//!   (`S_` is `S0`, `S_RA` `REJ`, `FSPA_FSPA` `SF`).
//! - TCP state words: `REQ` (a connection requested, no reply) is `S0`; `ACC` (the request
//!   answered) and `EST`/`CON` (established, continuing) are `S1`; `CLO`/`FIN` (closed
//!   normally) are `SF`; `RST` (reset: "in many cases ... the transaction was rejected, however
//!   some os's will use RST to close an active TCP") is `RSTO`, failed either way as Zeek's
//!   `REJ`, `RSTO` and `RSTR` all are; `TIM` (timed out) and others are `OTH`.
//! - UDP and other connectionless protocols (`CON` connected, `INT` initial, `ACC`, `TIM`):
//!   `SF` when the destination sent bytes, else `S0`, as Zeek names UDP flows; an unreachable
//!   state (`URP`, `URH`, ...) is `S0`.
//! - ICMP (`ECO`, `ECR`, `URP`, ...): `OTH`, as Zeek and the capture reader name ICMP.
//! - Records of other protocols (`arp`, `igmp`, Argus's own `man` records) are counted, not read.

use crate::data::formats::flows::{
    parse_port, parse_time, positions, same_width, tcp, Ends, FlowFormat, FlowRecord, Line,
};
use crate::data::formats::pcap::decode::Proto;
use crate::data::formats::FileKind;

/// Columns a record needs.
const REQUIRED: [&str; 8] = [
    "StartTime",
    "Dur",
    "Proto",
    "SrcAddr",
    "Sport",
    "DstAddr",
    "Dport",
    "State",
];

/// Columns used besides [`REQUIRED`].
const USED: [&str; 4] = ["TotBytes", "SrcBytes", "DstBytes", "Dir"];

/// The kind of a file whose (decompressed) start is `text` when it is Argus CSV: a first line
/// naming `StartTime`, `SrcAddr` and `DstAddr`.
pub fn sniff(text: &[u8], gzip: bool) -> Option<FileKind> {
    let text = String::from_utf8_lossy(text);
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let names: Vec<&str> = first.trim_end_matches('\r').split(',').collect();
    // Argus's names for the start and the two ends; whether the rest is there, the reader says.
    positions(&names, ["StartTime", "SrcAddr", "DstAddr"])
        .is_ok()
        .then_some(FileKind::FlowRecords {
            gzip,
            format: FlowFormat::Argus,
        })
}

/// Where each field of a record is.
pub struct Columns {
    /// Positions of [`REQUIRED`].
    at: [usize; 8],
    /// Positions of `TotBytes`, `SrcBytes`, `DstBytes`.
    bytes: [Option<usize>; 3],
    /// Fields in a record.
    width: usize,
}

impl Columns {
    /// The columns of a header line, with the names of the fields not used; or the missing names.
    pub fn new(names: &[&str]) -> Result<(Columns, Vec<String>), Vec<String>> {
        let at = positions(names, REQUIRED)?;
        let find = |n: &str| names.iter().position(|x| x.trim().eq_ignore_ascii_case(n));
        let other = names
            .iter()
            .map(|n| n.trim())
            .filter(|n| {
                !REQUIRED
                    .iter()
                    .chain(USED.iter())
                    .any(|u| u.eq_ignore_ascii_case(n))
            })
            .map(str::to_string)
            .collect();
        Ok((
            Columns {
                at,
                bytes: [find("TotBytes"), find("SrcBytes"), find("DstBytes")],
                width: names.len(),
            },
            other,
        ))
    }

    /// One data line's fields as a record, or what is wrong.
    pub fn record(&self, f: &[&str]) -> Result<Line, String> {
        same_width(f, self.width)?;
        let [start, dur, proto, sa, sp, da, dp, state] = self.at.map(|i| f[i].trim());
        let proto = match proto.to_ascii_lowercase().as_str() {
            "tcp" => Proto::Tcp,
            "udp" | "rtp" | "rtcp" | "udt" => Proto::Udp,
            "icmp" | "ipv6-icmp" | "icmp6" => Proto::Icmp,
            _ => return Ok(Line::Other),
        };
        let ts = parse_time(start).ok_or_else(|| {
            format!(
                "`StartTime` is not a date and time: `{start}` (ra needs a time format with the date)"
            )
        })?;
        let duration = dur
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite() && *d >= 0.0)
            .ok_or_else(|| format!("`Dur` is not a duration in seconds: `{dur}`"))?;
        let address = |name: &str, v: &str| {
            v.parse::<std::net::IpAddr>()
                .map_err(|_| format!("`{name}` is not an IP address: `{v}`"))
        };
        let (src, dst) = (address("SrcAddr", sa)?, address("DstAddr", da)?);
        let port = |name: &str, v: &str| {
            if v.is_empty() {
                return Ok(0);
            }
            parse_port(v).ok_or_else(|| format!("`{name}` is not a port: `{v}`"))
        };
        let (src_port, dst_port) = (port("Sport", sp)?, port("Dport", dp)?);
        let count = |i: Option<usize>, name: &str| -> Result<Option<u64>, String> {
            match i.map(|i| f[i].trim()) {
                None | Some("") => Ok(None),
                Some(v) => v
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("`{name}` is not a count: `{v}`")),
            }
        };
        let total = count(self.bytes[0], "TotBytes")?;
        let src_bytes = count(self.bytes[1], "SrcBytes")?;
        let dst_bytes = match count(self.bytes[2], "DstBytes")? {
            Some(d) => Some(d),
            None => total.zip(src_bytes).map(|(t, s)| t.saturating_sub(s)),
        };
        let src_bytes = src_bytes.unwrap_or(0);
        let ends = ends(proto, state, dst_bytes.unwrap_or(0));
        Ok(Line::Record(FlowRecord {
            ts,
            duration,
            proto,
            src,
            src_port,
            dst,
            dst_port,
            src_bytes,
            dst_bytes: Some(dst_bytes.unwrap_or(0)),
            ends,
            line: 0,
        }))
    }
}

/// The Zeek-like state of a record of `proto` in Argus state `state` (see the module's
/// documentation).
fn ends(proto: Proto, state: &str, dst_bytes: u64) -> Ends {
    match proto {
        Proto::Tcp => match state.split_once('_') {
            Some((s, d)) => Ends::Flags {
                src: tcp::parse_flags(s),
                dst: (!d.is_empty() || dst_bytes > 0).then(|| tcp::parse_flags(d)),
            },
            None => Ends::State(match state {
                "REQ" => "S0",
                "ACC" | "EST" | "CON" => "S1",
                "CLO" | "FIN" => "SF",
                "RST" => "RSTO",
                _ => "OTH",
            }),
        },
        Proto::Udp if state.starts_with("UR") => Ends::State("S0"),
        Proto::Udp if dst_bytes > 0 => Ends::State("SF"),
        Proto::Udp => Ends::State("S0"),
        Proto::Icmp => Ends::State("OTH"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTU: &str = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label";

    fn state_of(
        cols: &Columns,
        line: &str,
    ) -> Result<(Proto, u16, u16, Option<u64>, &'static str), String> {
        let fields: Vec<&str> = line.split(',').collect();
        match cols.record(&fields)? {
            Line::Record(r) => {
                let c = crate::data::formats::flows::pair::connections(vec![r.clone()]);
                Ok((r.proto, r.src_port, r.dst_port, r.dst_bytes, c[0].state))
            }
            Line::Other => Err("other".into()),
        }
    }

    #[test]
    fn ctu13_lines_states_hex_ports_and_labels() {
        assert!(sniff(CTU.as_bytes(), false).is_some());
        assert_eq!(sniff(b"ts,te,td,sa,da,sp,dp,pr\n", false), None);
        let names: Vec<&str> = CTU.split(',').collect();
        let (cols, other) = Columns::new(&names).expect("header");
        assert_eq!(other, vec!["sTos", "dTos", "TotPkts", "Label"]);
        let s = |l: &str| state_of(&cols, l);
        assert_eq!(
            s("2011/08/10 09:46:53.047277,3.02,tcp,147.32.84.165,1027,   ->,74.125.232.195,80,S_RA,0,0,4,244,124,flow=From-Botnet-V42-TCP-Attempt").map(|x| x.4),
            Ok("REJ")
        );
        assert_eq!(
            s("2011/08/10 09:46:53.1,1.0,tcp,147.32.84.165,1028,   ->,74.125.232.195,80,FSPA_FSPA,0,0,10,5000,600,flow=Background").map(|x| x.4),
            Ok("SF")
        );
        assert_eq!(
            s("2011/08/10 09:46:54,0,tcp,147.32.84.165,1029,   ->,74.125.232.195,80,S_,0,,1,62,62,flow=x").map(|x| x.4),
            Ok("S0")
        );
        assert_eq!(
            s("2011/08/10 09:46:55,0,icmp,147.32.84.165,0x0008,   ->,74.125.232.195,0x0000,ECO,0,,1,62,62,flow=x"),
            Ok((Proto::Icmp, 8, 0, Some(0), "OTH"))
        );
        assert_eq!(
            s("2011/08/10 09:46:55,0,icmp,147.32.84.165,0x0303,   ->,74.125.232.195,0x0303,URP,0,,1,62,62,flow=x").map(|x| (x.1, x.2)),
            Ok((0x0303, 0x0303))
        );
        assert_eq!(
            s("2011/08/10 09:46:56,0.004,udp,10.0.0.10,40001,  <->,10.0.0.53,53,CON,0,0,2,158,71,flow=x").map(|x| (x.3, x.4)),
            Ok((Some(87), "SF"))
        );
        assert_eq!(
            s("2011/08/10 09:46:56,0,udp,10.0.0.12,40004,   ->,10.0.0.53,53,INT,0,,1,71,71,flow=x").map(|x| x.4),
            Ok("S0")
        );
        assert_eq!(
            s("2011/08/10 09:46:56,0,tcp,10.0.0.12,40004,   ->,10.0.0.53,53,REQ,0,,1,71,71,flow=x").map(|x| x.4),
            Ok("S0")
        );
        assert_eq!(
            s("2011/08/10 09:46:56,0,arp,10.0.0.12,,  who,10.0.0.53,,INT,0,,1,42,42,flow=x"),
            Err("other".into())
        );
        assert_eq!(
            s("00:00:10.000000,0,tcp,10.0.0.66,40000,   ->,10.0.0.5,1,RST,0,0,2,108,54,x").err().as_deref(),
            Some("`StartTime` is not a date and time: `00:00:10.000000` (ra needs a time format with the date)")
        );
        assert_eq!(
            s("2011/08/10 09:46:56,0,tcp,10.0.0.66,40000,   ->,10.0.0.5,99999,RST,0,0,2,108,54,x")
                .err()
                .as_deref(),
            Some("`Dport` is not a port: `99999`")
        );
    }
}
