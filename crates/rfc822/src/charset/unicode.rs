//! The Unicode encodings other than UTF-8: UTF-7 (RFC 2152), UTF-16 and UCS-2 (RFC 2781),
//! and UCS-4.

use std::borrow::Cow;

/// How the byte order of UTF-16 is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ByteOrder {
    /// From a byte order mark, which is dropped; big-endian without one (RFC 2781 §4.3).
    Sniff,
    /// Big-endian.
    Big,
    /// Little-endian.
    Little,
}

/// UTF-16 (and UCS-2, read the same way: a UCS-2 text never holds surrogates).
pub(super) fn utf16(bytes: &[u8], order: ByteOrder) -> Cow<'_, str> {
    let (encoding, rest) = match order {
        ByteOrder::Big => (encoding_rs::UTF_16BE, bytes),
        ByteOrder::Little => (encoding_rs::UTF_16LE, bytes),
        ByteOrder::Sniff => match bytes {
            [0xFF, 0xFE, rest @ ..] => (encoding_rs::UTF_16LE, rest),
            [0xFE, 0xFF, rest @ ..] => (encoding_rs::UTF_16BE, rest),
            _ => (encoding_rs::UTF_16BE, bytes),
        },
    };
    encoding.decode_without_bom_handling(rest).0
}

/// UCS-4: big-endian unless a byte order mark says otherwise; a value that is not a
/// Unicode scalar value, and a short last group, are U+FFFD.
pub(super) fn ucs4(bytes: &[u8]) -> Cow<'_, str> {
    let (little, rest) = match bytes {
        [0xFF, 0xFE, 0, 0, rest @ ..] => (true, rest),
        [0, 0, 0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    let mut out = String::with_capacity(rest.len() / 4 + 1);
    let mut groups = rest.chunks_exact(4);
    for g in &mut groups {
        let word = [g[0], g[1], g[2], g[3]];
        let v = if little {
            u32::from_le_bytes(word)
        } else {
            u32::from_be_bytes(word)
        };
        out.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    if !groups.remainder().is_empty() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    Cow::Owned(out)
}

/// UTF-7 (RFC 2152). `+` starts modified base64 of UTF-16, which ends at the first byte
/// outside the base64 alphabet (a `-` there is absorbed); `+-` is `+`. Other ASCII stands
/// for itself. Malformed input (8-bit bytes, lone surrogates, leftover bits that are not
/// zero padding) is U+FFFD.
pub(super) fn utf7(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii()
        && !bytes.contains(&b'+')
        && let Ok(s) = std::str::from_utf8(bytes)
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b >= 0x80 {
            out.push(char::REPLACEMENT_CHARACTER);
        } else if b != b'+' {
            out.push(char::from(b));
        } else if bytes.get(i) == Some(&b'-') {
            out.push('+');
            i += 1;
        } else {
            let mut run = Base64Run::default();
            while let Some(v) = bytes.get(i).and_then(|&c| base64_value(c)) {
                run.push(v, &mut out);
                i += 1;
            }
            run.finish(&mut out);
            if bytes.get(i) == Some(&b'-') {
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// The state of one base64 run of UTF-7.
#[derive(Debug, Default)]
struct Base64Run {
    /// Bits not yet used, in the low `nbits` bits.
    bits: u32,
    /// How many.
    nbits: u32,
    /// A high surrogate waiting for its low half.
    high: Option<u16>,
}

impl Base64Run {
    /// Takes six more bits.
    fn push(&mut self, v: u8, out: &mut String) {
        self.bits = (self.bits << 6 | u32::from(v)) & 0x3F_FFFF;
        self.nbits += 6;
        if self.nbits >= 16 {
            self.nbits -= 16;
            let unit = (self.bits >> self.nbits) & 0xFFFF;
            self.unit(unit as u16, out);
        }
    }

    /// One UTF-16 code unit.
    fn unit(&mut self, unit: u16, out: &mut String) {
        match (self.high.take(), unit) {
            (Some(h), 0xDC00..=0xDFFF) => {
                let c = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                out.push(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            (pending, _) => {
                if pending.is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                match unit {
                    0xD800..=0xDBFF => self.high = Some(unit),
                    _ => out.push(
                        char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
                    ),
                }
            }
        }
    }

    /// The run ends: a lone high surrogate, or leftover bits that are not zero padding of
    /// less than six bits, are malformed.
    fn finish(self, out: &mut String) {
        let mask = (1u32 << self.nbits) - 1;
        if self.high.is_some() || self.nbits >= 6 || self.bits & mask != 0 {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// The value of a base64 digit (RFC 2045's alphabet), if `c` is one.
fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}
