//! Access-log formats: the Common and Combined Log Formats (Apache and Nginx defaults), Apache's
//! virtual-host variants, and user-given format strings in Nginx `log_format` or Apache
//! `LogFormat` syntax, compiled into a sequence of literals and fields.

use std::fmt;

/// A field of a log line that TrafficLens uses (anything else is skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Field {
    /// The client address (`%h`, `%a`, `$remote_addr`).
    Client,
    /// The identity (`%l`), unused.
    Ident,
    /// The authenticated user (`%u`, `$remote_user`), unused.
    User,
    /// The time of the request.
    Time(TimeStyle),
    /// The request line: method, target and protocol (`%r`, `$request`).
    Request,
    /// The method alone (`%m`, `$request_method`).
    Method,
    /// The target alone (`%U`, `$uri`, `$request_uri`).
    Target,
    /// The protocol alone (`%H`, `$server_protocol`), unused.
    Protocol,
    /// The final status code (`%>s`, `$status`).
    Status,
    /// Bytes sent (`%b`, `%B`, `%O`, `$body_bytes_sent`, `$bytes_sent`); `-` is 0.
    Bytes,
    /// The referer, unused.
    Referer,
    /// The user agent.
    UserAgent,
    /// Time taken to serve the request.
    RequestTime(Duration),
    /// The virtual host (`%v`, `%V`, `$host`, `$server_name`).
    VirtualHost,
    /// Any other field: read and ignored.
    Skip,
}

/// How a time field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimeStyle {
    /// `10/Oct/2000:13:55:36 -0700` (`%t`, `$time_local`).
    Clf,
    /// `2000-10-10T13:55:36-07:00` (`$time_iso8601`).
    Iso8601,
    /// Epoch seconds with optional fraction (`$msec`, `%{sec}t`, `%{msec_frac}t`...).
    EpochSeconds,
    /// Epoch milliseconds (`%{msec}t`).
    EpochMillis,
}

/// The unit of a request-time field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Duration {
    /// Seconds, possibly with a fraction (`%T`, `$request_time`).
    Seconds,
    /// Milliseconds (`%{ms}T`).
    Millis,
    /// Microseconds (`%D`, `%{us}T`).
    Micros,
}

/// One piece of a format: fixed text or a field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Piece {
    /// Text that must appear as written.
    Literal(Vec<u8>),
    /// A field.
    Field(Field),
}

/// A compiled log format.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogFormat {
    /// A name for messages: `Combined Log Format`, or the format string as given.
    pub name: String,
    /// The pieces in order.
    pub pieces: Vec<Piece>,
}

/// Why a format string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Nothing to compile.
    #[error("the log format is empty")]
    Empty,
    /// Two fields with nothing between them cannot be told apart.
    #[error("the log format has two fields with nothing between them (`{0}`); put a space or other text between fields")]
    Adjacent(String),
    /// A directive TrafficLens cannot read.
    #[error("the log format uses `{0}`, which TrafficLens cannot read; {1}")]
    Unsupported(String, &'static str),
    /// No client address field.
    #[error(
        "the log format has no client address (%h or $remote_addr); the client view needs one"
    )]
    NoClient,
    /// No time field.
    #[error("the log format has no time (%t, $time_local, $time_iso8601 or $msec)")]
    NoTime,
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Apache's and Nginx's `combined` format.
pub const COMBINED: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#;
/// The Common Log Format.
pub const COMMON: &str = r#"%h %l %u %t "%r" %>s %b"#;
/// Apache's `vhost_combined`.
pub const VHOST_COMBINED: &str = r#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#;
/// Apache's `vhost_common`.
pub const VHOST_COMMON: &str = r#"%v %h %l %u %t "%r" %>s %b"#;

impl LogFormat {
    /// The formats tried when none is given, richest first.
    pub fn presets() -> Vec<LogFormat> {
        [
            ("Combined Log Format (virtual host)", VHOST_COMBINED),
            ("Combined Log Format", COMBINED),
            ("Common Log Format (virtual host)", VHOST_COMMON),
            ("Common Log Format", COMMON),
        ]
        .into_iter()
        .filter_map(|(name, text)| {
            let mut f = LogFormat::parse(text).ok()?;
            f.name = name.to_string();
            Some(f)
        })
        .collect()
    }

    /// Compiles a format string. `$name` variables are read as Nginx `log_format`, `%` directives
    /// as Apache `LogFormat` (with `\"` as written in Apache configuration files accepted too).
    /// The well-known names `combined`, `common`, `vhost_combined` and `vhost_common` are accepted.
    pub fn parse(text: &str) -> Result<LogFormat, FormatError> {
        let trimmed = text.trim();
        let named = match trimmed.to_ascii_lowercase().as_str() {
            "combined" | "clf-combined" | "nginx" => Some(COMBINED),
            "common" | "clf" => Some(COMMON),
            "vhost_combined" => Some(VHOST_COMBINED),
            "vhost_common" => Some(VHOST_COMMON),
            _ => None,
        };
        let body = named.unwrap_or(trimmed);
        // Configuration files quote the whole string: `LogFormat "%h ..." combined`.
        let body = strip_wrapping_quotes(body);
        if body.is_empty() {
            return Err(FormatError::Empty);
        }
        let nginx = has_nginx_variable(body);
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let bytes = body.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\\' && i + 1 < bytes.len() {
                match bytes[i + 1] {
                    b'"' => literal.push(b'"'),
                    b't' => literal.push(b'\t'),
                    b'\\' => literal.push(b'\\'),
                    other => {
                        literal.push(b'\\');
                        literal.push(other);
                    }
                }
                i += 2;
                continue;
            }
            if nginx && b == b'$' {
                let (name, next) = nginx_name(bytes, i + 1);
                if name.is_empty() {
                    literal.push(b);
                    i += 1;
                    continue;
                }
                push_field(
                    &mut pieces,
                    &mut literal,
                    nginx_field(name),
                    &name_text(name),
                )?;
                i = next;
                continue;
            }
            if !nginx && b == b'%' {
                let (field, next, spelled) = apache_directive(bytes, i)?;
                match field {
                    // Apache's `%t` writes its own brackets; Nginx's `$time_local` does not.
                    Some(Field::Time(TimeStyle::Clf)) if spelled == "%t" => {
                        literal.push(b'[');
                        push_field(
                            &mut pieces,
                            &mut literal,
                            Field::Time(TimeStyle::Clf),
                            &spelled,
                        )?;
                        literal.push(b']');
                    }
                    Some(field) => push_field(&mut pieces, &mut literal, field, &spelled)?,
                    None => literal.push(b'%'),
                }
                i = next;
                continue;
            }
            literal.push(b);
            i += 1;
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        let has = |want: fn(&Field) -> bool| {
            pieces
                .iter()
                .any(|p| matches!(p, Piece::Field(f) if want(f)))
        };
        if !has(|f| *f == Field::Client) {
            return Err(FormatError::NoClient);
        }
        if !has(|f| matches!(f, Field::Time(_))) {
            return Err(FormatError::NoTime);
        }
        Ok(LogFormat {
            name: body.to_string(),
            pieces,
        })
    }

    /// True when the format has this field.
    pub fn has(&self, field: Field) -> bool {
        self.pieces.contains(&Piece::Field(field))
    }

    /// True when the format records the time taken per request.
    pub fn has_request_time(&self) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Field(Field::RequestTime(_))))
    }

    /// True when the format records the virtual host.
    pub fn has_virtual_host(&self) -> bool {
        self.has(Field::VirtualHost)
    }

    /// Number of fields (a richer format wins a tie when detecting).
    pub fn field_count(&self) -> usize {
        self.pieces
            .iter()
            .filter(|p| matches!(p, Piece::Field(_)))
            .count()
    }
}

/// `"..."` -> `...` when the whole string is quoted once.
fn strip_wrapping_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'"' && b[b.len() - 1] == b'"' && !s[1..s.len() - 1].contains('"') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// True when the string uses Nginx variables.
fn has_nginx_variable(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'{' || w[1] == b'_'))
}

/// Reads a variable name after `$` (`name` or `{name}`); returns it and the next position.
fn nginx_name(bytes: &[u8], start: usize) -> (&[u8], usize) {
    if bytes.get(start) == Some(&b'{') {
        if let Some(close) = bytes[start..].iter().position(|&b| b == b'}') {
            return (&bytes[start + 1..start + close], start + close + 1);
        }
    }
    let mut end = start;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
        end += 1;
    }
    (&bytes[start..end], end)
}

fn name_text(name: &[u8]) -> String {
    format!("${}", String::from_utf8_lossy(name))
}

/// The field an Nginx variable holds.
fn nginx_field(name: &[u8]) -> Field {
    match name {
        b"remote_addr" | b"realip_remote_addr" => Field::Client,
        b"remote_user" => Field::User,
        b"time_local" => Field::Time(TimeStyle::Clf),
        b"time_iso8601" => Field::Time(TimeStyle::Iso8601),
        b"msec" => Field::Time(TimeStyle::EpochSeconds),
        b"request" => Field::Request,
        b"request_method" => Field::Method,
        b"request_uri" | b"uri" | b"document_uri" => Field::Target,
        b"server_protocol" => Field::Protocol,
        b"status" => Field::Status,
        b"body_bytes_sent" | b"bytes_sent" => Field::Bytes,
        b"http_referer" => Field::Referer,
        b"http_user_agent" => Field::UserAgent,
        b"request_time" => Field::RequestTime(Duration::Seconds),
        b"host" | b"server_name" | b"http_host" => Field::VirtualHost,
        _ => Field::Skip,
    }
}

/// Reads an Apache directive starting at `%`; returns the field (None for `%%`), the next
/// position and the directive as written.
fn apache_directive(
    bytes: &[u8],
    start: usize,
) -> Result<(Option<Field>, usize, String), FormatError> {
    let mut i = start + 1;
    if bytes.get(i) == Some(&b'%') {
        return Ok((None, i + 1, "%%".into()));
    }
    // Conditions (`%400,501{...}i`, `%!200h`) and `<`/`>` (original/final request).
    while i < bytes.len() && matches!(bytes[i], b'!' | b',' | b'<' | b'>' | b'0'..=b'9') {
        i += 1;
    }
    let mut arg: Option<&[u8]> = None;
    if bytes.get(i) == Some(&b'{') {
        let Some(close) = bytes[i..].iter().position(|&b| b == b'}') else {
            return Err(FormatError::Unsupported(
                String::from_utf8_lossy(&bytes[start..]).into_owned(),
                "a `{` is never closed",
            ));
        };
        arg = Some(&bytes[i + 1..i + close]);
        i += close + 1;
    }
    let Some(&letter) = bytes.get(i) else {
        return Err(FormatError::Unsupported(
            String::from_utf8_lossy(&bytes[start..]).into_owned(),
            "the format ends in the middle of a directive",
        ));
    };
    let spelled = String::from_utf8_lossy(&bytes[start..=i]).into_owned();
    let lower_arg = arg.map(|a| String::from_utf8_lossy(a).to_ascii_lowercase());
    let field = match (letter, lower_arg.as_deref()) {
        (b'h' | b'a', _) => Field::Client,
        (b'l', _) => Field::Ident,
        (b'u', _) => Field::User,
        (b't', None) => Field::Time(TimeStyle::Clf),
        (b't', Some(a)) => {
            let a = a.trim_start_matches("begin:").trim_start_matches("end:");
            match a {
                "sec" => Field::Time(TimeStyle::EpochSeconds),
                "msec" => Field::Time(TimeStyle::EpochMillis),
                "%d/%b/%y:%h:%m:%s %z" => Field::Time(TimeStyle::Clf),
                "%y-%m-%dt%h:%m:%s%z" => Field::Time(TimeStyle::Iso8601),
                "msec_frac" | "usec_frac" | "usec" => Field::Skip,
                _ => {
                    return Err(FormatError::Unsupported(
                        spelled,
                        "use %t, %{sec}t, %{msec}t or an ISO 8601 time",
                    ))
                }
            }
        }
        (b'r', _) => Field::Request,
        (b'm', _) => Field::Method,
        (b'U', _) => Field::Target,
        (b'H', _) => Field::Protocol,
        (b's', _) => Field::Status,
        (b'b' | b'B' | b'O', _) => Field::Bytes,
        (b'i', Some("referer")) => Field::Referer,
        (b'i', Some("user-agent")) => Field::UserAgent,
        (b'i', Some("host")) => Field::VirtualHost,
        (b'D', _) => Field::RequestTime(Duration::Micros),
        (b'T', None | Some("s")) => Field::RequestTime(Duration::Seconds),
        (b'T', Some("ms")) => Field::RequestTime(Duration::Millis),
        (b'T', Some("us")) => Field::RequestTime(Duration::Micros),
        (b'v' | b'V', _) => Field::VirtualHost,
        (b'i' | b'o' | b'e' | b'n' | b'C' | b'p' | b'P' | b'q' | b'f' | b'k' | b'L' | b'R', _)
        | (b'I' | b'S' | b'X' | b'A' | b'c' | b'x', _) => Field::Skip,
        _ => {
            return Err(FormatError::Unsupported(
                spelled,
                "see Apache's mod_log_config for the directives",
            ))
        }
    };
    Ok((Some(field), i + 1, spelled))
}

/// Appends a field after the pending literal; refuses two fields with nothing between them.
fn push_field(
    pieces: &mut Vec<Piece>,
    literal: &mut Vec<u8>,
    field: Field,
    spelled: &str,
) -> Result<(), FormatError> {
    if !literal.is_empty() {
        pieces.push(Piece::Literal(std::mem::take(literal)));
    } else if matches!(pieces.last(), Some(Piece::Field(_))) {
        return Err(FormatError::Adjacent(spelled.to_string()));
    }
    pieces.push(Piece::Field(field));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Piece {
        Piece::Literal(s.as_bytes().to_vec())
    }

    #[test]
    fn apache_combined_compiles() {
        let f = LogFormat::parse(COMBINED).unwrap();
        assert_eq!(
            f.pieces,
            vec![
                Piece::Field(Field::Client),
                lit(" "),
                Piece::Field(Field::Ident),
                lit(" "),
                Piece::Field(Field::User),
                lit(" ["),
                Piece::Field(Field::Time(TimeStyle::Clf)),
                lit("] \""),
                Piece::Field(Field::Request),
                lit("\" "),
                Piece::Field(Field::Status),
                lit(" "),
                Piece::Field(Field::Bytes),
                lit(" \""),
                Piece::Field(Field::Referer),
                lit("\" \""),
                Piece::Field(Field::UserAgent),
                lit("\""),
            ]
        );
    }

    #[test]
    fn nginx_and_apache_spellings_agree() {
        let nginx = LogFormat::parse(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        )
        .unwrap();
        let apache =
            LogFormat::parse(r#"%h - %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""#)
                .unwrap();
        assert_eq!(nginx.pieces, apache.pieces);
    }

    #[test]
    fn extras_are_understood() {
        let f = LogFormat::parse(r#"$host $remote_addr [$time_iso8601] "$request" $status $bytes_sent $request_time ${upstream_addr}"#).unwrap();
        assert!(f.has_virtual_host());
        assert!(f.has_request_time());
        assert!(f.has(Field::Skip));
        assert!(f.has(Field::Time(TimeStyle::Iso8601)));
        let f = LogFormat::parse("%a %{msec}t %D %>s").unwrap();
        assert!(f.has(Field::Time(TimeStyle::EpochMillis)));
        assert!(f.has(Field::RequestTime(Duration::Micros)));
        assert_eq!(
            LogFormat::parse("combined").unwrap().pieces,
            LogFormat::parse(COMBINED).unwrap().pieces
        );
    }

    #[test]
    fn bad_formats_are_explained() {
        assert_eq!(LogFormat::parse("  "), Err(FormatError::Empty));
        assert_eq!(LogFormat::parse("%t %s"), Err(FormatError::NoClient));
        assert_eq!(LogFormat::parse("%h %s"), Err(FormatError::NoTime));
        assert!(matches!(
            LogFormat::parse("%h%u"),
            Err(FormatError::Adjacent(_))
        ));
        assert!(matches!(
            LogFormat::parse("%h %{%s}t"),
            Err(FormatError::Unsupported(..))
        ));
        assert!(matches!(
            LogFormat::parse("%h %t %Z"),
            Err(FormatError::Unsupported(..))
        ));
    }
}
