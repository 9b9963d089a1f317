//! Substring search on bytes.
//!
//! `str::find`, `split_once`, `contains` and `replace` with a `&str` pattern (and `contains`
//! with a non-ASCII `char`, which searches for its UTF-8 bytes) use std's two-way searcher,
//! whose code and panic paths (char-boundary messages that format with `{:?}`, and with them
//! the Unicode printable tables) cost about 5 KB of wasm. The core searches for a handful of
//! short needles, so a plain byte search does the same job. Every match of a non-empty `&str`
//! needle in a `&str` starts and ends on character boundaries, so the `get`s below never fail.

/// Byte offset of the first occurrence of `needle` in `hay`.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let (&first, rest) = n.split_first()?;
    let mut from = 0;
    while let Some(i) = h.get(from..)?.iter().position(|&b| b == first) {
        let at = from + i;
        if h.get(at + 1..at + n.len()) == Some(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Byte offset of the last occurrence of `needle` in `hay`.
pub fn rfind(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return None;
    }
    (0..=h.len().checked_sub(n.len())?)
        .rev()
        .find(|&at| h.get(at..at + n.len()) == Some(n))
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// The text before and after the first `needle`.
pub fn split_once<'a>(hay: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = find(hay, needle)?;
    Some((hay.get(..at)?, hay.get(at + needle.len()..)?))
}

/// The text before and after the last `needle`.
pub fn rsplit_once<'a>(hay: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = rfind(hay, needle)?;
    Some((hay.get(..at)?, hay.get(at + needle.len()..)?))
}

/// `hay` with every `needle` replaced by `with`, left to right without overlaps.
pub fn replace(hay: &str, needle: &str, with: &str) -> String {
    let mut out = String::with_capacity(hay.len());
    let mut rest = hay;
    while let Some((before, after)) = split_once(rest, needle) {
        out.push_str(before);
        out.push_str(with);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Whether `hay` holds the byte `b`: `hay.as_bytes().contains(&b)` without std's `memchr`
/// (~0.4 KB of wasm for a handful of short scans).
pub fn has_byte(hay: &str, b: u8) -> bool {
    for c in hay.bytes() {
        if c == b {
            return true;
        }
    }
    false
}

/// Byte offset of the first byte of `hay` that is one of the ASCII `bytes`: what
/// `hay.find([..chars])` gives for ASCII chars, without std's `char` pattern searchers (each
/// pattern type links its own searcher code into the wasm).
pub fn find_any(hay: &str, bytes: &[u8]) -> Option<usize> {
    for (i, b) in hay.bytes().enumerate() {
        for &n in bytes {
            if b == n {
                return Some(i);
            }
        }
    }
    None
}

/// The text before and after the first of the ASCII `bytes`: `hay.split_once([..chars])`.
pub fn split_once_any<'a>(hay: &'a str, bytes: &[u8]) -> Option<(&'a str, &'a str)> {
    let at = find_any(hay, bytes)?;
    Some((hay.get(..at)?, hay.get(at + 1..)?))
}

/// `s` without the ASCII `b`s it starts with: `s.trim_start_matches(b as char)`.
pub fn trim_start_byte(s: &str, b: u8) -> &str {
    let bytes = s.as_bytes();
    let mut n = 0;
    while bytes.get(n) == Some(&b) {
        n += 1;
    }
    s.get(n..).unwrap_or(s)
}

/// `s` without the ASCII `b`s it ends with: `s.trim_end_matches(b as char)`.
pub fn trim_end_byte(s: &str, b: u8) -> &str {
    let bytes = s.as_bytes();
    let mut end = bytes.len();
    while end > 0 && bytes.get(end - 1) == Some(&b) {
        end -= 1;
    }
    s.get(..end).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn by_hand() {
        assert_eq!(find("https://x", "://"), Some(5));
        assert_eq!(find("aaab", "ab"), Some(2));
        assert_eq!(find("ab", "abc"), None);
        assert_eq!(find("abc", ""), None);
        assert_eq!(
            rfind("/crm/v3/objects/a/crm/v3/objects/b", "/crm/v3/objects/"),
            Some(17)
        );
        assert_eq!(rfind("ab", "abc"), None);
        assert_eq!(split_once("k: [1]", ": ["), Some(("k", "1]")));
        assert_eq!(rsplit_once("a.b.c", "."), Some(("a.b", "c")));
        assert_eq!(replace("xtokx tokentoken", "token", "[r]"), "xtokx [r][r]");
        assert_eq!(replace("aaa", "aa", "b"), "ba");
        assert_eq!(replace("é€é", "€", "e"), "éeé");
        assert!(contains("\u{FFFD}x", "\u{FFFD}"));
    }

    fn small() -> impl Strategy<Value = String> {
        // A small alphabet (with multi-byte characters) so needles are often found.
        "[ab/:é€]{0,12}"
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_std(hay in small(), needle in "[ab/:é€]{1,3}", with in "[xé]{0,2}") {
            prop_assert_eq!(find(&hay, &needle), hay.find(needle.as_str()));
            prop_assert_eq!(rfind(&hay, &needle), hay.rfind(needle.as_str()));
            prop_assert_eq!(contains(&hay, &needle), hay.contains(needle.as_str()));
            prop_assert_eq!(split_once(&hay, &needle), hay.split_once(needle.as_str()));
            prop_assert_eq!(rsplit_once(&hay, &needle), hay.rsplit_once(needle.as_str()));
            prop_assert_eq!(replace(&hay, &needle, &with), hay.replace(needle.as_str(), &with));
        }

        #[test]
        fn byte_helpers_agree_with_std(hay in "[ab/:.é€]{0,12}") {
            prop_assert_eq!(find_any(&hay, b"/:"), hay.find(['/', ':']));
            prop_assert_eq!(find_any(&hay, b"."), hay.find('.'));
            prop_assert_eq!(has_byte(&hay, b'a'), hay.as_bytes().contains(&b'a'));
            prop_assert_eq!(split_once_any(&hay, b":."), hay.split_once([':', '.']));
            prop_assert_eq!(split_once_any(&hay, b"a"), hay.split_once('a'));
            prop_assert_eq!(trim_start_byte(&hay, b'a'), hay.trim_start_matches('a'));
            prop_assert_eq!(trim_end_byte(&hay, b'/'), hay.trim_end_matches('/'));
        }
    }
}
