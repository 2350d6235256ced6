//! Single-byte charsets decoded in-house: ASCII, strict ISO-8859-1, -9 and -11 / TIS-620
//! (the WHATWG standard reads these three as Windows code pages), and the generated
//! 256-entry tables.

use std::borrow::Cow;

/// Which Thai single-byte charset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Thai {
    /// TIS-620: 0x80–0xA0 undefined (as glibc).
    Tis620,
    /// ISO-8859-11: TIS-620 with the C1 controls and NBSP at 0xA0.
    Iso8859_11,
}

/// US-ASCII. Text with 8-bit bytes is mislabelled; it is read as UTF-8 when it is valid
/// UTF-8, else as Windows-1252.
pub(super) fn ascii(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
        }
    }
}

/// ISO-8859-1: each byte is the code point of the same value.
pub(super) fn latin1(bytes: &[u8]) -> Cow<'_, str> {
    match ascii_only(bytes) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// ISO-8859-9: ISO-8859-1 with six Turkish letters in place of Icelandic ones.
pub(super) fn latin5(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(s) = ascii_only(bytes) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        bytes
            .iter()
            .map(|&b| match b {
                0xD0 => 'Ğ',
                0xDD => 'İ',
                0xDE => 'Ş',
                0xF0 => 'ğ',
                0xFD => 'ı',
                0xFE => 'ş',
                _ => char::from(b),
            })
            .collect(),
    )
}

/// TIS-620 or ISO-8859-11: 0xA1–0xDA and 0xDF–0xFB are U+0E01–U+0E3A and U+0E3F–U+0E5B.
pub(super) fn thai(bytes: &[u8], kind: Thai) -> Cow<'_, str> {
    if let Some(s) = ascii_only(bytes) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        bytes
            .iter()
            .map(|&b| match b {
                0x00..=0x7F => char::from(b),
                0x80..=0xA0 if kind == Thai::Iso8859_11 => char::from(b),
                0xA1..=0xDA | 0xDF..=0xFB => char::from_u32(0x0E01 + u32::from(b - 0xA1))
                    .unwrap_or(char::REPLACEMENT_CHARACTER),
                _ => char::REPLACEMENT_CHARACTER,
            })
            .collect(),
    )
}

/// A charset given by a 256-entry table of UTF-16 code units (U+FFFD where undefined).
pub(super) fn table<'a>(bytes: &'a [u8], table: &[u16; 256]) -> Cow<'a, str> {
    if let Some(s) = ascii_only(bytes)
        && bytes.iter().all(|&b| table[usize::from(b)] == u16::from(b))
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        bytes
            .iter()
            .map(|&b| {
                char::from_u32(u32::from(table[usize::from(b)]))
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
    )
}

/// `bytes` as a string when they are all ASCII.
fn ascii_only(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}
