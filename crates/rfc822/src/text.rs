//! Text in messages: charsets, RFC 2047 encoded words, and the case-and-form folding
//! IMAP SEARCH compares with (RFC 5051 `i;unicode-casemap`, I18NLEVEL=1).
//!
//! Charsets known: US-ASCII, UTF-8, ISO-8859-1, ISO-8859-15 and Windows-1252 (the ones
//! most mail is in); others are reported as unknown.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

use crate::decode::{QpFlavour, base64, qp};

/// A charset this crate knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// US-ASCII (bytes above 0x7F are taken as Windows-1252, as mail readers do).
    UsAscii,
    /// UTF-8 (invalid sequences become U+FFFD).
    Utf8,
    /// ISO-8859-1.
    Latin1,
    /// ISO-8859-15.
    Latin9,
    /// Windows-1252.
    Windows1252,
}

impl Charset {
    /// The charset named `name` (any case, aliases included), if known.
    pub fn from_name(name: &[u8]) -> Option<Charset> {
        let n = String::from_utf8_lossy(name.trim_ascii()).to_ascii_lowercase();
        Some(match n.as_str() {
            "us-ascii" | "ascii" | "ansi_x3.4-1968" | "iso646-us" | "us" => Charset::UsAscii,
            "utf-8" | "utf8" => Charset::Utf8,
            "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "l1" => Charset::Latin1,
            "iso-8859-15" | "iso8859-15" | "latin9" | "latin-9" => Charset::Latin9,
            "windows-1252" | "cp1252" => Charset::Windows1252,
            _ => return None,
        })
    }

    /// The names SEARCH accepts, for `[BADCHARSET (…)]`.
    pub const NAMES: [&'static str; 5] = [
        "US-ASCII",
        "UTF-8",
        "ISO-8859-1",
        "ISO-8859-15",
        "WINDOWS-1252",
    ];

    /// `bytes` in this charset, as text.
    pub fn decode<'a>(self, bytes: &'a [u8]) -> Cow<'a, str> {
        match self {
            Charset::Utf8 => String::from_utf8_lossy(bytes),
            _ if bytes.is_ascii() => String::from_utf8_lossy(bytes),
            Charset::UsAscii | Charset::Windows1252 => {
                Cow::Owned(bytes.iter().map(|&b| windows1252(b)).collect())
            }
            Charset::Latin1 => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
            Charset::Latin9 => Cow::Owned(bytes.iter().map(|&b| latin9(b)).collect()),
        }
    }
}

/// Windows-1252's characters for 0x80–0x9F (U+FFFD where it has none).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
    '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}',
    'ž', 'Ÿ',
];

fn windows1252(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

fn latin9(b: u8) -> char {
    match b {
        0xA4 => '€',
        0xA6 => 'Š',
        0xA8 => 'š',
        0xB4 => 'Ž',
        0xB8 => 'ž',
        0xBC => 'Œ',
        0xBD => 'œ',
        0xBE => 'Ÿ',
        _ => char::from(b),
    }
}

/// Text in the charset named `charset`; bytes in an unknown charset are read as UTF-8
/// when they are valid UTF-8, else as Windows-1252.
pub fn to_text<'a>(charset: Option<&[u8]>, bytes: &'a [u8]) -> Cow<'a, str> {
    match charset.and_then(Charset::from_name) {
        Some(c) => c.decode(bytes),
        None => match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Charset::Windows1252.decode(bytes),
        },
    }
}

/// Decodes the RFC 2047 encoded words in a header field value (`=?charset?B?…?=`,
/// `=?charset?Q?…?=`) to UTF-8; white space between two encoded words is dropped, as
/// the RFC says. Other text is kept as it is (as UTF-8 when it is, else Windows-1252).
pub fn decode_words(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    let mut pending_space: Option<&[u8]> = None;
    let mut last_was_word = false;
    while i < value.len() {
        if value[i..].starts_with(b"=?")
            && let Some((text, used)) = encoded_word(&value[i..])
        {
            if let (Some(sp), false) = (pending_space.take(), last_was_word) {
                out.push_str(&to_text(None, sp));
            }
            out.push_str(&text);
            last_was_word = true;
            i += used;
            continue;
        }
        let start = i;
        if value[i] == b' ' || value[i] == b'\t' || value[i] == b'\r' || value[i] == b'\n' {
            while i < value.len() && matches!(value[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            if let Some(sp) = pending_space.take() {
                out.push_str(&to_text(None, sp));
            }
            pending_space = Some(&value[start..i]);
            continue;
        }
        while i < value.len()
            && !matches!(value[i], b' ' | b'\t' | b'\r' | b'\n')
            && !value[i..].starts_with(b"=?")
        {
            i += 1;
        }
        if i == start {
            // "=?" that is not an encoded word.
            i += 2;
        }
        if let Some(sp) = pending_space.take() {
            out.push_str(&to_text(None, sp));
        }
        out.push_str(&to_text(None, &value[start..i]));
        last_was_word = false;
    }
    if let Some(sp) = pending_space {
        out.push_str(&to_text(None, sp));
    }
    out
}

/// One encoded word at the start of `s`: its text and its length.
fn encoded_word(s: &[u8]) -> Option<(String, usize)> {
    let body = &s[2..];
    let q1 = body.iter().position(|&c| c == b'?')?;
    let charset = &body[..q1];
    let enc = *body.get(q1 + 1)?;
    if body.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let end = memchr::memmem::find(&body[text_start..], b"?=")? + text_start;
    let text = &body[text_start..end];
    if charset.is_empty() || text.iter().any(|&c| c == b' ' || c == b'\t' || c == b'\n') {
        return None;
    }
    // RFC 2231 §5: "charset*language".
    let charset = charset.split(|&c| c == b'*').next().unwrap_or(charset);
    let bytes = match enc.to_ascii_uppercase() {
        b'B' => base64(text),
        b'Q' => qp(text, QpFlavour::Word),
        _ => return None,
    };
    Some((to_text(Some(charset), &bytes).into_owned(), 2 + end + 2))
}

/// Folds text for comparison: case folded and decomposed (RFC 5051 `i;unicode-casemap`),
/// so that "Straße", "STRASSE" and "strasse" compare equal, and "é" matches both its
/// composed and decomposed forms.
pub fn casemap(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.nfkd()
        .flat_map(char::to_uppercase)
        .flat_map(char::to_lowercase)
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// Whether `c` is a combining mark that folding drops (so "é" matches "e", as
/// c-client's search does after decomposition).
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2047_examples() {
        // RFC 2047 §8.
        assert_eq!(decode_words(b"=?ISO-8859-1?Q?a?="), "a");
        assert_eq!(decode_words(b"=?ISO-8859-1?Q?a?= b"), "a b");
        assert_eq!(decode_words(b"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="), "ab");
        assert_eq!(
            decode_words(b"=?ISO-8859-1?Q?a?=  \r\n  =?ISO-8859-1?Q?b?="),
            "ab"
        );
        assert_eq!(decode_words(b"=?ISO-8859-1?Q?a_b?="), "a b");
        assert_eq!(
            decode_words(b"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?="),
            "Keld Jørn Simonsen"
        );
        assert_eq!(decode_words(b"=?UTF-8?B?w6k=?= x =?bogus?Q?y?="), "é x y");
        assert_eq!(
            decode_words(b"=?US-ASCII*EN?Q?Keith_Moore?="),
            "Keith Moore"
        );
        assert_eq!(
            decode_words(b"not =?an encoded?= word"),
            "not =?an encoded?= word"
        );
        assert_eq!(decode_words(b"plain"), "plain");
        assert_eq!(decode_words(b"caf\xe9"), "café");
    }

    #[test]
    fn folding() {
        assert_eq!(casemap("Straße"), casemap("STRASSE"));
        assert_eq!(casemap("CAFÉ"), "cafe");
        assert_eq!(casemap("cafe\u{301}"), "cafe");
        assert_eq!(casemap("Hello"), "hello");
    }

    #[test]
    fn charsets() {
        assert_eq!(Charset::from_name(b"Latin1"), Some(Charset::Latin1));
        assert_eq!(Charset::from_name(b"koi8-r"), None);
        assert_eq!(Charset::Windows1252.decode(b"\x80"), "€");
        assert_eq!(Charset::Latin9.decode(b"\xa4"), "€");
        assert_eq!(to_text(None, b"\xc3\xa9"), "é");
        assert_eq!(to_text(None, b"\xe9"), "é");
    }
}
