//! Text matching for SEARCH: case- and form-insensitive substring search (RFC 5051
//! `i;unicode-casemap`, I18NLEVEL=1) in decoded header fields (RFC 2047 words) and decoded
//! body text (transfer encodings and charsets), walking MIME parts and encapsulated
//! messages.
//!
//! Most mail is plain ASCII with nothing encoded; for it, and an ASCII search string, the
//! search runs on the raw bytes without decoding or copying.

use memchr::memmem;
use rfc822::mime::{self, Kind, Part};
use rfc822::text::{casemap, decode_words, to_text};

/// A prepared search string.
#[derive(Debug, Clone)]
pub(crate) struct Needle {
    /// Folded.
    folded: String,
    /// Whether the folded string is ASCII (then raw ASCII text can be searched directly).
    ascii: bool,
}

impl Needle {
    /// A needle for `text`.
    pub fn new(text: &str) -> Self {
        let folded = casemap(text);
        let ascii = folded.is_ascii();
        Needle { folded, ascii }
    }

    /// Whether the needle is empty (matches everything).
    pub fn is_empty(&self) -> bool {
        self.folded.is_empty()
    }

    /// Whether decoded text `hay` holds the needle.
    pub fn in_text(&self, hay: &str) -> bool {
        if hay.is_ascii() {
            // Folded ASCII is ASCII: a needle that folds to more cannot be in it.
            return self.ascii && contains_ascii_icase(hay.as_bytes(), self.folded.as_bytes());
        }
        casemap(hay).contains(&self.folded)
    }
}

/// Whether `hay` contains `needle` (lower-case ASCII), ignoring ASCII case.
///
/// The search looks for the needle's rarest byte (as mail text goes) with `memchr`, and
/// compares around each place it occurs: a frequent letter such as `e` would stop the
/// vector search every few bytes.
pub(crate) fn contains_ascii_icase(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.len() < needle.len() {
        return false;
    }
    let k = (0..needle.len())
        .min_by_key(|&i| frequency(needle[i]))
        .unwrap_or(0);
    let (lo, up) = (
        needle[k].to_ascii_lowercase(),
        needle[k].to_ascii_uppercase(),
    );
    // Where the anchor may be: k bytes from the start at least, and room for the rest.
    let window = &hay[k..hay.len() - (needle.len() - 1 - k)];
    let matches_at = |p: usize| hay[p..p + needle.len()].eq_ignore_ascii_case(needle);
    if lo == up {
        memchr::memchr_iter(lo, window).any(matches_at)
    } else {
        memchr::memchr2_iter(lo, up, window).any(matches_at)
    }
}

/// How often a byte turns up in mail text, roughly (higher is more often; case is
/// ignored).
fn frequency(b: u8) -> u8 {
    const LETTERS: &[u8; 26] = b"etaoinshrdlcumwfgypbvkjxqz";
    match b.to_ascii_lowercase() {
        b' ' => 255,
        b'\n' | b'\r' => 120,
        l @ b'a'..=b'z' => {
            let rank = LETTERS.iter().position(|&x| x == l).unwrap_or(25) as u8;
            230 - rank * 8
        }
        b'.' | b',' | b'-' | b'\'' | b'"' => 40,
        b'0'..=b'9' => 30,
        _ => 10,
    }
}

/// Whether a header field named `name` (any, if `None`) in `header` holds the needle.
/// With an empty needle, whether such a field exists.
pub(crate) fn in_header(header: &[u8], name: Option<&[u8]>, needle: &Needle) -> bool {
    if name.is_none() && needle.ascii && plain(header) {
        return contains_ascii_icase(header, needle.folded.as_bytes());
    }
    for f in rfc822::header::fields(header) {
        if f.name.is_empty() {
            continue;
        }
        if let Some(n) = name
            && !f.name.eq_ignore_ascii_case(n)
        {
            continue;
        }
        if needle.is_empty() {
            return true;
        }
        let value = mime::unfold(f.value());
        if needle.in_text(&decode_words(&value)) {
            return true;
        }
        if (f.is("Content-Type") || f.is("Content-Disposition"))
            && memmem::find(&value, b"*=").is_some()
            && super::rfc2231::extended_values(&value)
                .iter()
                .any(|v| needle.in_text(v))
        {
            return true;
        }
    }
    false
}

/// Whether raw bytes are ASCII with nothing encoded (then they are their own text): no
/// ISO-2022 escapes, no RFC 2047 encoded words, no RFC 2231 parameter values.
fn plain(b: &[u8]) -> bool {
    b.is_ascii()
        && memchr::memchr(0x1B, b).is_none()
        && memmem::find(b, b"=?").is_none()
        && memmem::find(b, b"*=").is_none()
}

/// Whether the body text of message `msg` holds the needle; with `header` also the
/// header (SEARCH TEXT).
pub(crate) fn in_message(msg: &[u8], needle: &Needle, with_header: WithHeader) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (_, body_start) = rfc822::header::split(msg);
    let text_is_bytes = msg.is_ascii() && !has_encoding(msg);
    if text_is_bytes && !needle.ascii && plain(msg) {
        // ASCII text folds to ASCII: a needle that does not cannot be in it.
        return false;
    }
    // The body's bytes are its text when nothing in it is encoded (MIME part headers
    // may hold encoded words and RFC 2231 values, and an ASCII needle, once folded,
    // may stand for accented text: "koln" is in "Köln").
    // BODY is the parts' text without their MIME headers (as c-client): the raw bytes of
    // a multipart body are more than that.
    let raw_is_body =
        with_header == WithHeader::Yes || !contains_ascii_icase(&msg[..body_start], b"multipart/");
    if needle.ascii && text_is_bytes && raw_is_body && plain(&msg[body_start..]) {
        let hay = match with_header {
            WithHeader::Yes if plain(&msg[..body_start]) => msg,
            WithHeader::Yes => {
                if in_header(&msg[..body_start], None, needle) {
                    return true;
                }
                &msg[body_start..]
            }
            WithHeader::No => &msg[body_start..],
        };
        return contains_ascii_icase(hay, needle.folded.as_bytes());
    }
    if with_header == WithHeader::Yes && in_header(&msg[..body_start], None, needle) {
        return true;
    }
    let root = mime::parse(msg);
    in_part(msg, &root, needle, with_header)
}

/// Whether SEARCH TEXT also looks at the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WithHeader {
    /// TEXT.
    Yes,
    /// BODY.
    No,
}

/// Whether a message may have encoded content: a transfer encoding to undo, or text in
/// a 7-bit charset whose bytes are not its characters (ISO-2022-*, with escapes, and
/// UTF-7).
fn has_encoding(msg: &[u8]) -> bool {
    memchr::memchr(0x1B, msg).is_some()
        || ascii_icase_find(msg, b"base64")
        || ascii_icase_find(msg, b"quoted-printable")
        || ascii_icase_find(msg, b"utf-7")
}

fn ascii_icase_find(hay: &[u8], lower: &[u8]) -> bool {
    contains_ascii_icase(hay, lower)
}

/// Whether the text of `part` (its body; for a message, its header and body; with
/// `with_header`, also the MIME headers of the parts inside) holds the needle.
fn in_part(msg: &[u8], part: &Part, needle: &Needle, with_header: WithHeader) -> bool {
    match &part.kind {
        // TEXT also looks in the parts' MIME headers, as c-client does.
        Kind::Multipart(children) => children.iter().any(|c| {
            (with_header == WithHeader::Yes && in_header(&msg[c.header.clone()], None, needle))
                || in_part(msg, c, needle, with_header)
        }),
        Kind::Message(inner) => {
            in_header(&msg[inner.header.clone()], None, needle)
                || in_part(msg, inner, needle, with_header)
        }
        Kind::Leaf => {
            let c = &part.content;
            let raw = &msg[part.body.clone()];
            if !(c.media_type == b"text" || c.media_type.is_empty()) {
                // Other content is searched only where it is text as it stands (no
                // transfer encoding), as the fast path on raw bytes does.
                let identity = matches!(c.encoding.as_slice(), b"7BIT" | b"8BIT" | b"BINARY" | b"");
                return identity && needle.in_text(&to_text(None, raw));
            }
            let decoded = rfc822::decode::transfer(&c.encoding, raw)
                .unwrap_or(std::borrow::Cow::Borrowed(raw));
            needle.in_text(&to_text(c.param(b"charset"), &decoded))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_search() {
        assert!(contains_ascii_icase(b"Hello World", b"world"));
        assert!(contains_ascii_icase(b"Hello World", b"o w"));
        assert!(contains_ascii_icase(b"Hello World", b"hello world"));
        assert!(!contains_ascii_icase(b"Hello", b"hello!"));
        assert!(contains_ascii_icase(b"x", b""));
        assert!(contains_ascii_icase(
            b"number 70000 about",
            b"number 70000 "
        ));
        assert!(!contains_ascii_icase(
            b"number 700000 about",
            b"number 70000 "
        ));
        assert!(contains_ascii_icase(b"zq", b"zq"));
        assert!(!contains_ascii_icase(b"zq", b"qz"));
        // Every place and case, against a plain search.
        let hay = b"aXb-zQ7 xyzzy XYZ-7q";
        for len in 1..5 {
            for start in 0..hay.len() - len {
                let needle = hay[start..start + len].to_ascii_lowercase();
                assert!(contains_ascii_icase(hay, &needle), "{needle:?}");
            }
        }
    }

    #[test]
    fn decoded_matches() {
        let n = Needle::new("café");
        let msg = "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\nnothing\r\n".as_bytes();
        assert!(in_message(msg, &n, WithHeader::Yes));
        assert!(!in_message(msg, &n, WithHeader::No));
        let qp = b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCAF=C9 au lait\r\n";
        assert!(in_message(qp, &n, WithHeader::No));
        let b64 = b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8gV29ybGQ=\r\n";
        assert!(in_message(b64, &Needle::new("hello world"), WithHeader::No));
        // The base64 text itself is not the message's text.
        assert!(!in_message(b64, &Needle::new("SGVsbG8"), WithHeader::No));
        let multi = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/png\r\n\r\nneedle\r\n--b\r\nContent-Type: text/plain\r\n\r\nhay\r\n--b--\r\n";
        assert!(in_message(multi, &Needle::new("needle"), WithHeader::No));
        let coded = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\nbmVlZGxl\r\n--b--\r\n";
        assert!(!in_message(coded, &Needle::new("needle"), WithHeader::No));
        assert!(in_message(multi, &Needle::new("HAY"), WithHeader::No));
        assert!(in_header(
            b"To: a@b\r\nSubject: Re: Hi\r\n\r\n",
            Some(b"subject"),
            &Needle::new("re: hi")
        ));
        assert!(in_header(
            b"X-Empty:\r\n\r\n",
            Some(b"x-empty"),
            &Needle::new("")
        ));
        assert!(!in_header(
            b"To: a@b\r\n\r\n",
            Some(b"cc"),
            &Needle::new("")
        ));
    }
}
