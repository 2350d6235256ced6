//! The lines of mix's metadata, index, status and data files: parsers that never panic
//! and writers that produce what UW c-client writes, byte for byte.
//!
//! Every file is a series of CRLF-terminated lines whose first byte is a key; unknown keys
//! and fields past the known ones are ignored (`docs/mixfmt.txt` §2.1). Numbers are
//! lower-case hexadecimal, eight digits (four for system flags); c-client's `strtoul`
//! reads any number of digits, and so do we (up to what fits in 32 bits).

use std::fmt::Write as _;

use rfc822::DateTime;

/// What is wrong in a file, and where: the caller adds the file's path
/// ([`crate::Error::Corrupt`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    /// Byte offset of the line at fault.
    pub offset: u64,
    /// What is wrong.
    pub what: &'static str,
}

/// `.mixmeta`: the mailbox's metadata.
///
/// ```text
/// S<hex8> CRLF          update sequence
/// V<hex8> CRLF          UIDVALIDITY
/// L<hex8> CRLF          last UID assigned
/// N<hex8> CRLF          the data file new messages go to
/// K<atom> *(SP <atom>) CRLF   keywords (omitted when there are none)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Update sequence.
    pub seq: u32,
    /// UIDVALIDITY (never zero).
    pub validity: u32,
    /// The last UID assigned.
    pub last_uid: u32,
    /// The number of the data file new messages are appended to (0 is `.mix`).
    pub new_file: u32,
    /// The keyword table, in order.
    pub keywords: Vec<String>,
}

/// One message of `.mixindex`: where its data lies.
///
/// ```text
/// ":" uid ":" date ":" size ":" file ":" pos ":" isize ":" hsize ":" CRLF
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// Its UID (never zero).
    pub uid: u32,
    /// Internal date.
    pub date: DateTime,
    /// RFC822.SIZE: bytes of the message, CRLF line ends.
    pub size: u32,
    /// Data file number.
    pub file: u32,
    /// Offset of its record line in the data file.
    pub pos: u32,
    /// Length of the record line (the message starts at `pos + isize`).
    pub isize: u32,
    /// Length of the header, the empty line included (the body starts there).
    pub hsize: u32,
}

/// The index file: its sequence and messages, in ascending UID order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    /// Update sequence (0 for an empty file).
    pub seq: u32,
    /// The messages.
    pub entries: Vec<IndexEntry>,
}

/// One message of `.mixstatus`: its flags.
///
/// ```text
/// ":" uid ":" keywords(hex8) ":" sysflags(hex4) ":" modseq(hex8) ":" CRLF
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusEntry {
    /// Its UID.
    pub uid: u32,
    /// Keyword bits: bit n is keyword n of the meta file's table.
    pub keywords: u32,
    /// System flags in c-client's bits (panda-inventory.md §3.0).
    pub flags: u16,
    /// When the flags last changed (modseq).
    pub modseq: u32,
}

/// The status file: its sequence and the messages' flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Update sequence (0 for an empty file).
    pub seq: u32,
    /// The messages.
    pub entries: Vec<StatusEntry>,
}

/// c-client's `fOLD`: the message is no longer `\Recent`.
pub const F_OLD: u16 = 0x10;

/// The system flag bits a client can set (seen, deleted, flagged, answered, draft).
pub const F_SETTABLE: u16 = 0x01 | 0x02 | 0x04 | 0x08 | 0x20;

/// Longest metadata file accepted (c-client's sanity limit).
pub const META_MAX: usize = 1 << 20;

/// Parses `.mixmeta`.
pub fn parse_meta(bytes: &[u8]) -> Result<Meta, LineError> {
    if bytes.len() >= META_MAX {
        return Err(LineError {
            offset: 0,
            what: "metadata file is too large",
        });
    }
    let (mut seq, mut validity, mut last_uid, mut new_file) = (None, None, None, None);
    let mut keywords = Vec::new();
    for (offset, line) in lines(bytes)? {
        let err = |what| LineError { offset, what };
        let Some((&key, rest)) = line.split_first() else {
            continue;
        };
        match key {
            b'S' => seq = Some(hex(rest).ok_or(err("bad update sequence"))?),
            b'V' => validity = Some(hex(rest).ok_or(err("bad UIDVALIDITY"))?),
            b'L' => last_uid = Some(hex(rest).ok_or(err("bad last UID"))?),
            b'N' => new_file = Some(hex(rest).ok_or(err("bad new message file number"))?),
            b'K' => {
                keywords = rest
                    .split(|&b| b == b' ')
                    .filter(|k| !k.is_empty())
                    .map(|k| {
                        std::str::from_utf8(k)
                            .map(str::to_owned)
                            .map_err(|_| err("keyword is not text"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            _ => {}
        }
    }
    let missing = |what| LineError { offset: 0, what };
    let validity = validity.ok_or(missing("no UIDVALIDITY (V) line"))?;
    if validity == 0 {
        return Err(missing("UIDVALIDITY is zero"));
    }
    Ok(Meta {
        seq: seq.ok_or(missing("no update sequence (S) line"))?,
        validity,
        last_uid: last_uid.ok_or(missing("no last UID (L) line"))?,
        new_file: new_file.ok_or(missing("no new message file (N) line"))?,
        keywords,
    })
}

/// Writes `.mixmeta` as c-client does.
pub fn meta_text(meta: &Meta) -> Vec<u8> {
    let mut s = format!(
        "S{:08x}\r\nV{:08x}\r\nL{:08x}\r\nN{:08x}\r\n",
        meta.seq, meta.validity, meta.last_uid, meta.new_file
    );
    if !meta.keywords.is_empty() {
        s.push('K');
        s.push_str(&meta.keywords.join(" "));
        s.push_str("\r\n");
    }
    s.into_bytes()
}

/// Parses `.mixindex`. UIDs must ascend.
pub fn parse_index(bytes: &[u8]) -> Result<Index, LineError> {
    let mut index = Index::default();
    let mut last = 0u32;
    for (offset, line) in lines(bytes)? {
        let err = |what| LineError { offset, what };
        match line.first() {
            Some(b'S') => index.seq = hex(&line[1..]).ok_or(err("bad update sequence"))?,
            Some(b':') => {
                let f = fixed_fields(&line[1..], [8, 19, 8, 8, 8, 8, 8])
                    .or_else(|| fields::<7>(&line[1..]))
                    .ok_or(err("index record has too few fields"))?;
                let num = |i: usize, what| hex(f[i]).ok_or(err(what));
                let e = IndexEntry {
                    uid: num(0, "bad UID")?,
                    date: parse_date(f[1]).ok_or(err("bad internal date"))?,
                    size: num(2, "bad size")?,
                    file: num(3, "bad data file number")?,
                    pos: num(4, "bad data position")?,
                    isize: num(5, "bad record length")?,
                    hsize: num(6, "bad header size")?,
                };
                if e.uid <= last {
                    return Err(err("UIDs do not ascend"));
                }
                if e.hsize > e.size {
                    return Err(err("header size exceeds message size"));
                }
                last = e.uid;
                index.entries.push(e);
            }
            _ => {}
        }
    }
    Ok(index)
}

/// One `.mixindex` record line.
pub fn index_line(e: &IndexEntry) -> String {
    format!(
        ":{:08x}:{}:{:08x}:{:08x}:{:08x}:{:08x}:{:08x}:\r\n",
        e.uid,
        date_text(&e.date),
        e.size,
        e.file,
        e.pos,
        e.isize,
        e.hsize
    )
}

/// Writes `.mixindex`.
pub fn index_text(index: &Index) -> Vec<u8> {
    let mut s = format!("S{:08x}\r\n", index.seq);
    for e in &index.entries {
        s.push_str(&index_line(e));
    }
    s.into_bytes()
}

/// Parses `.mixstatus`.
pub fn parse_status(bytes: &[u8]) -> Result<Status, LineError> {
    let mut status = Status::default();
    for (offset, line) in lines(bytes)? {
        let err = |what| LineError { offset, what };
        match line.first() {
            Some(b'S') => status.seq = hex(&line[1..]).ok_or(err("bad update sequence"))?,
            Some(b':') => {
                let f = fixed_fields(&line[1..], [8, 8, 4, 8])
                    .or_else(|| fields::<4>(&line[1..]))
                    .ok_or(err("status record has too few fields"))?;
                let flags = hex(f[2]).ok_or(err("bad system flags"))?;
                status.entries.push(StatusEntry {
                    uid: hex(f[0]).ok_or(err("bad UID"))?,
                    keywords: hex(f[1]).ok_or(err("bad keyword flags"))?,
                    flags: u16::try_from(flags).map_err(|_| err("bad system flags"))?,
                    modseq: hex(f[3]).ok_or(err("bad modseq"))?,
                });
            }
            _ => {}
        }
    }
    Ok(status)
}

/// Writes `.mixstatus`.
pub fn status_text(status: &Status) -> Vec<u8> {
    let mut s = format!("S{:08x}\r\n", status.seq);
    for e in &status.entries {
        let _ = write!(
            s,
            ":{:08x}:{:08x}:{:04x}:{:08x}:\r\n",
            e.uid, e.keywords, e.flags, e.modseq
        );
    }
    s.into_bytes()
}

/// The record line before a message in a data file:
/// `":msg:" uid ":" date ":" size ":" CRLF`.
pub fn msg_record(uid: u32, date: &DateTime, size: u32) -> String {
    format!(":msg:{uid:08x}:{}:{size:08x}:\r\n", date_text(date))
}

/// Reads the UID of a data file's record line (`line` without its CRLF), if it is one.
pub fn parse_msg_record(line: &[u8]) -> Option<u32> {
    let rest = line.strip_prefix(b":msg:")?;
    let f = fields::<3>(rest)?;
    parse_date(f[1])?;
    hex(f[2])?;
    hex(f[0])
}

/// An internal date as mix writes it: `yyyymmddhhmmss+zzzz`, in the date's own offset.
pub fn date_text(d: &DateTime) -> String {
    let c = d.civil();
    let off = d.offset_seconds();
    let sign = if off < 0 { '-' } else { '+' };
    let m = off.unsigned_abs() / 60;
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{sign}{:02}{:02}",
        c.year,
        c.month.number(),
        c.day,
        c.hour,
        c.minute,
        c.second,
        m / 60,
        m % 60
    )
}

/// Parses `yyyymmddhhmmss+zzzz`.
pub fn parse_date(s: &[u8]) -> Option<DateTime> {
    if s.len() != 19 || !(s[14] == b'+' || s[14] == b'-') {
        return None;
    }
    let n = |a: usize, b: usize| -> Option<u32> {
        s[a..b].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i16::try_from(n(0, 4)?).ok()?;
    let small = |a, b| n(a, b).and_then(|v| u8::try_from(v).ok());
    let (month, day) = (small(4, 6)?, small(6, 8)?);
    let (hour, minute, second) = (small(8, 10)?, small(10, 12)?, small(12, 14)?);
    let (oh, om) = (n(15, 17)?, n(17, 19)?);
    if om > 59 {
        return None;
    }
    let mut offset = i32::try_from(oh * 3600 + om * 60).ok()?;
    if s[14] == b'-' {
        offset = -offset;
    }
    DateTime::from_civil(year, month, day, (hour, minute, second), offset).ok()
}

/// Where a header ends: the offset just past its empty line (the whole message when it
/// has none).
pub fn header_size(msg: &[u8]) -> usize {
    memchr::memmem::find(msg, b"\r\n\r\n").map_or(msg.len(), |i| i + 4)
}

/// Splits `bytes` into lines (without CRLF) with their offsets; a last line without its
/// CRLF is an error (a write cut short).
fn lines(bytes: &[u8]) -> Result<Vec<(u64, &[u8])>, LineError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let Some(nl) = memchr::memchr(b'\n', &bytes[at..]) else {
            return Err(LineError {
                offset: at as u64,
                what: "last line has no CRLF",
            });
        };
        let line = &bytes[at..at + nl];
        let line = line.strip_suffix(b"\r").ok_or(LineError {
            offset: at as u64,
            what: "line ends in LF without CR",
        })?;
        out.push((at as u64, line));
        at += nl + 1;
    }
    Ok(out)
}

/// The fields of a record line as c-client writes it: each `widths[i]` bytes long and
/// ended by `:` (the fast way to read the usual file); `None` if the line is not laid out
/// so, and [`fields`] then reads it.
fn fixed_fields<const N: usize>(rest: &[u8], widths: [usize; N]) -> Option<[&[u8]; N]> {
    let mut out = [&rest[..0]; N];
    let mut start = 0;
    for (slot, w) in out.iter_mut().zip(widths) {
        if rest.get(start + w) != Some(&b':') {
            return None;
        }
        *slot = &rest[start..start + w];
        start += w + 1;
    }
    Some(out)
}

/// The first `N` `:`-terminated fields of `rest` (more may follow and are ignored; the
/// piece after the last `:` is no field).
fn fields<const N: usize>(rest: &[u8]) -> Option<[&[u8]; N]> {
    let mut out = [&rest[..0]; N];
    let mut start = 0;
    for slot in out.iter_mut() {
        let end = start + memchr::memchr(b':', &rest[start..])?;
        *slot = &rest[start..end];
        start = end + 1;
    }
    Some(out)
}

/// A hexadecimal number of 1 to 8 digits.
fn hex(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 8 {
        return None;
    }
    s.iter().try_fold(0u32, |n, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        Some(n << 4 | u32::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Files UW's mailutil (2007f) wrote: `mailutil copy` of a two-message UNIX mailbox
    // (the first Status: RO, X-Status: F) into `#driver.mix/y`.
    const UW_META: &[u8] = b"S6b07dae7\r\nV6b07dae5\r\nL00000002\r\nN6b07dae5\r\n";
    const UW_INDEX: &[u8] = b"S6b07dae6\r\n\
:00000001:20261126070000+0000:0000001a:6b07dae5:00000000:0000002d:00000010:\r\n\
:00000002:20261126070100+0100:0000001a:6b07dae5:00000047:0000002d:00000010:\r\n";
    const UW_STATUS: &[u8] =
        b"S6b07dae6\r\n:00000001:00000000:0005:6b07dae6:\r\n:00000002:00000000:0000:6b07dae6:\r\n";
    const UW_DATA: &[u8] = b":msg:00000001:20261126070000+0000:0000001a:\r\n\
Subject: one\r\n\r\nbody one\r\n\
:msg:00000002:20261126070100+0100:0000001a:\r\n\
Subject: two\r\n\r\nbody two\r\n";

    #[test]
    fn uw_meta_reads_and_writes_back() {
        let m = parse_meta(UW_META).unwrap();
        assert_eq!(
            m,
            Meta {
                seq: 0x6b07_dae7,
                validity: 0x6b07_dae5,
                last_uid: 2,
                new_file: 0x6b07_dae5,
                keywords: vec![],
            }
        );
        assert_eq!(meta_text(&m), UW_META);
        let with = b"S1\r\nV2\r\nL3\r\nN4\r\nKJunk $Label1\r\nXfuture\r\n";
        let m = parse_meta(with).unwrap();
        assert_eq!(m.keywords, ["Junk", "$Label1"]);
        assert_eq!(
            meta_text(&m),
            b"S00000001\r\nV00000002\r\nL00000003\r\nN00000004\r\nKJunk $Label1\r\n"
        );
    }

    #[test]
    fn uw_index_reads_and_writes_back() {
        let idx = parse_index(UW_INDEX).unwrap();
        assert_eq!(idx.seq, 0x6b07_dae6);
        assert_eq!(idx.entries.len(), 2);
        let e = &idx.entries[1];
        assert_eq!(
            (e.uid, e.size, e.pos, e.isize, e.hsize),
            (2, 26, 0x47, 45, 16)
        );
        assert_eq!(e.date.offset_seconds(), 3600);
        assert_eq!(index_text(&idx), UW_INDEX);
        // The data file holds what the index says.
        for e in &idx.entries {
            let rec = &UW_DATA[e.pos as usize..(e.pos + e.isize) as usize];
            assert_eq!(rec, msg_record(e.uid, &e.date, e.size).as_bytes());
            assert_eq!(parse_msg_record(&rec[..rec.len() - 2]), Some(e.uid));
            let start = (e.pos + e.isize) as usize;
            let msg = &UW_DATA[start..start + e.size as usize];
            assert_eq!(header_size(msg), e.hsize as usize);
        }
    }

    #[test]
    fn uw_status_reads_and_writes_back() {
        let st = parse_status(UW_STATUS).unwrap();
        assert_eq!(st.entries[0].flags, 0x5);
        assert_eq!(st.entries[1].modseq, 0x6b07_dae6);
        assert_eq!(status_text(&st), UW_STATUS);
    }

    #[test]
    fn empty_files_and_extra_fields() {
        assert_eq!(parse_index(b"").unwrap(), Index::default());
        assert_eq!(parse_status(b"").unwrap(), Status::default());
        let idx =
            parse_index(b"S1\r\n:1:20240101000000-0130:2:3:4:5:1:extra:\r\nQunknown\r\n").unwrap();
        assert_eq!(idx.entries[0].date.offset_seconds(), -5400);
        assert_eq!(date_text(&idx.entries[0].date), "20240101000000-0130");
    }

    #[test]
    fn corrupt_lines_are_errors_not_panics() {
        let bad: &[(&[u8], &str)] = &[
            (b"S1\r\nV0\r\nL0\r\nN0\r\n", "UIDVALIDITY is zero"),
            (b"S1\r\nL0\r\nN0\r\n", "no UIDVALIDITY (V) line"),
            (b"Sxyz\r\n", "bad update sequence"),
            (b"S1\r\nV1\r\nL1\r\nN1", "last line has no CRLF"),
        ];
        for (text, what) in bad {
            assert_eq!(parse_meta(text).unwrap_err().what, *what);
        }
        let e = parse_index(
            b"S1\r\n:2:20240101000000+0000:2:3:4:5:1:\r\n:1:20240101000000+0000:2:3:4:5:1:\r\n",
        )
        .unwrap_err();
        assert_eq!((e.offset, e.what), (39, "UIDs do not ascend"));
        assert!(parse_index(b":1:2024:1:1:1:1:1:\r\n").is_err());
        assert!(parse_index(b":1:20241301000000+0000:1:1:1:1:1:\r\n").is_err());
        assert!(parse_index(b":1:20240101000000+0000:1:1:1:1:2:\r\n").is_err());
        assert!(parse_status(b":1:0:10000:1:\r\n").is_err());
        assert!(parse_status(b":1:0:1:\r\n").is_err());
        assert!(parse_status(b":1:0:1:2\r\n").is_err());
    }
}
