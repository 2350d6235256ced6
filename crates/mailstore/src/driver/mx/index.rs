//! The `.mxindex` file: UIDVALIDITY, the last UID, the keyword table and each message's
//! flags, with no separators between records.
//!
//! ```text
//! index    = header *keyword *status
//! header   = "V" hex "L" hex            ; UIDVALIDITY, last UID assigned
//! keyword  = "K" 1*(%x01-09 / %x0B-FF) LF
//! status   = "M" hex ";" hex "." hex    ; UID, keyword bits, system flag bits
//! hex      = 1*8HEXDIG                  ; c-client writes 8 digits (4 for system flags)
//! ```
//!
//! c-client reads the records in any order and stops at the first it cannot read,
//! keeping what came before; so does [`Index::parse`], which reports where it stopped.
//! A zero-length index is a new mailbox whose UIDVALIDITY is not chosen yet.

use std::fmt::Write as _;

use crate::driver::common;
use crate::types::{Flags, MAX_KEYWORD_LEN, MAX_KEYWORDS};

/// One message's status record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// The message's UID (its file name).
    pub uid: u32,
    /// Keyword bits: bit *i* is keyword *i* of the table.
    pub keywords: u32,
    /// System flag bits (`fSEEN` 1, `fDELETED` 2, `fFLAGGED` 4, `fANSWERED` 8, `fDRAFT` 0x20).
    pub system: u16,
}

impl Record {
    /// The system flags of the record (`\Recent` is never stored).
    pub fn flags(&self) -> Flags {
        common::system_flags(self.system)
    }

    /// The system flag bits for `flags`.
    pub fn bits(flags: Flags) -> u16 {
        common::system_bits(flags)
    }
}

/// A parsed `.mxindex`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    /// UIDVALIDITY; 0 when the index is new (empty) or never said.
    pub validity: u32,
    /// The last UID assigned.
    pub last: u32,
    /// The keyword table, in order (at most 30; longer keywords are dropped as c-client
    /// does, keeping their position).
    pub keywords: Vec<Option<String>>,
    /// The status records, as found.
    pub records: Vec<Record>,
    /// Where the parser stopped on something it could not read.
    pub error_at: Option<usize>,
}

impl Index {
    /// Reads an index; never fails: what cannot be read ends the parse
    /// ([`Index::error_at`]).
    pub fn parse(data: &[u8]) -> Index {
        let mut ix = Index::default();
        let mut p = 0;
        while p < data.len() {
            let start = p;
            let ok = match data[p] {
                b'V' => hex(data, &mut p, 1).map(|v| ix.validity = v).is_some(),
                b'L' => hex(data, &mut p, 1).map(|v| ix.last = v).is_some(),
                b'K' => match memchr::memchr(b'\n', &data[p + 1..]) {
                    Some(n) => {
                        let kw = &data[p + 1..p + 1 + n];
                        p += n + 2;
                        if ix.keywords.len() < MAX_KEYWORDS {
                            let usable = kw.len() <= MAX_KEYWORD_LEN && !kw.is_empty();
                            ix.keywords
                                .push(usable.then(|| String::from_utf8_lossy(kw).into_owned()));
                        }
                        true
                    }
                    None => false,
                },
                b'M' => record(data, &mut p).map(|r| ix.records.push(r)).is_some(),
                _ => false,
            };
            if !ok {
                ix.error_at = Some(start);
                break;
            }
        }
        ix
    }

    /// Writes the index as c-client does: the header, each keyword, then one record per
    /// message in the order given.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::with_capacity(18 + self.records.len() * 23);
        let _ = write!(s, "V{:08x}L{:08x}", self.validity, self.last);
        // c-client stops the table at its first empty slot.
        for k in self.keywords.iter().map_while(|k| k.as_deref()) {
            let _ = writeln!(s, "K{k}");
        }
        for r in &self.records {
            let _ = write!(s, "M{:08x};{:08x}.{:04x}", r.uid, r.keywords, r.system);
        }
        s.into_bytes()
    }
}

/// Reads the hexadecimal number after the record letter at `*p` (1 to 8 digits; c-client
/// reads with `strtoul`, which this matches for the values c-client writes).
fn hex(data: &[u8], p: &mut usize, skip: usize) -> Option<u32> {
    let start = *p + skip;
    let digits = data
        .get(start..)?
        .iter()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    if digits == 0 || digits > 8 {
        return None;
    }
    let text = std::str::from_utf8(&data[start..start + digits]).ok()?;
    let v = u32::from_str_radix(text, 16).ok()?;
    *p = start + digits;
    Some(v)
}

fn record(data: &[u8], p: &mut usize) -> Option<Record> {
    let uid = hex(data, p, 1)?;
    if data.get(*p) != Some(&b';') {
        return None;
    }
    let keywords = hex(data, p, 1)?;
    if data.get(*p) != Some(&b'.') {
        return None;
    }
    let system = u16::try_from(hex(data, p, 1)?).ok()?;
    Some(Record {
        uid,
        keywords,
        system,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_c_client_writes() {
        let data =
            b"V65a1b2c3L00000003K$Label1\nKJunk\nM00000001;00000002.0001M00000003;00000000.0026";
        let ix = Index::parse(data);
        assert_eq!(ix.validity, 0x65a1_b2c3);
        assert_eq!(ix.last, 3);
        assert_eq!(
            ix.keywords,
            vec![Some("$Label1".to_owned()), Some("Junk".to_owned())]
        );
        assert_eq!(ix.records.len(), 2);
        assert_eq!(ix.records[0].flags(), Flags::SEEN);
        assert_eq!(
            ix.records[1].flags(),
            Flags::DELETED.union(Flags::FLAGGED).union(Flags::DRAFT)
        );
        assert_eq!(ix.error_at, None);
        assert_eq!(ix.to_bytes(), data);
    }

    #[test]
    fn stops_at_what_it_cannot_read() {
        let ix = Index::parse(b"V00000001L00000002M00000001;00000000.0001Xjunk");
        assert_eq!(ix.records.len(), 1);
        assert_eq!(ix.error_at, Some(41));
        for bad in [
            &b"M1;2"[..],
            b"M;1.2",
            b"V",
            b"Kno newline",
            b"V123456789",
            b"M1;1.10000",
        ] {
            let ix = Index::parse(bad);
            assert!(ix.error_at.is_some(), "{bad:?}");
        }
        assert_eq!(Index::parse(b""), Index::default());
    }

    #[test]
    fn long_keywords_keep_their_place() {
        let long = "k".repeat(51);
        let ix = Index::parse(format!("V1L0K{long}\nKshort\n").as_bytes());
        assert_eq!(ix.keywords, vec![None, Some("short".to_owned())]);
    }

    #[test]
    fn flag_bits_round_trip() {
        let all = Flags::SETTABLE;
        assert_eq!(Record::bits(all), 0x2f);
        let r = Record {
            uid: 1,
            keywords: 0,
            system: Record::bits(all) | 0x10,
        };
        assert_eq!(r.flags(), all);
    }
}
