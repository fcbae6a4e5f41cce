//! One connection from one line: the fields TrafficLens uses, taken from a tab-separated line
//! (by the positions its `#fields` header gives) or from a JSON object.

use serde_json::{Map, Value};

/// The fields of one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// `ts`, seconds since 1970.
    pub ts: f64,
    /// `id.orig_h`.
    pub orig: &'a str,
    /// `id.resp_h`.
    pub resp: &'a str,
    /// `id.resp_p`.
    pub resp_port: u16,
    /// `duration` (NaN when unset).
    pub duration: f64,
    /// `orig_bytes` (0 when unset).
    pub orig_bytes: u64,
    /// `resp_bytes` (0 when unset).
    pub resp_bytes: u64,
    /// `conn_state` ("" when unset).
    pub state: &'a str,
}

/// The fields a connection log has (what tells it from Zeek's other logs, which share the
/// `id.*` fields, is `conn_state`); all but `conn_state` must be set on every line.
pub const REQUIRED: [&str; 5] = ["ts", "id.orig_h", "id.resp_h", "id.resp_p", "conn_state"];
/// The fields used when present.
pub const OPTIONAL: [&str; 3] = ["duration", "orig_bytes", "resp_bytes"];

/// Positions of the used fields in a tab-separated line, from its `#fields` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Number of fields a line must have.
    pub count: usize,
    /// Position of each of [`REQUIRED`].
    required: [usize; 5],
    /// Position of each of [`OPTIONAL`], when the file has it.
    optional: [Option<usize>; 3],
    /// Names of the fields not used.
    pub other: Vec<String>,
}

impl Columns {
    /// The positions from the names of a `#fields` line; `Err` names the missing required
    /// fields.
    pub fn new(names: &[&str]) -> Result<Columns, Vec<&'static str>> {
        let find = |n: &str| names.iter().position(|f| *f == n);
        let missing: Vec<&'static str> = REQUIRED
            .iter()
            .copied()
            .filter(|n| find(n).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let required = REQUIRED.map(|n| find(n).unwrap_or(0));
        let optional = OPTIONAL.map(find);
        let other = names
            .iter()
            .filter(|n| !REQUIRED.contains(n) && !OPTIONAL.contains(n))
            .map(|n| n.to_string())
            .collect();
        Ok(Columns {
            count: names.len(),
            required,
            optional,
            other,
        })
    }
}

/// How a tab-separated file writes the absence of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markers {
    /// The unset marker (`#unset_field`, `-` by default).
    pub unset: String,
    /// The empty marker (`#empty_field`, `(empty)` by default).
    pub empty: String,
}

impl Default for Markers {
    fn default() -> Self {
        Markers {
            unset: "-".into(),
            empty: "(empty)".into(),
        }
    }
}

/// Reads the used fields of a tab-separated data line already split into `fields`.
pub fn from_tsv<'a>(
    fields: &[&'a str],
    columns: &Columns,
    markers: &Markers,
) -> Result<Record<'a>, String> {
    if fields.len() != columns.count {
        return Err(format!(
            "{} fields where the #fields line names {} (a truncated or damaged line)",
            fields.len(),
            columns.count
        ));
    }
    let absent = |v: &str| v == markers.unset || v == markers.empty || v.is_empty();
    let required = |i: usize| -> Result<&'a str, String> {
        let v = fields[columns.required[i]];
        if absent(v) {
            Err(format!("`{}` is unset", REQUIRED[i]))
        } else {
            Ok(v)
        }
    };
    let optional = |i: usize| {
        columns.optional[i]
            .map(|p| fields[p])
            .filter(|v| !absent(v))
    };
    Ok(Record {
        ts: time(required(0)?)?,
        orig: required(1)?,
        resp: required(2)?,
        resp_port: port(required(3)?)?,
        duration: optional(0).map_or(Ok(f64::NAN), |v| number("duration", v))?,
        orig_bytes: optional(1).map_or(Ok(0), |v| bytes("orig_bytes", v))?,
        resp_bytes: optional(2).map_or(Ok(0), |v| bytes("resp_bytes", v))?,
        state: Some(fields[columns.required[4]])
            .filter(|v| !absent(v))
            .unwrap_or(""),
    })
}

/// Reads the used fields of a JSON line. Field names are Zeek's (`id.orig_h`); the underscore
/// spelling some pipelines write (`id_orig_h`) is accepted too.
pub fn from_json(object: &Map<String, Value>) -> Result<Record<'_>, String> {
    let get = |name: &str| {
        object
            .get(name)
            .or_else(|| object.get(&name.replace('.', "_")))
            .filter(|v| !v.is_null())
    };
    let need = |name: &'static str| get(name).ok_or_else(|| format!("no `{name}` field"));
    let text = |name: &'static str| -> Result<&str, String> {
        need(name)?
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("`{name}` is not an address"))
    };
    let ts = match need("ts")? {
        Value::String(s) => iso_time(s)?,
        v => v
            .as_f64()
            .filter(|t| t.is_finite())
            .ok_or_else(|| format!("`ts` is not a time: `{v}`"))?,
    };
    let resp_port = need("id.resp_p")?
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| "`id.resp_p` is not a port number (0 to 65535)".to_string())?;
    let duration = match get("duration") {
        None => f64::NAN,
        Some(v) => v
            .as_f64()
            .filter(|d| d.is_finite() && *d >= 0.0)
            .ok_or_else(|| format!("`duration` is not a number of seconds: `{v}`"))?,
    };
    let count = |name: &'static str| match get(name) {
        None => Ok(0),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| format!("`{name}` is not a byte count: `{v}`")),
    };
    Ok(Record {
        ts,
        orig: text("id.orig_h")?,
        resp: text("id.resp_h")?,
        resp_port,
        duration,
        orig_bytes: count("orig_bytes")?,
        resp_bytes: count("resp_bytes")?,
        state: get("conn_state").and_then(Value::as_str).unwrap_or(""),
    })
}

/// Epoch seconds (`1258531221.486539`).
fn time(v: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|t| t.is_finite())
        .ok_or_else(|| format!("`ts` is not a time in seconds since 1970: `{v}`"))
}

/// An ISO 8601 time, as Zeek's JSON writer gives with `JSON::TS_ISO8601`.
fn iso_time(v: &str) -> Result<f64, String> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| t.timestamp_micros() as f64 / 1e6)
        .map_err(|_| format!("`ts` is not a time: `{v}`"))
}

/// A port number.
fn port(v: &str) -> Result<u16, String> {
    v.parse()
        .map_err(|_| format!("`id.resp_p` is not a port number (0 to 65535): `{v}`"))
}

/// A non-negative number of seconds.
fn number(name: &str, v: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|d| d.is_finite() && *d >= 0.0)
        .ok_or_else(|| format!("`{name}` is not a number of seconds: `{v}`"))
}

/// A byte count.
fn bytes(name: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("`{name}` is not a byte count: `{v}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 8] = [
        "ts",
        "uid",
        "id.orig_h",
        "id.resp_h",
        "id.resp_p",
        "duration",
        "conn_state",
        "label",
    ];

    #[test]
    fn tsv_fields_by_header_position() {
        let cols = Columns::new(&FIELDS).expect("all required");
        assert_eq!(cols.other, vec!["uid".to_string(), "label".to_string()]);
        let m = Markers::default();
        let line = [
            "1.5",
            "C1",
            "10.0.0.1",
            "10.0.0.2",
            "22",
            "-",
            "S0",
            "Malicious",
        ];
        let r = from_tsv(&line, &cols, &m).expect("good line");
        assert_eq!(
            (r.ts, r.orig, r.resp, r.resp_port),
            (1.5, "10.0.0.1", "10.0.0.2", 22)
        );
        assert!(r.duration.is_nan());
        assert_eq!((r.orig_bytes, r.state), (0, "S0"));
        let bad = ["1.5", "C1", "10.0.0.1", "10.0.0.2", "22", "abc", "S0", "-"];
        assert_eq!(
            from_tsv(&bad, &cols, &m),
            Err("`duration` is not a number of seconds: `abc`".into())
        );
        assert!(from_tsv(&line[..5], &cols, &m)
            .err()
            .is_some_and(|e| e.starts_with("5 fields where the #fields line names 8")));
        let unset = ["1.5", "C1", "-", "10.0.0.2", "22", "1", "SF", "-"];
        assert_eq!(
            from_tsv(&unset, &cols, &m),
            Err("`id.orig_h` is unset".into())
        );
        assert_eq!(
            Columns::new(&["ts", "id.orig_h"]),
            Err(vec!["id.resp_h", "id.resp_p", "conn_state"])
        );
    }

    #[test]
    fn json_both_spellings_and_times() {
        let parse = |s: &str| serde_json::from_str::<Map<String, Value>>(s).expect("json");
        let o = parse(
            r#"{"ts":1.25,"id.orig_h":"a","id.resp_h":"b","id.resp_p":443,"orig_bytes":7,"conn_state":"REJ","label":"x"}"#,
        );
        let r = from_json(&o).expect("good");
        assert_eq!(
            (r.ts, r.resp_port, r.orig_bytes, r.state),
            (1.25, 443, 7, "REJ")
        );
        assert!(r.duration.is_nan());
        let o = parse(
            r#"{"ts":"2019-03-14T23:59:49.5Z","id_orig_h":"a","id_resp_h":"b","id_resp_p":53,"duration":0.5}"#,
        );
        let r = from_json(&o).expect("good");
        assert_eq!((r.ts, r.duration), (1_552_607_989.5, 0.5));
        let o = parse(r#"{"ts":1,"id.orig_h":"a","id.resp_h":"b","id.resp_p":70000}"#);
        assert!(from_json(&o).is_err());
        let o = parse(r#"{"ts":1,"id.orig_h":"a","id.resp_p":1,"conn_state":"SF"}"#);
        assert_eq!(from_json(&o), Err("no `id.resp_h` field".into()));
    }
}
