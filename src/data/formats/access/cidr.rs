//! A small table of address prefixes (CIDR) and region names, read from a CSV such as
//! `10.0.0.0/8,internal`, matched by longest prefix.

use std::io::Read;
use std::net::IpAddr;
use std::path::Path;

use super::address::without_zone;
use crate::data::LoadError;

/// The largest region file read (16 MB): hundreds of thousands of prefixes. A larger file, or
/// anything that is not a regular file (`/dev/zero`, a FIFO), is refused before it is read.
pub const MAX_REGIONS_BYTES: u64 = 16 << 20;

/// The most region names one table may have (each becomes columns of the traffic view).
pub const MAX_REGION_NAMES: usize = 10_000;

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
    /// Reads `prefix,region` lines (a header line is allowed; `#` starts a comment) from a
    /// regular file of at most [`MAX_REGIONS_BYTES`] of UTF-8 text.
    pub fn load(path: &Path) -> Result<RegionMap, LoadError> {
        let io = |e| LoadError::io(path, e);
        let regular = |meta: &std::fs::Metadata| {
            if meta.is_dir() {
                Err(LoadError::IsDirectory {
                    path: path.to_path_buf(),
                })
            } else if !meta.is_file() {
                Err(LoadError::RegionsNotAFile {
                    path: path.to_path_buf(),
                    kind: crate::file_type::describe(&meta.file_type()),
                })
            } else {
                Ok(())
            }
        };
        // Checked before opening (opening a FIFO waits for a writer) and again after.
        regular(&std::fs::metadata(path).map_err(io)?)?;
        let file = std::fs::File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        regular(&meta)?;
        let too_large = |bytes| LoadError::RegionsTooLarge {
            path: path.to_path_buf(),
            bytes,
            limit: MAX_REGIONS_BYTES,
        };
        if meta.len() > MAX_REGIONS_BYTES {
            return Err(too_large(meta.len()));
        }
        // Bounded even if the file grows while it is read.
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(MAX_REGIONS_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_REGIONS_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        let text = check_text(&bytes).map_err(|(line, message)| LoadError::Regions {
            path: path.to_path_buf(),
            line,
            message,
        })?;
        Self::parse(text).map_err(|(line, message)| LoadError::Regions {
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
                None if map.names.len() >= MAX_REGION_NAMES => {
                    return Err((
                        line_no,
                        format!(
                            "more than {MAX_REGION_NAMES} region names; group the prefixes into fewer regions"
                        ),
                    ));
                }
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

/// The bytes as text, or the line and reason why they are not a text file of lines.
fn check_text(bytes: &[u8]) -> Result<&str, (u64, String)> {
    let line_of = |at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    if let Some(at) = memchr::memchr(0, bytes) {
        return Err((
            line_of(at),
            format!("a NUL byte at byte {at}: this is not a text file of `prefix,region` lines"),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        (
            line_of(at),
            format!("invalid UTF-8 at byte {at}: save the region file as UTF-8 text"),
        )
    })
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

    #[test]
    fn binary_bytes_are_named_by_line() {
        assert_eq!(check_text(b"10.0.0.0/8,a\n\0\0").unwrap_err().0, 2);
        assert_eq!(check_text(b"p,r\n10.0.0.0/8,a\n\xff").unwrap_err().0, 3);
        assert_eq!(
            check_text(b"10.0.0.0/8,a\n").expect("text"),
            "10.0.0.0/8,a\n"
        );
    }

    #[test]
    fn region_names_are_capped() {
        let text: String = (0..=MAX_REGION_NAMES)
            .map(|i| format!("10.{}.{}.0/24,r{i}\n", i / 256, i % 256))
            .collect();
        let (line, message) = RegionMap::parse(&text).unwrap_err();
        assert_eq!(line, MAX_REGION_NAMES as u64 + 1);
        assert!(message.contains("10000"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_large_files_are_refused_before_reading() {
        for dev in ["/dev/zero", "/dev/urandom"] {
            let err = RegionMap::load(Path::new(dev)).unwrap_err();
            assert!(matches!(err, LoadError::RegionsNotAFile { .. }), "{err}");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let big = dir.path().join("big.csv");
        let f = std::fs::File::create(&big).expect("create");
        f.set_len(MAX_REGIONS_BYTES + 1).expect("sparse file");
        let err = RegionMap::load(&big).unwrap_err();
        assert!(matches!(err, LoadError::RegionsTooLarge { .. }), "{err}");
        assert!(err.to_string().contains("16 MB"), "{err}");
    }
}
