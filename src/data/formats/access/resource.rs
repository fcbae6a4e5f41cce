//! What a request fetched, as far as the log says: a page or a static asset (stylesheet,
//! script, image, font, media) by the path's extension, and which site a referer names.
//! Access logs in the common formats carry no content type, so the extension is the evidence.

use std::hash::BuildHasher;

/// Extensions of static assets (lower case), the files a browser fetches along with a page.
const ASSET_EXTENSIONS: [&str; 22] = [
    "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "bmp",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "ogg",
];

/// True when `path` (without query) ends in a static asset's extension.
pub fn is_asset(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let Some(dot) = memchr::memrchr(b'.', name) else {
        return false;
    };
    let ext = &name[dot + 1..];
    ASSET_EXTENSIONS
        .iter()
        .any(|e| e.as_bytes().eq_ignore_ascii_case(ext))
}

/// The host a referer names, without scheme, user, port and a leading `www.`; empty for `-`, an
/// empty referer or one that is not an absolute URL.
pub fn referer_host(referer: &[u8]) -> &[u8] {
    let Some(scheme_end) = memchr::memmem::find(referer, b"://") else {
        return b"";
    };
    let rest = &referer[scheme_end + 3..];
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    site_name(&rest[..end])
}

/// A host name as a site: without user, port and a leading `www.`.
pub fn site_name(host: &[u8]) -> &[u8] {
    let host = match memchr::memrchr(b'@', host) {
        Some(i) => &host[i + 1..],
        None => host,
    };
    let host = if host.first() == Some(&b'[') {
        host
    } else {
        match memchr::memchr(b':', host) {
            Some(i) => &host[..i],
            None => host,
        }
    };
    if host.len() > 4 && host[..4].eq_ignore_ascii_case(b"www.") {
        &host[4..]
    } else {
        host
    }
}

/// A site's key: a hash of its name in lower case; 0 for none.
pub fn site_key(site: &[u8]) -> u64 {
    if site.is_empty() {
        return 0;
    }
    let lower = site.to_ascii_lowercase();
    super::read::hasher().hash_one(&lower[..]).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_by_extension() {
        for a in [
            "/presentations/logstash-monitorama-2013/css/print/paper.css",
            "/images/jordan-80.png",
            "/favicon.ico",
            "/static/app.3.JS",
            "/fonts/a.woff2",
        ] {
            assert!(is_asset(a.as_bytes()), "{a}");
        }
        for p in [
            "/",
            "/blog/post.html",
            "/index.php",
            "/a.css/",
            "/products/12",
            "/wp-login.php",
        ] {
            assert!(!is_asset(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn referer_sites() {
        assert_eq!(
            referer_host(b"http://www.semicomplete.com/presentations/x/"),
            b"semicomplete.com"
        );
        assert_eq!(
            referer_host(b"https://shop.example.com:8443?x"),
            b"shop.example.com"
        );
        assert_eq!(referer_host(b"-"), b"");
        assert_eq!(referer_host(b"/relative"), b"");
        assert_eq!(site_key(b"Example.COM"), site_key(b"example.com"));
        assert_eq!(site_key(b""), 0);
    }
}
