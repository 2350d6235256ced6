//! Text in messages: charsets, RFC 2047 encoded words, and the case-and-form folding
//! IMAP SEARCH compares with (RFC 5051 `i;unicode-casemap`, I18NLEVEL=1).
//!
//! The charsets themselves are in [`crate::charset`]; [`Charset`] is re-exported here.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

pub use crate::charset::Charset;
use crate::decode::{QpFlavour, base64, qp};

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
        assert_eq!(Charset::from_name(b"Latin1"), Some(Charset::Iso8859_1));
        assert_eq!(Charset::from_name(b"koi8-r"), Some(Charset::Koi8R));
        assert_eq!(Charset::from_name(b"x-unknown"), None);
        assert_eq!(Charset::Windows1252.decode(b"\x80"), "€");
        assert_eq!(Charset::Iso8859_15.decode(b"\xa4"), "€");
        assert_eq!(to_text(Some(b"x-unknown"), b"\xe9"), "é");
        assert_eq!(to_text(Some(b"x-unknown"), b"\xc3\xa9"), "é");
        assert_eq!(to_text(None, b"\xc3\xa9"), "é");
        assert_eq!(to_text(None, b"\xe9"), "é");
    }
}
