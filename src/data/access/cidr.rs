//! A small table of address prefixes (CIDR) and region names, read from a CSV such as
//! `10.0.0.0/8,internal`, matched by longest prefix.

use std::net::IpAddr;
use std::path::Path;

use super::address::without_zone;
use crate::data::LoadError;

/// Address prefixes and the regions they belong to.
#[derive(Debug, Clone, Default)]
pub struct RegionMap {
    /// Region names, in order of first appearance.
    pub names: Vec<String>,
    /// (network as u128, prefix length in the 128-bit space, region index), longest first.
    prefixes: Vec<(u128, u32, usize)>,
}

/// An IPv4 address mapped into the IPv6 space (::ffff:a.b.c.d), so both share one table.
fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl RegionMap {
    /// Reads `prefix,region` lines (a header line is allowed; `#` starts a comment).
    pub fn load(path: &Path) -> Result<RegionMap, LoadError> {
        let text = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
        let text = String::from_utf8(text).map_err(|e| LoadError::NotText {
            path: path.to_path_buf(),
            reason: format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        })?;
        Self::parse(&text).map_err(|(line, message)| LoadError::Regions {
            path: path.to_path_buf(),
            line,
            message,
        })
    }

    /// Parses the CSV text; errors carry the 1-based line.
    pub fn parse(text: &str) -> Result<RegionMap, (u64, String)> {
        let mut map = RegionMap::default();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i as u64 + 1;
            let line = raw
                .split('#')
                .next()
                .unwrap_or("")
                .trim()
                .trim_start_matches('\u{feff}');
            if line.is_empty() {
                continue;
            }
            let mut cells = line.splitn(2, [',', ';', '\t']);
            let prefix = cells.next().unwrap_or("").trim().trim_matches('"');
            let region = cells.next().unwrap_or("").trim().trim_matches('"');
            let parsed = parse_prefix(prefix);
            if parsed.is_none() && map.prefixes.is_empty() && i == 0 {
                continue; // a header such as `prefix,region`
            }
            let Some((net, len)) = parsed else {
                return Err((
                    line_no,
                    format!("`{prefix}` is not an address prefix like 10.0.0.0/8 or 2001:db8::/32"),
                ));
            };
            if region.is_empty() {
                return Err((line_no, format!("no region name after `{prefix}`")));
            }
            let idx = match map.names.iter().position(|n| n == region) {
                Some(i) => i,
                None => {
                    map.names.push(region.to_string());
                    map.names.len() - 1
                }
            };
            map.prefixes.push((net, len, idx));
        }
        if map.prefixes.is_empty() {
            return Err((1, "no prefixes: write one `prefix,region` per line".into()));
        }
        map.prefixes.sort_by_key(|p| std::cmp::Reverse(p.1));
        Ok(map)
    }

    /// The region of an address (`None` when no prefix matches or it is not an IP address). An
    /// IPv6 zone (`fe80::1%eth0`) is ignored.
    pub fn region_of(&self, address: &str) -> Option<usize> {
        let ip: IpAddr = without_zone(address.trim_start_matches('[').trim_end_matches(']'))
            .parse()
            .ok()?;
        let x = to_u128(ip);
        self.prefixes
            .iter()
            .find(|(net, len, _)| mask(x, *len) == *net)
            .map(|p| p.2)
    }
}

fn mask(x: u128, len: u32) -> u128 {
    if len == 0 {
        0
    } else {
        x & (u128::MAX << (128 - len))
    }
}

/// `a.b.c.d/n` or `v6/n` (or a bare address, a /32 or /128) as a masked network and length.
fn parse_prefix(text: &str) -> Option<(u128, u32)> {
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u32>().ok()?)),
        None => (text, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let len = match (ip, len) {
        (IpAddr::V4(_), Some(l)) if l <= 32 => l + 96,
        (IpAddr::V4(_), None) => 128,
        (IpAddr::V6(_), Some(l)) if l <= 128 => l,
        (IpAddr::V6(_), None) => 128,
        _ => return None,
    };
    Some((mask(to_u128(ip), len), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let map = RegionMap::parse("prefix,region\n10.0.0.0/8,internal\n10.1.0.0/16,lab\n2001:db8::/32,europe\n0.0.0.0/0,world\n").unwrap();
        let name = |a: &str| map.region_of(a).map(|i| map.names[i].as_str());
        assert_eq!(name("10.2.3.4"), Some("internal"));
        assert_eq!(name("10.1.3.4"), Some("lab"));
        assert_eq!(name("2001:db8::1"), Some("europe"));
        assert_eq!(name("8.8.8.8"), Some("world"));
        assert_eq!(name("2001:db9::1"), None);
        assert_eq!(name("[2001:db8::1]"), Some("europe"));
        let local = RegionMap::parse(
            "fe80::/10,link-local
",
        )
        .unwrap();
        assert_eq!(local.region_of("fe80::1%eth0"), Some(0));
        assert_eq!(local.region_of("fe80::1"), Some(0));
        assert_eq!(name("example.org"), None);
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(
            RegionMap::parse("10.0.0.0/8,a\n10.0.0/33,b\n")
                .unwrap_err()
                .0,
            2
        );
        assert_eq!(RegionMap::parse("10.0.0.0/8,\n").unwrap_err().0, 1);
        assert!(RegionMap::parse("").is_err());
    }
}
