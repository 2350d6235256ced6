//! Content-Transfer-Encodings (RFC 2045 §6): base64 and quoted-printable.
//!
//! Decoding is lenient, as mail readers are: characters outside the base64 alphabet are
//! skipped, a quoted-printable `=` not followed by two hex digits or a line end is kept as
//! it is. [`transfer`] reports only an encoding it does not know (IMAP `UNKNOWN-CTE`).

use std::borrow::Cow;

/// A Content-Transfer-Encoding this crate cannot decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown Content-Transfer-Encoding {0}")]
pub struct UnknownEncoding(pub String);

/// Decodes `data` from `encoding` (as a Content-Transfer-Encoding value, any case);
/// `7BIT`, `8BIT` and `BINARY` are the data itself.
pub fn transfer<'a>(encoding: &[u8], data: &'a [u8]) -> Result<Cow<'a, [u8]>, UnknownEncoding> {
    let e = encoding.trim_ascii();
    if e.eq_ignore_ascii_case(b"BASE64") {
        Ok(Cow::Owned(base64(data)))
    } else if e.eq_ignore_ascii_case(b"QUOTED-PRINTABLE") {
        Ok(Cow::Owned(quoted_printable(data)))
    } else if e.is_empty()
        || e.eq_ignore_ascii_case(b"7BIT")
        || e.eq_ignore_ascii_case(b"8BIT")
        || e.eq_ignore_ascii_case(b"BINARY")
    {
        Ok(Cow::Borrowed(data))
    } else {
        Err(UnknownEncoding(String::from_utf8_lossy(e).into_owned()))
    }
}

/// The value of a base64 character, or `None`.
fn b64_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Decodes base64 (RFC 2045 §6.8), skipping what is not in the alphabet and stopping at
/// the first `=`.
pub fn base64(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in data {
        if c == b'=' {
            break;
        }
        let Some(v) = b64_value(c) else { continue };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Encodes base64 with no line breaks.
pub fn base64_encode(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes quoted-printable (RFC 2045 §6.7): `=XX` escapes and `=` soft line breaks.
pub fn quoted_printable(data: &[u8]) -> Vec<u8> {
    qp(data, QpFlavour::Body)
}

/// Which quoted-printable: a body's, or RFC 2047's `Q` (where `_` is a space).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum QpFlavour {
    Body,
    Word,
}

pub(crate) fn qp(data: &[u8], flavour: QpFlavour) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        if c == b'_' && flavour == QpFlavour::Word {
            out.push(b' ');
            i += 1;
            continue;
        }
        if c != b'=' {
            out.push(c);
            i += 1;
            continue;
        }
        if let (Some(h), Some(l)) = (
            data.get(i + 1).copied().and_then(hex),
            data.get(i + 2).copied().and_then(hex),
        ) {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        // A soft line break: "=" then optional white space, then the line end.
        let mut j = i + 1;
        while j < data.len() && (data[j] == b' ' || data[j] == b'\t') {
            j += 1;
        }
        if data.get(j) == Some(&b'\r') && data.get(j + 1) == Some(&b'\n') {
            i = j + 2;
        } else if data.get(j) == Some(&b'\n') {
            i = j + 1;
        } else if j == data.len() {
            i = j;
        } else {
            out.push(b'=');
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known_answers() {
        assert_eq!(base64(b"SGVsbG8sIHdvcmxkIQ=="), b"Hello, world!");
        assert_eq!(
            base64(b"SGVs\r\nbG8s\r\nIHdv cmxk IQ==\r\n"),
            b"Hello, world!"
        );
        assert_eq!(base64(b""), b"");
        for s in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(base64(base64_encode(s).as_bytes()), s);
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
    }

    #[test]
    fn quoted_printable_known_answers() {
        assert_eq!(quoted_printable(b"caf=C3=A9 =3D x"), "café = x".as_bytes());
        assert_eq!(quoted_printable(b"soft=\r\nbreak"), b"softbreak");
        assert_eq!(quoted_printable(b"soft=  \nbreak"), b"softbreak");
        assert_eq!(quoted_printable(b"bad =ZZ end="), b"bad =ZZ end");
        assert_eq!(qp(b"a_b=5F", QpFlavour::Word), b"a b_");
    }

    #[test]
    fn transfer_names() {
        assert_eq!(transfer(b" Base64 ", b"YQ==").unwrap().as_ref(), b"a");
        assert_eq!(transfer(b"7bit", b"x").unwrap().as_ref(), b"x");
        assert_eq!(
            transfer(b"x-uuencode", b"x"),
            Err(UnknownEncoding("x-uuencode".into()))
        );
    }
}
