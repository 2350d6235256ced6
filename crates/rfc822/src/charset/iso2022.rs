//! The 7-bit ISO-2022 charsets of mail, decode only.
//!
//! One state machine (ISO/IEC 2022 code extension: four graphic sets G0–G3, G0 or G1
//! invoked into GL by SI / SO, G2 and G3 reached for one character by the single shifts
//! `ESC N` / `ESC O`) serves every variant. The designations it knows:
//!
//! | escape        | set                        | into | used by              |
//! |---------------|----------------------------|------|----------------------|
//! | `ESC ( B`     | ASCII                      | G0   | all                  |
//! | `ESC ( J`     | JIS X 0201 Roman           | G0   | JP (RFC 1468)        |
//! | `ESC ( I`     | JIS X 0201 katakana        | G0   | JP (common practice) |
//! | `ESC $ @`, `ESC $ B`, `ESC $ ( B` | JIS X 0208 | G0 | JP                   |
//! | `ESC $ ( D`   | JIS X 0212                 | G0   | JP-1 (RFC 2237), JP-2|
//! | `ESC $ A`     | GB 2312                    | G0   | JP-2 (RFC 1554)      |
//! | `ESC $ ( C`   | KS C 5601                  | G0   | JP-2                 |
//! | `ESC . A`, `ESC . F` | ISO-8859-1, -7 upper halves | G2 | JP-2 (with `ESC N`) |
//! | `ESC $ ) C`   | KS C 5601                  | G1   | KR (RFC 1557)        |
//! | `ESC $ ) A`   | GB 2312                    | G1   | CN (RFC 1922)        |
//! | `ESC $ ) G`   | CNS 11643 plane 1          | G1   | CN                   |
//! | `ESC $ * H`   | CNS 11643 plane 2          | G2   | CN (with `ESC N`)    |
//! | `ESC $ ) E`   | ISO-IR-165                 | G1   | CN-EXT               |
//! | `ESC $ + I`…`M` | CNS 11643 planes 3–7     | G3   | CN-EXT (with `ESC O`)|
//!
//! Every variant accepts every designation (a decoder loses nothing by knowing more);
//! they differ in two things. ISO-2022-KR starts with KS C 5601 in G1, as glibc does, since
//! its designation sits once at the top of the text and may have been cut off. The CN
//! variants forget G1–G3 and shift back to ASCII at each end of line (RFC 1922 §2:
//! designations hold until the end of the line).
//!
//! 94x94 characters are decoded in runs: JIS X 0208 and 0212 by encoding_rs's EUC-JP
//! (0212 behind the 0x8F prefix), GB 2312 by its GBK and KS C 5601 by its EUC-KR, each byte
//! with bit 7 set; ISO-IR-165 and CNS 11643 from the generated tables. Bytes with bit 7
//! set, incomplete pairs, and unknown escape sequences are U+FFFD.

use std::borrow::Cow;

use encoding_rs::Encoding;

use super::tables::{CnsPlane, Plane};

/// Escape.
const ESC: u8 = 0x1B;
/// Shift out: G1 into GL.
const SO: u8 = 0x0E;
/// Shift in: G0 into GL.
const SI: u8 = 0x0F;

/// A member of the ISO-2022 family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Variant {
    /// ISO-2022-JP (RFC 1468).
    Jp,
    /// ISO-2022-JP-1 (RFC 2237).
    Jp1,
    /// ISO-2022-JP-2 (RFC 1554).
    Jp2,
    /// ISO-2022-KR (RFC 1557).
    Kr,
    /// ISO-2022-CN (RFC 1922).
    Cn,
    /// ISO-2022-CN-EXT (RFC 1922).
    CnExt,
}

/// A graphic character set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Set {
    /// ASCII.
    Ascii,
    /// JIS X 0201 Roman: ASCII with ¥ and ‾ for \ and ~.
    JisRoman,
    /// JIS X 0201 katakana (half-width).
    JisKana,
    /// The upper half of ISO-8859-1, a 96-set.
    Latin1High,
    /// The upper half of ISO-8859-7, a 96-set.
    GreekHigh,
    /// JIS X 0208.
    Jis0208,
    /// JIS X 0212.
    Jis0212,
    /// GB 2312.
    Gb2312,
    /// KS C 5601.
    Ksc5601,
    /// A generated 94x94 table.
    Table(Plane),
}

impl Set {
    /// Whether the set's characters are two bytes.
    fn is_double(self) -> bool {
        matches!(
            self,
            Set::Jis0208 | Set::Jis0212 | Set::Gb2312 | Set::Ksc5601 | Set::Table(_)
        )
    }
}

/// What an escape sequence does.
#[derive(Clone, Copy, Debug)]
enum Escape {
    /// Designates a set into G0–G3.
    Designate(usize, Set),
    /// The next character comes from G2 (2) or G3 (3).
    SingleShift(usize),
    /// Announces something that changes nothing here (`ESC & @`).
    Ignore,
}

/// `bytes` in the ISO-2022 variant `variant`.
pub(super) fn decode(bytes: &[u8], variant: Variant) -> Cow<'_, str> {
    if bytes.is_ascii()
        && !bytes.iter().any(|&b| b == ESC || b == SO || b == SI)
        && let Ok(s) = std::str::from_utf8(bytes)
    {
        return Cow::Borrowed(s);
    }
    let mut d = Decoder::new(variant, bytes.len());
    d.run(bytes);
    d.finish()
}

/// The decoder's state.
#[derive(Debug)]
struct Decoder {
    /// Which variant.
    variant: Variant,
    /// G0–G3.
    g: [Option<Set>; 4],
    /// Whether SO is in force (G1 in GL).
    shifted: bool,
    /// The text so far.
    out: String,
    /// Characters of one 94x94 set waiting to be decoded together, as EUC bytes.
    run: Vec<u8>,
    /// Their set.
    run_set: Option<Set>,
}

impl Decoder {
    /// A decoder at the start of a text of about `len` bytes.
    fn new(variant: Variant, len: usize) -> Decoder {
        let g1 = if variant == Variant::Kr {
            Some(Set::Ksc5601)
        } else {
            None
        };
        Decoder {
            variant,
            g: [Some(Set::Ascii), g1, None, None],
            shifted: false,
            out: String::with_capacity(len * 3 / 2),
            run: Vec::new(),
            run_set: None,
        }
    }

    /// Decodes all of `bytes`.
    fn run(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                ESC => match escape(&bytes[i..]) {
                    Some((len, Escape::Designate(g, set))) => {
                        self.g[g] = Some(set);
                        i += len;
                    }
                    Some((len, Escape::SingleShift(mut g))) => {
                        i += len;
                        // glibc's ISO-2022-CN encoder sometimes doubles the single shift
                        // ("ESC N ESC N"); the last one counts.
                        while let Some((2, Escape::SingleShift(again))) = bytes
                            .get(i..)
                            .filter(|r| r.first() == Some(&ESC))
                            .and_then(escape)
                        {
                            g = again;
                            i += 2;
                        }
                        i += self.single_shift(g, &bytes[i..]);
                    }
                    Some((len, Escape::Ignore)) => i += len,
                    None => {
                        self.push(char::REPLACEMENT_CHARACTER);
                        i += 1;
                    }
                },
                SO => {
                    self.shifted = true;
                    i += 1;
                }
                SI => {
                    self.shifted = false;
                    i += 1;
                }
                b'\n' => {
                    self.push('\n');
                    if matches!(self.variant, Variant::Cn | Variant::CnExt) {
                        self.g[1] = None;
                        self.g[2] = None;
                        self.g[3] = None;
                        self.shifted = false;
                    }
                    i += 1;
                }
                // Controls, space and DEL stand for themselves in every set.
                0x00..=0x20 | 0x7F => {
                    self.push(char::from(b));
                    i += 1;
                }
                0x80..=0xFF => {
                    self.push(char::REPLACEMENT_CHARACTER);
                    i += 1;
                }
                _ => {
                    let set = if self.shifted { self.g[1] } else { self.g[0] };
                    i += self.graphic(set, &bytes[i..]);
                }
            }
        }
    }

    /// One character from G2 or G3 (after `ESC N` / `ESC O`); the bytes it used.
    fn single_shift(&mut self, g: usize, rest: &[u8]) -> usize {
        match rest.first() {
            Some(&b) if (0x20..=0x7F).contains(&b) => self.graphic(self.g[g], rest),
            _ => {
                self.push(char::REPLACEMENT_CHARACTER);
                0
            }
        }
    }

    /// One character of `set` at the start of `rest` (whose first byte is 0x21–0x7E, or
    /// 0x20–0x7F after a single shift); the bytes it used.
    fn graphic(&mut self, set: Option<Set>, rest: &[u8]) -> usize {
        let Some(&b) = rest.first() else {
            return 0;
        };
        let Some(set) = set else {
            self.push(char::REPLACEMENT_CHARACTER);
            return 1;
        };
        if !set.is_double() {
            let c = match set {
                Set::JisRoman if b == b'\\' => '\u{A5}',
                Set::JisRoman if b == b'~' => '\u{203E}',
                Set::JisKana if (0x21..=0x5F).contains(&b) => {
                    char::from_u32(0xFF61 + u32::from(b - 0x21))
                        .unwrap_or(char::REPLACEMENT_CHARACTER)
                }
                Set::JisKana => char::REPLACEMENT_CHARACTER,
                Set::Latin1High => char::from(b | 0x80),
                Set::GreekHigh => {
                    self.queue(Set::GreekHigh, &[b | 0x80]);
                    return 1;
                }
                _ => char::from(b),
            };
            self.push(c);
            return 1;
        }
        let lo = match rest.get(1) {
            Some(&lo) if (0x21..=0x7E).contains(&lo) && (0x21..=0x7E).contains(&b) => lo,
            _ => {
                self.push(char::REPLACEMENT_CHARACTER);
                return 1;
            }
        };
        match set {
            Set::Table(plane) => {
                self.push(plane.cell(b, lo).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            Set::Jis0212 => self.queue(set, &[0x8F, b | 0x80, lo | 0x80]),
            Set::Gb2312 => match gb2312_exception(b, lo) {
                Some(c) => self.push(c),
                None => self.queue(set, &[b | 0x80, lo | 0x80]),
            },
            _ => self.queue(set, &[b | 0x80, lo | 0x80]),
        }
        2
    }

    /// Adds the EUC bytes of one character of `set` to the run.
    fn queue(&mut self, set: Set, euc: &[u8]) {
        if self.run_set != Some(set) {
            self.flush();
            self.run_set = Some(set);
        }
        self.run.extend_from_slice(euc);
    }

    /// Decodes the run.
    fn flush(&mut self) {
        let Some(set) = self.run_set.take() else {
            return;
        };
        let encoding: &'static Encoding = match set {
            Set::Jis0208 | Set::Jis0212 => encoding_rs::EUC_JP,
            Set::Gb2312 => encoding_rs::GBK,
            Set::Ksc5601 => encoding_rs::EUC_KR,
            Set::GreekHigh => encoding_rs::ISO_8859_7,
            _ => encoding_rs::UTF_8,
        };
        let (text, _) = encoding.decode_without_bom_handling(&self.run);
        self.out.push_str(&text);
        self.run.clear();
    }

    /// Adds one character, after the run.
    fn push(&mut self, c: char) {
        self.flush();
        self.out.push(c);
    }

    /// The text.
    fn finish(mut self) -> Cow<'static, str> {
        self.flush();
        Cow::Owned(self.out)
    }
}

/// The two GB 2312 cells where GBK (and so encoding_rs) departs from GB 2312 itself
/// (Unicode's GB2312.TXT, glibc): 0x2124 is U+30FB KATAKANA MIDDLE DOT, not U+00B7, and
/// 0x212A is U+2015 HORIZONTAL BAR, not U+2014.
fn gb2312_exception(hi: u8, lo: u8) -> Option<char> {
    match (hi, lo) {
        (0x21, 0x24) => Some('\u{30FB}'),
        (0x21, 0x2A) => Some('\u{2015}'),
        _ => None,
    }
}

/// The escape sequence at the start of `s` (which starts with ESC), and its length.
fn escape(s: &[u8]) -> Option<(usize, Escape)> {
    use Escape::{Designate, Ignore, SingleShift};
    let cns = |n| CnsPlane::new(n).map(|p| Set::Table(Plane::Cns(p)));
    let e = match s.get(1..)? {
        [b'(', b'B', ..] => (3, Designate(0, Set::Ascii)),
        [b'(', b'J', ..] => (3, Designate(0, Set::JisRoman)),
        [b'(', b'I', ..] => (3, Designate(0, Set::JisKana)),
        [b'$', b'@', ..] | [b'$', b'B', ..] => (3, Designate(0, Set::Jis0208)),
        [b'$', b'A', ..] => (3, Designate(0, Set::Gb2312)),
        [b'$', b'(', b'@', ..] | [b'$', b'(', b'B', ..] => (4, Designate(0, Set::Jis0208)),
        [b'$', b'(', b'A', ..] => (4, Designate(0, Set::Gb2312)),
        [b'$', b'(', b'C', ..] => (4, Designate(0, Set::Ksc5601)),
        [b'$', b'(', b'D', ..] => (4, Designate(0, Set::Jis0212)),
        [b'$', b')', b'A', ..] => (4, Designate(1, Set::Gb2312)),
        [b'$', b')', b'C', ..] => (4, Designate(1, Set::Ksc5601)),
        [b'$', b')', b'E', ..] => (4, Designate(1, Set::Table(Plane::IsoIr165))),
        [b'$', b')', b'G', ..] => (4, Designate(1, cns(1)?)),
        [b'$', b'*', b'H', ..] => (4, Designate(2, cns(2)?)),
        [b'$', b'+', f @ b'I'..=b'M', ..] => (4, Designate(3, cns(f - b'I' + 3)?)),
        [b'.', b'A', ..] => (3, Designate(2, Set::Latin1High)),
        [b'.', b'F', ..] => (3, Designate(2, Set::GreekHigh)),
        [b'N', ..] => (2, SingleShift(2)),
        [b'O', ..] => (2, SingleShift(3)),
        [b'&', b'@', ..] => (3, Ignore),
        _ => return None,
    };
    Some(e)
}
