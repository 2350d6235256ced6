//! Modified UTF-7, the encoding of international mailbox names (RFC 3501 §5.1.3).
//!
//! ```text
//! Printable US-ASCII characters, except "&", represent themselves (octets 0x20-0x25 and
//! 0x27-0x7e). "&" is written "&-". All other characters (0x00-0x1f, 0x7f and beyond) are
//! written in modified BASE64: "&", the UTF-16 code units in base64 with "," for "/" and
//! no "=" padding, then "-".
//! ```
//!
//! A name has one spelling only, and [`decode`] refuses every other: no 8-bit octet (that
//! was "reserved for future use with UTF-8"), no raw control character, every `&` starts a
//! run ended by `-`, a run never encodes a printable US-ASCII character, two runs are
//! never adjacent (`&AGE-&AGI-` is `&AGEAYg-`), the bits left over after the last code
//! unit are fewer than six and all zero, and surrogates come in pairs. [`encode`] writes
//! that one spelling, so `decode(encode(s)) == s` for every string and
//! `encode(decode(x)) == x` for every valid `x`.
//!
//! Mailbox names are stored in this form; a client that enabled UTF8=ACCEPT (RFC 6855)
//! speaks UTF-8, and the session converts with these functions.

/// Why bytes are not modified UTF-7, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {at}")]
pub struct Mutf7Error {
    /// What is wrong.
    pub kind: Mutf7ErrorKind,
    /// The offset in the input of the byte at fault (for a whole run: its `&`, or its
    /// closing `-` when the fault is in how the run ends).
    pub at: usize,
}

/// What is wrong with bytes that are not modified UTF-7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Mutf7ErrorKind {
    /// An octet with the high bit set.
    #[error("8-bit octet")]
    EightBit,
    /// A control character (0x00–0x1F, 0x7F) written as itself instead of in a run.
    #[error("control character outside a modified BASE64 run")]
    Control,
    /// An `&` whose run has no closing `-`.
    #[error("unterminated modified BASE64 run")]
    Unterminated,
    /// A byte inside a run that is not modified BASE64 (`A-Z a-z 0-9 + ,`).
    #[error("byte that is not modified BASE64 inside a run")]
    NotBase64,
    /// A run that encodes a printable US-ASCII character, which must stand for itself
    /// (or, for `&`, be written `&-`).
    #[error("run encoding a printable US-ASCII character")]
    EncodesAscii,
    /// A run right after another run: the two must be one.
    #[error("run right after another run, which must be one with it")]
    SplitRun,
    /// A run whose last BASE64 character holds no bits of a code unit (six bits or more
    /// left over).
    #[error("wrong number of bits left over at the end of a run")]
    LeftoverBits,
    /// A run whose left-over bits are not all zero.
    #[error("nonzero padding bits at the end of a run")]
    NonzeroPadding,
    /// A UTF-16 surrogate without its partner.
    #[error("unpaired UTF-16 surrogate")]
    UnpairedSurrogate,
}

/// Decodes a modified UTF-7 name, refusing anything but the one canonical spelling (see
/// the module documentation).
pub fn decode(input: &[u8]) -> Result<String, Mutf7Error> {
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    // Where the last run ended (the offset just after its `-`), to find adjacent runs.
    let mut run_end = None;
    while i < input.len() {
        let b = input[i];
        let err = |kind| Err(Mutf7Error { kind, at: i });
        match b {
            0x80.. => return err(Mutf7ErrorKind::EightBit),
            0x00..=0x1f | 0x7f => return err(Mutf7ErrorKind::Control),
            b'&' => {
                let start = i;
                let Some(len) = input[start + 1..].iter().position(|&c| c == b'-') else {
                    return err(Mutf7ErrorKind::Unterminated);
                };
                let close = start + 1 + len;
                if len == 0 {
                    out.push('&');
                } else {
                    if run_end == Some(start) {
                        return err(Mutf7ErrorKind::SplitRun);
                    }
                    decode_run(input, start, close, &mut out)?;
                    run_end = Some(close + 1);
                }
                i = close + 1;
            }
            _ => {
                out.push(char::from(b));
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Whether `input` is modified UTF-7 in its canonical spelling.
pub fn is_valid(input: &[u8]) -> bool {
    decode(input).is_ok()
}

/// Encodes a name in modified UTF-7.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut units: Vec<u16> = Vec::new();
    for c in s.chars() {
        if is_direct(c) {
            flush_run(&mut units, &mut out);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush_run(&mut units, &mut out);
    out
}

/// Whether `c` is written as itself (`&` is, followed by `-`).
fn is_direct(c: char) -> bool {
    matches!(c, ' '..='~')
}

/// The modified BASE64 alphabet.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// The value of modified BASE64 character `b`.
fn sextet(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    }))
}

/// Decodes the run `input[start..=close]` (`&`, BASE64, `-`) onto `out`.
fn decode_run(
    input: &[u8],
    start: usize,
    close: usize,
    out: &mut String,
) -> Result<(), Mutf7Error> {
    let err = |kind, at| Err(Mutf7Error { kind, at });
    let mut bits: u32 = 0;
    let mut nbits = 0u32;
    let mut high: Option<u16> = None;
    for (at, &b) in input.iter().enumerate().take(close).skip(start + 1) {
        let Some(v) = sextet(b) else {
            return err(Mutf7ErrorKind::NotBase64, at);
        };
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits < 16 {
            continue;
        }
        nbits -= 16;
        // The top 16 of the bits held make a code unit; the truncation is the point.
        let unit = ((bits >> nbits) & 0xffff) as u16;
        bits &= (1 << nbits) - 1;
        let c = match (high.take(), unit) {
            (None, 0xd800..=0xdbff) => {
                high = Some(unit);
                continue;
            }
            (None, 0xdc00..=0xdfff) | (Some(_), 0..=0xdbff | 0xe000..) => {
                return err(Mutf7ErrorKind::UnpairedSurrogate, at);
            }
            (None, u) => char::from_u32(u32::from(u)),
            (Some(h), low) => char::from_u32(
                0x10000 + ((u32::from(h) - 0xd800) << 10) + (u32::from(low) - 0xdc00),
            ),
        };
        let Some(c) = c else {
            return err(Mutf7ErrorKind::UnpairedSurrogate, at);
        };
        if is_direct(c) {
            return err(Mutf7ErrorKind::EncodesAscii, at);
        }
        out.push(c);
    }
    if high.is_some() {
        return err(Mutf7ErrorKind::UnpairedSurrogate, close);
    }
    if nbits >= 6 {
        return err(Mutf7ErrorKind::LeftoverBits, close);
    }
    if bits != 0 {
        return err(Mutf7ErrorKind::NonzeroPadding, close);
    }
    Ok(())
}

/// Writes the pending code units as a run, if there are any.
fn flush_run(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut nbits = 0u32;
    for &u in units.iter() {
        bits = (bits << 16) | u32::from(u);
        nbits += 16;
        while nbits >= 6 {
            nbits -= 6;
            out.push(char::from(ALPHABET[((bits >> nbits) & 0x3f) as usize]));
        }
        bits &= (1 << nbits) - 1;
    }
    if nbits > 0 {
        out.push(char::from(
            ALPHABET[((bits << (6 - nbits)) & 0x3f) as usize],
        ));
    }
    out.push('-');
    units.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(input: &str) -> Mutf7Error {
        decode(input.as_bytes()).expect_err(input)
    }

    #[test]
    fn rfc3501_section_5_1_3_example() {
        let name = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
        assert_eq!(decode(name.as_bytes()).unwrap(), "~peter/mail/台北/日本語");
        assert_eq!(encode("~peter/mail/台北/日本語"), name);
    }

    #[test]
    fn known_answers() {
        for (text, wire) in [
            ("", ""),
            ("INBOX", "INBOX"),
            ("&", "&-"),
            ("a&b", "a&-b"),
            ("&&", "&-&-"),
            ("ĀĂ", "&AQABAg-"),
            ("ÁĂ", "&AMEBAg-"),
            ("á", "&AOE-"),
            ("áb", "&AOE-b"),
            ("á&", "&AOE-&-"),
            ("áâ", "&AOEA4g-"),
            ("\t", "&AAk-"),
            ("\u{7f}", "&AH8-"),
            ("😀", "&2D3eAA-"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("Корзина", "&BBoEPgRABDcEOAQ9BDA-"),
        ] {
            assert_eq!(encode(text), wire, "encode {text:?}");
            assert_eq!(decode(wire.as_bytes()).unwrap(), text, "decode {wire:?}");
            assert!(is_valid(wire.as_bytes()));
        }
    }

    #[test]
    fn non_canonical_spellings_are_refused() {
        use Mutf7ErrorKind as K;
        let cases: &[(&[u8], K, usize)] = &[
            (b"caf\xc3\xa9", K::EightBit, 3),
            (b"a\tb", K::Control, 1),
            (b"\x7f", K::Control, 0),
            (b"a&", K::Unterminated, 1),
            (b"a&AOE", K::Unterminated, 1),
            (b"&AO.E-", K::NotBase64, 3),
            (b"&AO/E-", K::NotBase64, 3),
            (b"&AO=-", K::NotBase64, 3),
            // "a", "&" and a space in a run.
            (b"&AGE-", K::EncodesAscii, 3),
            (b"&ACY-", K::EncodesAscii, 3),
            (b"&ACA-", K::EncodesAscii, 3),
            (b"&AOEAYQ-", K::EncodesAscii, 6),
            // The example of the brief: two runs that must be one.
            (b"&AOE-&AOI-", K::SplitRun, 5),
            (b"&AOF-", K::NonzeroPadding, 4),
            (b"&AOEA-", K::LeftoverBits, 5),
            (b"&A-", K::LeftoverBits, 2),
            (b"&AOEA4gA-", K::LeftoverBits, 8),
            // A high surrogate alone, then followed by a non-surrogate; a low one alone.
            (b"&2D0-", K::UnpairedSurrogate, 4),
            (b"&2D0AYQ-", K::UnpairedSurrogate, 6),
            (b"&3gA-", K::UnpairedSurrogate, 3),
        ];
        for &(input, kind, at) in cases {
            let e = decode(input).expect_err(&String::from_utf8_lossy(input));
            assert_eq!(
                e,
                Mutf7Error { kind, at },
                "{}",
                String::from_utf8_lossy(input)
            );
            assert!(!is_valid(input));
        }
        // The spelling utf7-imap accepts: "áâ" as two runs.
        assert_eq!(fails("&AGE-&AGI-").kind, K::EncodesAscii);
        assert_eq!(fails("&AOE-&AOI-").kind, K::SplitRun);
        // `&-` between runs separates them: that is "á&â", canonical.
        assert_eq!(decode(b"&AOE-&-&AOI-").unwrap(), "á&â");
        assert_eq!(
            fails("x&AGE").to_string(),
            "unterminated modified BASE64 run at byte 1"
        );
    }

    /// xorshift64*: a small deterministic generator for the round trips.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// A string mixing ASCII (printable and not, `&` often), Latin, CJK and astral
        /// characters.
        fn string(&mut self) -> String {
            (0..self.below(12))
                .map(|_| {
                    let cp = match self.below(6) {
                        0 => 0x26,
                        1 => self.below(0x80) as u32,
                        2 => 0x20 + self.below(0x5f) as u32,
                        3 => 0x80 + self.below(0x780) as u32,
                        4 => 0x4e00 + self.below(0x5000) as u32,
                        _ => 0x10000 + self.below(0x100000) as u32,
                    };
                    char::from_u32(cp).unwrap_or('\u{fffd}')
                })
                .collect()
        }
    }

    #[test]
    fn round_trips() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let s = rng.string();
            let wire = encode(&s);
            assert!(wire.bytes().all(|b| (0x20..0x7f).contains(&b)), "{wire:?}");
            assert_eq!(decode(wire.as_bytes()).as_deref(), Ok(s.as_str()), "{s:?}");
        }
    }

    #[test]
    fn valid_inputs_are_their_own_canonical_form() {
        // Random bytes over the alphabet of encoded names: whatever decodes re-encodes
        // to the same bytes.
        const PIECES: &[&[u8]] = &[
            b"&",
            b"-",
            b"&-",
            b"A",
            b"O",
            b"E",
            b"g",
            b"2D",
            b"3g",
            b",",
            b"+",
            b"a",
            b"/",
            b"&AOE",
            b"&U,BTFw-",
            b"AA",
            b"\t",
            b"\xc3\xa9",
            b"4",
        ];
        let mut rng = Rng(7);
        let mut valid = 0;
        for _ in 0..50_000 {
            let mut x = Vec::new();
            for _ in 0..rng.below(8) {
                x.extend_from_slice(PIECES[rng.below(PIECES.len() as u64) as usize]);
            }
            if let Ok(s) = decode(&x) {
                valid += 1;
                assert_eq!(encode(&s).as_bytes(), x.as_slice(), "{s:?}");
            }
        }
        assert!(valid > 1000, "only {valid} valid inputs");
    }
}
