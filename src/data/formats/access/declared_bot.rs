//! Whether a user agent declares itself a bot, and which: search engines, other crawlers (SEO,
//! AI, link previews) and uptime monitors name themselves in their user agent (by the convention
//! of a `+http...` information address, or a `bot`/`crawler`/`spider` word). This is what the
//! agent says, not proof: anyone can write `Googlebot`.

/// What kind of bot a user agent declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotKind {
    /// A search engine's crawler (Googlebot, bingbot, ...).
    SearchEngine,
    /// Another crawler (SEO tools, AI training, link previews, or unnamed).
    Crawler,
    /// An uptime or health monitor.
    Monitor,
    /// A feed reader polling an RSS or Atom feed.
    FeedReader,
}

/// Known bots: the token looked for (case-insensitive), the name shown and the kind.
const KNOWN: [(&str, &str, BotKind); 35] = [
    ("googlebot", "Googlebot", BotKind::SearchEngine),
    ("bingbot", "bingbot", BotKind::SearchEngine),
    ("msnbot", "msnbot", BotKind::SearchEngine),
    ("yandexbot", "YandexBot", BotKind::SearchEngine),
    ("baiduspider", "Baiduspider", BotKind::SearchEngine),
    ("duckduckbot", "DuckDuckBot", BotKind::SearchEngine),
    ("applebot", "Applebot", BotKind::SearchEngine),
    ("yahoo! slurp", "Yahoo! Slurp", BotKind::SearchEngine),
    ("seznambot", "SeznamBot", BotKind::SearchEngine),
    ("sogou", "Sogou spider", BotKind::SearchEngine),
    ("exabot", "Exabot", BotKind::SearchEngine),
    ("petalbot", "PetalBot", BotKind::SearchEngine),
    ("ahrefsbot", "AhrefsBot", BotKind::Crawler),
    ("semrushbot", "SemrushBot", BotKind::Crawler),
    ("mj12bot", "MJ12bot", BotKind::Crawler),
    ("dotbot", "DotBot", BotKind::Crawler),
    ("blexbot", "BLEXBot", BotKind::Crawler),
    ("gptbot", "GPTBot", BotKind::Crawler),
    ("claudebot", "ClaudeBot", BotKind::Crawler),
    ("ccbot", "CCBot", BotKind::Crawler),
    ("bytespider", "Bytespider", BotKind::Crawler),
    (
        "facebookexternalhit",
        "facebookexternalhit",
        BotKind::Crawler,
    ),
    ("twitterbot", "Twitterbot", BotKind::Crawler),
    ("feedfetcher", "Feedfetcher", BotKind::Crawler),
    ("feedparser", "UniversalFeedParser", BotKind::FeedReader),
    ("tiny tiny rss", "Tiny Tiny RSS", BotKind::FeedReader),
    ("feedly", "Feedly", BotKind::FeedReader),
    ("newsblur", "NewsBlur", BotKind::FeedReader),
    ("inoreader", "Inoreader", BotKind::FeedReader),
    ("uptimerobot", "UptimeRobot", BotKind::Monitor),
    ("pingdom", "Pingdom", BotKind::Monitor),
    ("statuscake", "StatusCake", BotKind::Monitor),
    ("site24x7", "Site24x7", BotKind::Monitor),
    ("uptime", "an uptime monitor", BotKind::Monitor),
    ("monitor", "a monitor", BotKind::Monitor),
];

/// Code of a bot that declares itself without a known name (`bot`, `crawler`, `spider`, or a
/// `+http` information address).
pub const UNNAMED: u8 = 255;

/// The bot a user agent declares: 0 for none, `i + 1` for the `i`-th known bot, [`UNNAMED`].
pub fn declared_bot(user_agent: &[u8]) -> u8 {
    if user_agent.is_empty() {
        return 0;
    }
    let has = |needle: &str| {
        user_agent
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    if let Some(i) = KNOWN.iter().position(|(token, _, _)| has(token)) {
        return (i + 1) as u8;
    }
    if has("bot") || has("crawler") || has("spider") || has("+http") {
        return UNNAMED;
    }
    0
}

/// The name and kind of a bot code from [`declared_bot`] (`None` for 0).
pub fn bot(code: u8) -> Option<(&'static str, BotKind)> {
    match code {
        0 => None,
        UNNAMED => Some(("a bot", BotKind::Crawler)),
        c => KNOWN
            .get(usize::from(c) - 1)
            .map(|(_, name, kind)| (*name, *kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bots_are_named_and_browsers_are_not_bots() {
        let name = |ua: &str| bot(declared_bot(ua.as_bytes()));
        assert_eq!(
            name("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
            Some(("Googlebot", BotKind::SearchEngine))
        );
        assert_eq!(
            name("Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)"),
            Some(("MJ12bot", BotKind::Crawler))
        );
        assert_eq!(
            name("UptimeMonitor/1.0 (+https://status.example.net)"),
            Some(("an uptime monitor", BotKind::Monitor))
        );
        assert_eq!(
            name("UniversalFeedParser/4.2-pre-314-svn +http://feedparser.org/"),
            Some(("UniversalFeedParser", BotKind::FeedReader))
        );
        assert_eq!(
            name("Mozilla/5.0 (compatible; SomeNewCrawler/0.1)"),
            Some(("a bot", BotKind::Crawler))
        );
        for browser in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 6_0 like Mac OS X) AppleWebKit/536.26 (KHTML, like Gecko) Version/6.0 Mobile/10A5376e Safari/8536.25",
            "Mozilla/5.0 (X11; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0",
            "python-requests/2.31.0",
            "",
        ] {
            assert_eq!(name(browser), None, "{browser}");
        }
    }
}
