//! The bytes of an mbx file: the 2048-byte header and the record line before each message.
//! Pure functions, no I/O; the layout is described in the module above.

use rfc822::DateTime;
use rfc822::Month;

use crate::types::MAX_KEYWORDS;

/// Size of the file header (c-client's HDRSIZE).
pub const HEADER_SIZE: usize = 2048;

/// The first seven bytes of every mbx file.
pub const MAGIC: &[u8; 7] = b"*mbx*\r\n";

/// Where the last flag updater's PID sits: 8 hex digits and CRLF end the header.
pub const PID_AT: usize = HEADER_SIZE - 10;

/// How many bytes of a record line are read at a time (c-client reads 64; the only
/// variable field, the size, leaves room for a 20-digit number).
pub const RECORD_READ: usize = 64;

/// From the end of a record line back to its `;` (`;` + 8 + 4 + `-` + 8 + CRLF).
pub const STATUS_BACK: u64 = 24;

/// The status field (`<8 hex><4 hex>-<8 hex>`) is this long, one byte after the `;`.
pub const STATUS_LEN: usize = 21;

/// System-flag bits of a record (panda-inventory.md §3.0).
pub mod bits {
    /// `\Seen`
    pub const SEEN: u16 = 0x1;
    /// `\Deleted`
    pub const DELETED: u16 = 0x2;
    /// `\Flagged`
    pub const FLAGGED: u16 = 0x4;
    /// `\Answered`
    pub const ANSWERED: u16 = 0x8;
    /// No longer `\Recent`.
    pub const OLD: u16 = 0x10;
    /// `\Draft`
    pub const DRAFT: u16 = 0x20;
    /// Expunged by a session that could not rewrite the file: hidden until one can.
    pub const EXPUNGED: u16 = 0x8000;
}

/// The file header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// The last UID given out.
    pub uid_last: u32,
    /// The keyword slots in use, in bit order, as written (c-client stops at the first
    /// empty slot).
    pub keywords: Vec<String>,
    /// The PID of the last process that changed flags (0 if the field is not filled in,
    /// as in a file just created).
    pub last_pid: u32,
}

/// Whether the first bytes of a file say mbx (c-client `mbx_isvalid`): the magic, 16 hex
/// digits, CRLF. The file must also be at least [`HEADER_SIZE`] long.
pub fn is_mbx(start: &[u8]) -> bool {
    start.len() >= 25
        && start.starts_with(MAGIC)
        && start[7..23].iter().all(u8::is_ascii_hexdigit)
        && &start[23..25] == b"\r\n"
}

/// Reads a header; `None` if `buf` does not start like an mbx file or is short.
pub fn parse_header(buf: &[u8]) -> Option<Header> {
    if buf.len() < HEADER_SIZE || !is_mbx(buf) {
        return None;
    }
    let hex = |b: &[u8]| {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| u32::from_str_radix(s, 16).ok())
    };
    let uid_validity = hex(&buf[7..15])?;
    let uid_last = hex(&buf[15..23])?;
    let mut keywords = Vec::new();
    let mut at = 25;
    // Keyword lines end at the first CR; an empty line (or a NUL) ends the table.
    while keywords.len() < MAX_KEYWORDS && at < PID_AT {
        let area = &buf[at..PID_AT];
        let Some(cr) = area.iter().position(|&b| b == b'\r' || b == 0) else {
            break;
        };
        if cr == 0 || area[cr] == 0 {
            break;
        }
        keywords.push(String::from_utf8_lossy(&area[..cr]).into_owned());
        at += cr + 2;
    }
    let pid = &buf[PID_AT..HEADER_SIZE];
    let last_pid = if pid[..8].iter().all(u8::is_ascii_hexdigit) && &pid[8..] == b"\r\n" {
        hex(&pid[..8]).unwrap_or(0)
    } else {
        0
    };
    Some(Header {
        uid_validity,
        uid_last,
        keywords,
        last_pid,
    })
}

/// Whether the PID field is written: c-client's create leaves it NUL, every later header
/// rewrite fills it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PidField {
    /// NUL bytes (`mbx_create`).
    Blank,
    /// 8 hex digits and CRLF (`mbx_update_header`).
    Pid(u32),
}

/// The header's bytes: the first line, the keywords, a CRLF for each of the 30 slots
/// left, NUL padding, and the PID field.
pub fn write_header(h: &Header, pid: PidField) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_SIZE);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(format!("{:08x}{:08x}\r\n", h.uid_validity, h.uid_last).as_bytes());
    for k in h.keywords.iter().take(MAX_KEYWORDS) {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for _ in h.keywords.len().min(MAX_KEYWORDS)..MAX_KEYWORDS {
        out.extend_from_slice(b"\r\n");
    }
    // 30 keywords of at most 50 bytes fit: 25 + 30 × 52 < 2038.
    out.truncate(PID_AT);
    out.resize(PID_AT, 0);
    match pid {
        PidField::Blank => out.resize(HEADER_SIZE, 0),
        PidField::Pid(p) => out.extend_from_slice(format!("{p:08x}\r\n").as_bytes()),
    }
    out
}

/// One record line, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The internal date, if it parses (checked only for messages that are not hidden).
    pub date: Option<DateTime>,
    /// Size of the message that follows.
    pub size: u64,
    /// Keyword bits.
    pub user_flags: u32,
    /// System-flag bits ([`bits`]).
    pub sys_flags: u16,
    /// UID; 0 for none yet.
    pub uid: u32,
    /// Length of the record line, CRLF included.
    pub line_len: u32,
}

/// What is wrong with a record line: the diagnostics of FAQ 7.15, in the order c-client
/// checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// No CRLF in the bytes read.
    NoCrlf,
    /// No `,` or no `;` after it.
    Header,
    /// The 12 flag digits are not hex.
    Flags,
    /// The UID is not `-` and 8 hex digits ending the line.
    Uid,
    /// The size is not a positive decimal number.
    Size,
}

impl RecordError {
    /// c-client's wording, up to " at N".
    pub fn text(self) -> &'static str {
        match self {
            RecordError::NoCrlf => "Unable to find CRLF",
            RecordError::Header => "Unable to parse internal header",
            RecordError::Flags => "Unable to parse message flags",
            RecordError::Uid => "Unable to parse message UID",
            RecordError::Size => "Unable to parse message size",
        }
    }
}

/// Parses the record line at the start of `buf` (up to [`RECORD_READ`] bytes of file).
///
/// ```text
/// record = date "," size ";" userflags sysflags "-" uid CRLF
/// date   = (SP DIGIT / 2DIGIT) "-" month "-" 4DIGIT SP time SP ("+" / "-") 4DIGIT
/// size   = 1*DIGIT
/// userflags = 8HEXDIG   sysflags = 4HEXDIG   uid = 8HEXDIG
/// ```
pub fn parse_record(buf: &[u8]) -> Result<Record, RecordError> {
    // c-client works on a NUL-terminated copy: a NUL ends the data.
    let buf = match memchr::memchr(0, buf) {
        Some(n) => &buf[..n],
        None => buf,
    };
    let cr = memchr::memchr(b'\r', buf).ok_or(RecordError::NoCrlf)?;
    if buf.get(cr + 1) != Some(&b'\n') {
        return Err(RecordError::NoCrlf);
    }
    let line = &buf[..cr];
    let comma = memchr::memchr(b',', line).ok_or(RecordError::Header)?;
    let semi = comma + 1 + memchr::memchr(b';', &line[comma + 1..]).ok_or(RecordError::Header)?;
    let t = &line[semi + 1..];
    if t.len() < 12 || !t[..12].iter().all(u8::is_ascii_hexdigit) {
        return Err(RecordError::Flags);
    }
    if t.len() != 21 || t[12] != b'-' || !t[13..].iter().all(u8::is_ascii_hexdigit) {
        return Err(RecordError::Uid);
    }
    let size_text = &line[comma + 1..semi];
    let size = (!size_text.is_empty() && size_text.len() <= 19)
        .then(|| {
            size_text.iter().try_fold(0u64, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
            })
        })
        .flatten()
        .filter(|&n| n > 0)
        .ok_or(RecordError::Size)?;
    // The digits were checked above.
    let hex = |b: &[u8]| {
        b.iter().fold(0u32, |n, &c| {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => 0,
            };
            n << 4 | u32::from(d)
        })
    };
    Ok(Record {
        date: parse_date(&line[..comma]),
        size,
        user_flags: hex(&t[..8]),
        sys_flags: hex(&t[8..12]) as u16,
        uid: hex(&t[13..21]),
        line_len: (cr + 2) as u32,
    })
}

/// The date as c-client writes it, `dd-Mon-yyyy hh:mm:ss +zzzz` with the day padded by a
/// space (the fast way to read the usual file); `None` for any other form, which
/// [`parse_date`] then reads.
fn parse_date_as_written(s: &[u8]) -> Option<DateTime> {
    if s.len() != 26
        || s[2] != b'-'
        || s[6] != b'-'
        || s[11] != b' '
        || s[14] != b':'
        || s[17] != b':'
        || s[20] != b' '
    {
        return None;
    }
    let num = |a: usize, b: usize| -> Option<u32> {
        s[a..b].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let day = if s[0] == b' ' { num(1, 2)? } else { num(0, 2)? };
    let month = Month::from_abbrev(&s[3..6])?;
    let year = i16::try_from(num(7, 11)?)
        .ok()
        .filter(|y| (1970..=9999).contains(y))?;
    let (h, m, sec) = (num(12, 14)?, num(15, 17)?, num(18, 20)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let sign = match s[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (zh, zm) = (num(22, 24)?, num(24, 26)?);
    let small = |v: u32| u8::try_from(v).ok();
    DateTime::from_civil(
        year,
        month.number(),
        small(day)?,
        (small(h)?, small(m)?, small(sec)?),
        sign * i32::try_from(zh * 3600 + zm * 60).ok()?,
    )
    .ok()
}

/// The record line for a message (c-client's `mail_date` form for the date).
pub fn write_record(
    date: &DateTime,
    size: u64,
    user_flags: u32,
    sys_flags: u16,
    uid: u32,
) -> String {
    format!(
        "{},{size};{}\r\n",
        format_date(date),
        String::from_utf8_lossy(&write_status(user_flags, sys_flags, uid))
    )
}

/// The status field rewritten in place when flags change.
pub fn write_status(user_flags: u32, sys_flags: u16, uid: u32) -> [u8; STATUS_LEN] {
    let mut out = [0u8; STATUS_LEN];
    let text = format!("{user_flags:08x}{sys_flags:04x}-{uid:08x}");
    out.copy_from_slice(&text.as_bytes()[..STATUS_LEN]);
    out
}

/// Reads the 14 bytes at the `;` of a record (`;` 8 hex, 4 hex, `-`): keyword bits and
/// system-flag bits, or `None` if they are not there.
pub fn parse_status(buf: &[u8]) -> Option<(u32, u16)> {
    if buf.len() < 14 || buf[0] != b';' || buf[13] != b'-' {
        return None;
    }
    if !buf[1..13].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let s = std::str::from_utf8(&buf[1..13]).ok()?;
    Some((
        u32::from_str_radix(&s[..8], 16).ok()?,
        u16::from_str_radix(&s[8..], 16).ok()?,
    ))
}

/// `dd-Mmm-yyyy hh:mm:ss +zzzz` with the day padded with a space (c-client `mail_date`).
pub fn format_date(d: &DateTime) -> String {
    let c = d.civil();
    format!(
        "{:2}-{}-{} {:02}:{:02}:{:02} {}",
        c.day,
        c.month,
        c.year,
        c.hour,
        c.minute,
        c.second,
        d.offset_hhmm()
    )
}

/// Parses a record's date: the form [`format_date`] writes; a two-digit year and a
/// missing seconds field are taken as c-client's `mail_parse_date` does.
pub fn parse_date(s: &[u8]) -> Option<DateTime> {
    if let Some(d) = parse_date_as_written(s) {
        return Some(d);
    }
    let s = std::str::from_utf8(s).ok()?.trim_start();
    let (date, rest) = s.split_once(' ')?;
    let mut parts = date.split('-');
    let day: u8 = parts.next()?.parse().ok()?;
    let month = Month::from_abbrev(parts.next()?.as_bytes())?;
    let year_text = parts.next()?;
    if parts.next().is_some() || !year_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut year: i16 = year_text.parse().ok()?;
    if year_text.len() <= 2 {
        year += if year < 70 { 2000 } else { 1900 };
    }
    // c-client counts years from 1970 (BASEYEAR) and writes them in four digits.
    if !(1970..=9999).contains(&year) {
        return None;
    }
    let (time, zone) = rest
        .trim()
        .split_once(' ')
        .unwrap_or((rest.trim(), "+0000"));
    let mut hms = time.split(':');
    let h: u8 = hms.next()?.parse().ok()?;
    let m: u8 = hms.next()?.parse().ok()?;
    let sec: u8 = match hms.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    if hms.next().is_some() || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let zone = zone.trim();
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let zh: i32 = digits[..2].parse().ok()?;
    let zm: i32 = digits[2..].parse().ok()?;
    DateTime::from_civil(
        year,
        month.number(),
        day,
        (h, m, sec),
        sign * (zh * 3600 + zm * 60),
    )
    .ok()
}

/// Where the header of a message ends: after the first empty line, or the whole message.
pub fn header_len(msg: &[u8]) -> usize {
    memchr::memmem::find(msg, b"\r\n\r\n").map_or(msg.len(), |i| i + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header UW's `mailutil create '#driver.mbx/x'` wrote (UIDVALIDITY 0x6b07db1a).
    fn uw_created() -> Vec<u8> {
        let mut h = b"*mbx*\r\n6b07db1a00000000\r\n".to_vec();
        for _ in 0..30 {
            h.extend_from_slice(b"\r\n");
        }
        h.resize(HEADER_SIZE, 0);
        h
    }

    #[test]
    fn uw_created_header_known_answer() {
        let bytes = uw_created();
        assert_eq!(bytes.len(), 2048);
        // 25 bytes of first line, 30 empty slots, NULs to the end (PID not yet written).
        assert_eq!(bytes[84], b'\n');
        assert!(bytes[85..].iter().all(|&b| b == 0));
        let h = parse_header(&bytes).unwrap();
        assert_eq!(
            h,
            Header {
                uid_validity: 0x6b07_db1a,
                uid_last: 0,
                keywords: vec![],
                last_pid: 0
            }
        );
        assert_eq!(write_header(&h, PidField::Blank), bytes);
    }

    #[test]
    fn header_round_trip_with_keywords_and_pid() {
        let h = Header {
            uid_validity: 0x1234_5678,
            uid_last: 0x2a,
            keywords: vec!["$Label1".into(), "Junk".into()],
            last_pid: 0xbeef,
        };
        let bytes = write_header(&h, PidField::Pid(0xbeef));
        assert_eq!(bytes.len(), HEADER_SIZE);
        assert!(bytes.starts_with(b"*mbx*\r\n123456780000002a\r\n$Label1\r\nJunk\r\n\r\n"));
        assert!(bytes.ends_with(b"0000beef\r\n"));
        assert_eq!(parse_header(&bytes).unwrap(), h);
        // Thirty keywords of fifty bytes still fit.
        let full = Header {
            keywords: (0..30).map(|i| format!("{i:0>50}")).collect(),
            ..h
        };
        let bytes = write_header(&full, PidField::Pid(1));
        assert_eq!(parse_header(&bytes).unwrap().keywords.len(), 30);
    }

    #[test]
    fn headers_that_are_not_mbx() {
        assert!(parse_header(b"*mbx*\r\n").is_none());
        let mut b = uw_created();
        b[10] = b'g';
        assert!(parse_header(&b).is_none());
        let mut b = uw_created();
        b[24] = b' ';
        assert!(!is_mbx(&b));
        assert!(!is_mbx(b"From a Wed Dec  2 05:53:22 1992\n"));
    }

    #[test]
    fn uw_record_known_answer() {
        // Written by UW's `mailutil copy` (no UIDPLUS: UID 0, to be given at next parse).
        let line = b" 2-Dec-1992 05:53:22 +0000,23;000000000005-00000000\r\nSubject: one";
        let r = parse_record(line).unwrap();
        assert_eq!(r.size, 23);
        assert_eq!(r.sys_flags, bits::SEEN | bits::FLAGGED);
        assert_eq!((r.user_flags, r.uid, r.line_len), (0, 0, 53));
        let d = r.date.unwrap();
        assert_eq!(d.timestamp(), 723_275_602);
        assert_eq!(write_record(&d, 23, 0, 5, 0).as_bytes(), &line[..53]);
        assert_eq!(
            write_record(&d, 1045, 0x10, 0x1f, 0x1a2b).as_str(),
            " 2-Dec-1992 05:53:22 +0000,1045;00000010001f-00001a2b\r\n"
        );
        let r = parse_record(b"26-Nov-2026 03:16:15 -0800,7;400000000031-0000000a\r\n").unwrap();
        assert_eq!(r.date.unwrap().offset_seconds(), -8 * 3600);
        assert_eq!((r.user_flags, r.sys_flags, r.uid), (0x4000_0000, 0x31, 10));
    }

    #[test]
    fn record_diagnostics_in_c_client_order() {
        let cases: [(&[u8], RecordError); 7] = [
            (b"no line end here", RecordError::NoCrlf),
            (
                b" 2-Dec-1992 05:53:22 +0000 23;000000000005-00000000\r\n",
                RecordError::Header,
            ),
            (
                b" 2-Dec-1992 05:53:22 +0000,23 000000000005-00000000\r\n",
                RecordError::Header,
            ),
            (
                b" 2-Dec-1992 05:53:22 +0000,23;00000000000g-00000000\r\n",
                RecordError::Flags,
            ),
            (
                b" 2-Dec-1992 05:53:22 +0000,23;000000000005+00000000\r\n",
                RecordError::Uid,
            ),
            (
                b" 2-Dec-1992 05:53:22 +0000,23;000000000005-0000000\r\n",
                RecordError::Uid,
            ),
            (
                b" 2-Dec-1992 05:53:22 +0000,x;000000000005-00000000\r\n",
                RecordError::Size,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(
                parse_record(line),
                Err(want),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        let r = parse_record(b"32-Dec-1992 05:53:22 +0000,1;000000000005-00000000\r\n").unwrap();
        assert_eq!(r.date, None);
        assert_eq!(parse_record(b"x,1;0000\0\r\n"), Err(RecordError::NoCrlf));
    }

    #[test]
    fn status_field() {
        assert_eq!(&write_status(3, 0x8012, 0x2a), b"000000038012-0000002a");
        assert_eq!(parse_status(b";000000038012-"), Some((3, 0x8012)));
        assert_eq!(parse_status(b"x000000038012-"), None);
        assert_eq!(parse_status(b";00000003801"), None);
    }

    #[test]
    fn dates() {
        let d = DateTime::from_civil(2000, 1, 1, (12, 0, 0), 0).unwrap();
        assert_eq!(format_date(&d), " 1-Jan-2000 12:00:00 +0000");
        assert_eq!(parse_date(b" 1-Jan-2000 12:00:00 +0000"), Some(d));
        assert_eq!(parse_date(b"1-jan-00 12:00:00 +0000"), Some(d));
        assert_eq!(parse_date(b"1-Foo-2000 12:00:00 +0000"), None);
        assert_eq!(parse_date(b"1-Jan-0005 12:00:00 +0000"), None);
        assert_eq!(parse_date(b""), None);
    }

    #[test]
    fn flags_and_line_ends() {
        use crate::driver::common::{
            keyword_bits, keyword_set, system_bits, system_flags, to_crlf,
        };
        use crate::types::Flags;
        let f = Flags::SEEN.union(Flags::DRAFT).union(Flags::RECENT);
        assert_eq!(system_bits(f), 0x21);
        assert_eq!(
            system_flags(0x8021 | bits::OLD),
            Flags::SEEN.union(Flags::DRAFT)
        );
        assert_eq!(keyword_bits(keyword_set(0xc000_0005, MAX_KEYWORDS)), 5);
        assert_eq!(to_crlf(b"a\nb\r\nc\r"), b"a\r\nb\r\nc\r");
        assert_eq!(header_len(b"A: b\r\n\r\nbody"), 8);
        assert_eq!(header_len(b"A: b\r\n"), 6);
    }
}
