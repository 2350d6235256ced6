//! Text in messages: charsets, RFC 2047 encoded words, and the case-and-form folding
//! IMAP SEARCH compares with (RFC 5051 `i;unicode-casemap`, I18NLEVEL=1).
//!
//! The charsets themselves are in [`crate::charset`]; [`Charset`] is re-exported here.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

pub use crate::charset::Charset;
use crate::decode::{QpFlavour, base64, qp};

/// Text in the charset named `charset`. Bytes in no charset or an unknown one are read
/// as c-client infers: 7-bit text with ISO-2022 escapes in the ISO-2022 family they
/// designate (unlabelled Japanese mail is often raw ISO-2022-JP, even in header fields),
/// else as UTF-8 when they are valid UTF-8, else as Windows-1252.
pub fn to_text<'a>(charset: Option<&[u8]>, bytes: &'a [u8]) -> Cow<'a, str> {
    match charset
        .and_then(Charset::from_name)
        .or_else(|| infer_iso2022(bytes))
    {
        Some(c) => c.decode(bytes),
        None => match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Charset::Windows1252.decode(bytes),
        },
    }
}

/// The ISO-2022 charset 7-bit `bytes` are in, judging by their first designation
/// escape: Japanese (`ESC $ B`, `ESC $ @`, `ESC $ ( D`, `ESC ( J`, read as ISO-2022-JP-2,
/// which holds the others), Korean (`ESC $ ) C`) or Chinese (`ESC $ ) A`, `ESC $ ) G`,
/// `ESC $ * H`, `ESC $ ) E`, `ESC $ + I`…).
fn infer_iso2022(bytes: &[u8]) -> Option<Charset> {
    let mut at = memchr::memchr(0x1B, bytes)?;
    if !bytes.is_ascii() {
        return None;
    }
    loop {
        let rest = &bytes[at + 1..];
        let found = match rest {
            [b'$', b'B' | b'@', ..]
            | [b'$', b'(', b'D' | b'B' | b'@', ..]
            | [b'(', b'J' | b'I', ..] => Some(Charset::Iso2022Jp2),
            [b'$', b')', b'C', ..] => Some(Charset::Iso2022Kr),
            [b'$', b')', b'A' | b'G' | b'E', ..]
            | [b'$', b'*', b'H', ..]
            | [b'$', b'+', b'I'..=b'M', ..] => Some(Charset::Iso2022CnExt),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
        at += 1 + memchr::memchr(0x1B, rest)?;
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
///
/// Characters below U+3000 (the alphabets) are folded through a table made once, and
/// CJK ideographs stand for themselves, so folding runs at memory speed rather than
/// character by character through the Unicode tables; text with combining marks that
/// folding keeps (Hebrew points, Arabic vowels…) goes the full way, where canonical
/// reordering puts them in one order.
pub fn casemap(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let table = fold_table();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let u = c as u32;
        if u < 0x80 {
            out.push(c.to_ascii_lowercase());
        } else if u < FOLD_TABLE_END {
            let (start, end, marks) = table.index[u as usize];
            if marks == Marks::Kept {
                return casemap_ordered(s);
            }
            out.push_str(&table.text[start as usize..end as usize]);
        } else if (0x4E00..=0x9FFF).contains(&u) {
            out.push(c);
        } else if fold_char(c, &mut out) == Marks::Kept {
            return casemap_ordered(s);
        }
    }
    out
}

/// [`casemap`] the full way: NFKD of the whole text (marks canonically ordered), then
/// case, then the marks folding drops.
fn casemap_ordered(s: &str) -> String {
    s.nfkd()
        .flat_map(char::to_uppercase)
        .flat_map(char::to_lowercase)
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// Whether folding a character left a combining mark in (one canonical reordering may
/// move).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marks {
    None,
    Kept,
}

/// Folds one character onto `out`.
fn fold_char(c: char, out: &mut String) -> Marks {
    let mut marks = Marks::None;
    unicode_normalization::char::decompose_compatible(c, |d| {
        for l in d.to_uppercase().flat_map(char::to_lowercase) {
            if is_combining_mark(l) {
                continue;
            }
            if unicode_normalization::char::canonical_combining_class(l) != 0 {
                marks = Marks::Kept;
            }
            out.push(l);
        }
    });
    marks
}

/// The code points the fold table covers (all alphabets; CJK starts at U+3000).
const FOLD_TABLE_END: u32 = 0x3000;

/// Each character's folding below [`FOLD_TABLE_END`]: `text[start..end]`.
#[derive(Debug)]
struct FoldTable {
    text: String,
    index: Vec<(u32, u32, Marks)>,
}

fn fold_table() -> &'static FoldTable {
    static TABLE: std::sync::OnceLock<FoldTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut text = String::new();
        let mut index = Vec::with_capacity(FOLD_TABLE_END as usize);
        for u in 0..FOLD_TABLE_END {
            let start = text.len();
            let marks = match char::from_u32(u) {
                Some(c) => fold_char(c, &mut text),
                None => Marks::None,
            };
            // The table is some tens of kilobytes: offsets fit.
            index.push((start as u32, text.len() as u32, marks));
        }
        FoldTable { text, index }
    })
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

    #[test]
    fn fast_folding_is_the_full_folding() {
        // Every character below U+3100 and a sample above, alone and in text.
        let mut all = String::new();
        for u in (0x80..0x3100).chain((0x3100..0x11_0000).step_by(97)) {
            if let Some(c) = char::from_u32(u) {
                let one = c.to_string();
                assert_eq!(casemap(&one), casemap_ordered(&one), "U+{u:04X}");
                all.push(c);
                all.push(' ');
            }
        }
        assert_eq!(casemap(&all), casemap_ordered(&all));
        for s in [
            "Grüße aus Köln",
            "ПРИВЕТ мир",
            "ΚΌΣΜΕ ς",
            "שָׁלוֹם",
            "مَرْحَبًا",
            "日本語のテキスト ﾃﾞｰﾀ",
            "안녕하세요",
            "ǅemal ﬃ ⑵",
        ] {
            assert_eq!(casemap(s), casemap_ordered(s), "{s}");
        }
    }

    #[test]
    fn unlabelled_iso2022_is_inferred() {
        assert_eq!(
            to_text(None, b"\x1b$BF|K\\8l$N%F%-%9%H\x1b(B"),
            "日本語のテキスト"
        );
        assert_eq!(
            decode_words(b"Re: \x1b$BF|K\\8l\x1b(B =?UTF-8?Q?caf=C3=A9?="),
            "Re: 日本語 café"
        );
        assert_eq!(to_text(None, b"\x1b$)C\x0e>H3g\x0f"), "안녕");
        // An escape that designates nothing known, or 8-bit text, is not ISO-2022.
        assert_eq!(to_text(None, b"a\x1b[0mb"), "a\u{1b}[0mb");
        assert_eq!(to_text(None, b"\x1b$B\xe9"), "\u{1b}$Bé");
    }
}
