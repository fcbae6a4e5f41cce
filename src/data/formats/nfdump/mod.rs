//! nfdump's CSV output (`nfdump -o csv`, nfdump 1.6 and 1.7): [`sniff`] recognises its header
//! line, [`Columns`] reads a record. Each record is one direction of a flow as the exporter saw
//! it (`sa:sp -> da:dp`); [`crate::data::formats::flows::pair`] joins a reply to its request.
//!
//! Mapping: `ts` start (nfdump prints local time; read as UTC, so export with `TZ=UTC`), `td`
//! duration in seconds, `sa`/`sp` the source, `da`/`dp` the destination, `pr` the protocol,
//! `ibyt` the bytes the source sent (IP bytes, headers included, where Zeek's `orig_bytes` are
//! payload bytes), `flg` the TCP flags (`CEUAPRSF` in 1.7, `UAPRSF` in 1.6). A record with
//! output packets (`opkt` above 0, as `nfdump -b` or `-B` aggregate both directions) covers both
//! directions: `obyt` are the destination's bytes and its flags, the OR of both directions,
//! stand for both ends (an approximation). ICMP: nfdump puts type and code in `dp`
//! (`type.code`, or `type * 256 + code`); the code becomes the responder port, as in Zeek.

use crate::data::formats::flows::{
    parse_port, parse_time, positions, same_width, tcp, Ends, FlowRecord, Line,
};
use crate::data::formats::pcap::decode::Proto;
use crate::data::formats::FileKind;

/// Columns a record needs.
const REQUIRED: [&str; 8] = ["ts", "td", "sa", "da", "sp", "dp", "pr", "ibyt"];

/// The kind of a file whose (decompressed) start is `text` when it is nfdump CSV: a first line
/// starting `ts,te,td,`.
pub fn sniff(text: &[u8], gzip: bool) -> Option<FileKind> {
    let text = String::from_utf8_lossy(text);
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let names: Vec<&str> = first.trim_end_matches('\r').split(',').collect();
    // nfdump's own first three columns; whether the rest is there, the reader says.
    (names.len() > 3 && names[..3] == ["ts", "te", "td"]).then_some(FileKind::FlowRecords {
        gzip,
        format: crate::data::formats::flows::FlowFormat::Nfdump,
    })
}

/// Whether `line` starts nfdump's summary block, which follows the records.
pub fn is_summary(line: &str) -> bool {
    line.trim() == "Summary"
}

/// Where each field of a record is.
pub struct Columns {
    /// Positions of [`REQUIRED`].
    at: [usize; 8],
    /// Position of `flg`.
    flags: Option<usize>,
    /// Position of `opkt`.
    opkt: Option<usize>,
    /// Position of `obyt`.
    obyt: Option<usize>,
    /// Fields in a record.
    width: usize,
}

impl Columns {
    /// The columns of a header line, with the names of the fields not used; or the missing names.
    pub fn new(names: &[&str]) -> Result<(Columns, Vec<String>), Vec<String>> {
        let at = positions(names, REQUIRED)?;
        let find = |n: &str| names.iter().position(|x| x.trim() == n);
        let used = [
            "ts", "te", "td", "sa", "da", "sp", "dp", "pr", "flg", "ibyt", "opkt", "obyt",
        ];
        let other = names
            .iter()
            .filter(|n| !used.contains(&n.trim()))
            .map(|n| n.trim().to_string())
            .collect();
        Ok((
            Columns {
                at,
                flags: find("flg"),
                opkt: find("opkt"),
                obyt: find("obyt"),
                width: names.len(),
            },
            other,
        ))
    }

    /// One data line's fields as a record, or what is wrong.
    pub fn record(&self, f: &[&str]) -> Result<Line, String> {
        same_width(f, self.width)?;
        let [ts, td, sa, da, sp, dp, pr, ibyt] = self.at.map(|i| f[i].trim());
        let proto = match pr.to_ascii_uppercase().as_str() {
            "TCP" | "6" => Proto::Tcp,
            "UDP" | "17" => Proto::Udp,
            "ICMP" | "ICMP6" | "1" | "58" => Proto::Icmp,
            _ => return Ok(Line::Other),
        };
        let ts = parse_time(ts).ok_or_else(|| format!("`ts` is not a date and time: `{ts}`"))?;
        let duration = td
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite() && *d >= 0.0)
            .ok_or_else(|| format!("`td` is not a duration in seconds: `{td}`"))?;
        let address = |name: &str, v: &str| {
            v.parse::<std::net::IpAddr>()
                .map_err(|_| format!("`{name}` is not an IP address: `{v}`"))
        };
        let (src, dst) = (address("sa", sa)?, address("da", da)?);
        let number = |name: &str, v: &str| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{name}` is not a count: `{v}`"))
        };
        let src_bytes = number("ibyt", ibyt)?;
        let (src_port, dst_port) = if proto == Proto::Icmp {
            icmp_type_code(dp)
                .ok_or_else(|| format!("`dp` is not an ICMP type and code: `{dp}`"))?
        } else {
            (
                parse_port(sp).ok_or_else(|| format!("`sp` is not a port: `{sp}`"))?,
                parse_port(dp).ok_or_else(|| format!("`dp` is not a port: `{dp}`"))?,
            )
        };
        let out_packets = match self.opkt {
            Some(i) => number("opkt", f[i])?,
            None => 0,
        };
        let dst_bytes = match (self.obyt, out_packets > 0) {
            (Some(i), true) => Some(number("obyt", f[i])?),
            _ => None,
        };
        let flags = self.flags.map(|i| tcp::parse_flags(f[i])).unwrap_or(0);
        Ok(Line::Record(FlowRecord {
            ts,
            duration,
            proto,
            src,
            src_port,
            dst,
            dst_port,
            src_bytes,
            dst_bytes,
            ends: Ends::Flags {
                src: flags,
                dst: dst_bytes.map(|_| flags),
            },
            line: 0,
        }))
    }
}

/// ICMP type and code from nfdump's `dp`: `type.code` or `type * 256 + code`.
fn icmp_type_code(dp: &str) -> Option<(u16, u16)> {
    match dp.split_once('.') {
        Some((t, c)) => Some((t.trim().parse().ok()?, c.trim().parse().ok()?)),
        None => {
            let v: u16 = dp.trim().parse().ok()?;
            Some((v >> 8, v & 0xff))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out";

    #[test]
    fn header_of_nfdump_1_6_and_1_7() {
        let v17 = format!("{HEAD},sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr\n");
        assert!(sniff(v17.as_bytes(), false).is_some());
        assert!(sniff(HEAD.as_bytes(), true).is_some());
        assert_eq!(sniff(b"ts,value\n1,2\n", false), None);
        assert_eq!(sniff(b"StartTime,Dur,Proto,SrcAddr\n", false), None);
    }

    #[test]
    fn records_and_what_is_wrong_with_them() {
        let names: Vec<&str> = HEAD.split(',').collect();
        let (cols, other) = Columns::new(&names).expect("header");
        assert_eq!(other, vec!["fwd", "stos", "ipkt", "in", "out"]);
        let line = "2026-01-01 00:00:01,2026-01-01 00:00:01,0.022,10.0.0.10,10.0.0.2,50001,80,TCP,...AP.SF,0,0,6,540,0,0,0,0";
        let fields: Vec<&str> = line.split(',').collect();
        let Ok(Line::Record(r)) = cols.record(&fields) else {
            panic!("a record")
        };
        assert_eq!(
            (r.ts, r.src_port, r.dst_port, r.src_bytes),
            (1_767_225_601.0, 50001, 80, 540)
        );
        assert_eq!(r.dst_bytes, None);
        let bad = line.replace("10.0.0.10", "10.0.0");
        let fields: Vec<&str> = bad.split(',').collect();
        assert_eq!(
            cols.record(&fields).err().as_deref(),
            Some("`sa` is not an IP address: `10.0.0`")
        );
        let icmp = "2026-01-01 00:00:01,2026-01-01 00:00:01,0,10.0.0.1,10.0.0.2,0,3.3,ICMP,........,0,0,1,56,0,0,0,0";
        let fields: Vec<&str> = icmp.split(',').collect();
        let Ok(Line::Record(r)) = cols.record(&fields) else {
            panic!("a record")
        };
        assert_eq!((r.proto, r.src_port, r.dst_port), (Proto::Icmp, 3, 3));
        assert!(matches!(cols.record(&["x"]), Err(e) if e.starts_with("1 fields where")));
    }
}
