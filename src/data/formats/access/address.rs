//! One spelling per client address, so that a client cannot split its traffic into several
//! "clients" by how its address is written (`2001:DB8::1`, `2001:db8::1`,
//! `2001:0db8:0000:0000:0000:0000:0000:0001` are one client).
//!
//! An IP address is written in its standard form: IPv4 dotted decimal, IPv6 lower case and
//! compressed as RFC 5952 describes, and an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as
//! dual-stack servers log IPv4 clients) as the IPv4 address it maps. Brackets around an IPv6
//! address are dropped. An IPv6 zone (`fe80::1%eth0`) is kept after the address as written (the
//! same link-local address on two links is two hosts); it is ignored when matching address
//! prefixes ([`without_zone`]). Anything else (a host name) is kept as written.

use std::borrow::Cow;
use std::net::IpAddr;

/// The standard spelling of a client address (borrowed when it is already standard).
pub fn canonical(raw: &[u8]) -> Cow<'_, [u8]> {
    let Ok(text) = std::str::from_utf8(raw) else {
        return Cow::Borrowed(raw);
    };
    let unbracketed = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let (address, zone) = match unbracketed.split_once('%') {
        Some((a, z)) if !z.is_empty() && a.contains(':') => (a, Some(z)),
        _ => (unbracketed, None),
    };
    let Ok(parsed) = address.parse::<IpAddr>() else {
        return Cow::Borrowed(raw);
    };
    // Plain IPv4 text that parses is already standard (the parser refuses leading zeros).
    if parsed.is_ipv4() && address.len() == text.len() {
        return Cow::Borrowed(raw);
    }
    let ip = parsed.to_canonical();
    let mut standard = ip.to_string();
    if let (IpAddr::V6(_), Some(zone)) = (ip, zone) {
        standard.push('%');
        standard.push_str(zone);
    }
    if standard.as_bytes() == raw {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(standard.into_bytes())
    }
}

/// The address without an IPv6 zone (`fe80::1%eth0` -> `fe80::1`), for prefix matching.
pub fn without_zone(address: &str) -> &str {
    match address.split_once('%') {
        Some((a, _)) if a.contains(':') => a,
        _ => address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard(raw: &str) -> String {
        String::from_utf8_lossy(&canonical(raw.as_bytes())).into_owned()
    }

    #[test]
    fn one_spelling_per_address() {
        for raw in [
            "2001:DB8::1",
            "2001:db8::1",
            "2001:0db8:0000:0000:0000:0000:0000:0001",
            "2001:db8:0:0::1",
            "[2001:db8::1]",
        ] {
            assert_eq!(standard(raw), "2001:db8::1", "{raw}");
        }
        assert_eq!(standard("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(standard("::FFFF:c000:0201"), "192.0.2.1");
        assert_eq!(standard("192.0.2.1"), "192.0.2.1");
        assert!(matches!(canonical(b"192.0.2.1"), Cow::Borrowed(_)));
        assert!(matches!(canonical(b"2001:db8::1"), Cow::Borrowed(_)));
        assert_eq!(standard("FE80::1%eth0"), "fe80::1%eth0");
        assert_eq!(standard("fe80:0::1%eth0"), "fe80::1%eth0");
    }

    #[test]
    fn other_text_is_kept() {
        for raw in [
            "crawl-66-249-66-1.googlebot.com",
            "010.0.0.1",
            "unknown",
            "1.2.3.4%x",
            "",
        ] {
            assert_eq!(standard(raw), raw);
        }
        assert_eq!(canonical(b"\xff\xfe").as_ref(), b"\xff\xfe");
    }

    #[test]
    fn zones_are_dropped_for_matching() {
        assert_eq!(without_zone("fe80::1%eth0"), "fe80::1");
        assert_eq!(without_zone("10.0.0.1"), "10.0.0.1");
    }
}
