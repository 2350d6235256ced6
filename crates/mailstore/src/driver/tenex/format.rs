//! The per-message header line of tenex and mtx mailboxes, without I/O.
//!
//! ```text
//! header-line = date "," size ";" user-flags system-flags line-end
//! date        = [SP] 1*2DIGIT "-" month "-" (4DIGIT / 2DIGIT) SP
//!               2DIGIT ":" 2DIGIT ":" 2DIGIT [SP zone]      ; " 2-Dec-1992 05:53:22 -0700"
//! zone        = ("+" / "-") 4DIGIT
//! size        = 1*DIGIT                                      ; stored bytes of the message
//! user-flags  = 10ODIGIT                                     ; keyword i at bit 29 - i
//! system-flags= 2ODIGIT                                      ; fSEEN 1 ... fOLD 0x10, fDRAFT 0x20
//! line-end    = LF (tenex) / CRLF (mtx)
//! ```
//!
//! c-client writes the date as `mail_date` does (day padded with a space, four-digit year,
//! numeric zone) and the flags as twelve octal digits: the ten of the keyword word, then
//! the two of the system flags (panda-inventory.md §3.7, checked against UW's `mailutil`).

use jiff::tz::TimeZone;
use rfc822::DateTime;

use crate::driver::common;
use crate::types::{Flags, KeywordSet, MAX_KEYWORDS};

/// Which of the two formats: they differ only in line ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Columbia MM's format: LF line ends, in the header line and in the messages.
    Tenex,
    /// The TOPS-20 / PC Pine format: CRLF line ends everywhere.
    Mtx,
}

impl Variant {
    /// The line end of the header line and of stored messages.
    pub fn line_end(self) -> &'static [u8] {
        match self {
            Variant::Tenex => b"\n",
            Variant::Mtx => b"\r\n",
        }
    }
}

/// The system flag that says a session has seen the message (it is no longer `\Recent`).
pub const F_OLD: u8 = 0x10;

/// The system flags a header line can carry (`\Seen` … `\Draft` and "old").
const SYSTEM_MASK: u8 = 0x3f;

/// Bytes of flag digits at the end of a header line (before its line end).
pub const FLAG_DIGITS: usize = 12;

/// A header line, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderLine {
    /// The internal date.
    pub date: DateTime,
    /// How many bytes of message follow the line.
    pub size: u64,
    /// The keyword word as stored (keyword i at bit 29 - i).
    pub user: u32,
    /// The system flags (c-client bit values, `F_OLD` included).
    pub system: u8,
}

/// Why a header line could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// No `,` after the date.
    #[error("no comma after the date")]
    NoComma,
    /// The date before the comma is not a date.
    #[error("unreadable date")]
    Date,
    /// No `;`, or no digits, after the size.
    #[error("bad message size")]
    Size,
    /// The flags are not twelve octal digits.
    #[error("bad flags")]
    Flags,
    /// The line does not end as the format requires.
    #[error("bad line end")]
    LineEnd,
}

/// Reads a header line. `line` is the whole line with its line end; dates without a zone
/// are read in `tz`.
pub fn parse_header_line(
    line: &[u8],
    variant: Variant,
    tz: &TimeZone,
) -> Result<HeaderLine, LineError> {
    let body = match variant {
        Variant::Tenex => line
            .strip_suffix(b"\n")
            .filter(|b| !b.ends_with(b"\r"))
            .ok_or(LineError::LineEnd)?,
        Variant::Mtx => line.strip_suffix(b"\r\n").ok_or(LineError::LineEnd)?,
    };
    let comma = body
        .iter()
        .position(|&b| b == b',')
        .ok_or(LineError::NoComma)?;
    let date = parse_date(&body[..comma], tz).ok_or(LineError::Date)?;
    let rest = &body[comma + 1..];
    let semi = rest
        .iter()
        .position(|&b| b == b';')
        .ok_or(LineError::Size)?;
    let digits = &rest[..semi];
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(LineError::Size);
    }
    let size = digits
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    let flags = &rest[semi + 1..];
    if flags.len() != FLAG_DIGITS {
        return Err(LineError::Flags);
    }
    let (user, system) = parse_flag_digits(flags).ok_or(LineError::Flags)?;
    Ok(HeaderLine {
        date,
        size,
        user,
        system,
    })
}

/// Reads the twelve flag digits: the keyword word and the system flags.
pub fn parse_flag_digits(digits: &[u8]) -> Option<(u32, u8)> {
    if digits.len() != FLAG_DIGITS || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return None;
    }
    let octal = |d: &[u8]| d.iter().fold(0u64, |n, &b| n * 8 + u64::from(b - b'0'));
    let user = u32::try_from(octal(&digits[..10])).ok()?;
    let system = u8::try_from(octal(&digits[10..])).ok()?;
    Some((user, system))
}

/// Writes the twelve flag digits.
pub fn flag_digits(user: u32, system: u8) -> [u8; FLAG_DIGITS] {
    let mut out = [b'0'; FLAG_DIGITS];
    let mut u = u64::from(user & 0x3fff_ffff);
    for d in out[..10].iter_mut().rev() {
        *d = b'0' + (u % 8) as u8;
        u /= 8;
    }
    let s = system & SYSTEM_MASK;
    out[10] = b'0' + (s >> 3);
    out[11] = b'0' + (s & 7);
    out
}

/// Writes a header line for a message of `size` stored bytes.
pub fn write_header_line(
    out: &mut Vec<u8>,
    date: &DateTime,
    size: u64,
    user: u32,
    system: u8,
    variant: Variant,
) {
    let c = date.civil();
    let off = date.offset_seconds();
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs() / 60;
    out.extend_from_slice(
        format!(
            "{:2}-{}-{:04} {:02}:{:02}:{:02} {}{:02}{:02},{};",
            c.day,
            c.month.abbrev(),
            c.year,
            c.hour,
            c.minute,
            c.second,
            sign,
            a / 60,
            a % 60,
            size
        )
        .as_bytes(),
    );
    out.extend_from_slice(&flag_digits(user, system));
    out.extend_from_slice(variant.line_end());
}

/// The system flags of `flags` (`\Recent` is not stored; "old" is separate).
pub fn system_bits(flags: Flags) -> u8 {
    // c-client's bits, all below 0x40: they fit the two octal digits.
    common::system_bits(flags) as u8
}

/// The flags stored system bits say (without `\Recent`).
pub fn flags_of(system: u8) -> Flags {
    common::system_flags(u16::from(system))
}

/// The keyword word for a set of keyword positions (keyword i at bit 29 - i).
pub fn user_bits(k: KeywordSet) -> u32 {
    k.iter()
        .filter(|&i| i < MAX_KEYWORDS)
        .fold(0, |w, i| w | 1 << (29 - i))
}

/// The keyword positions a stored keyword word says, among `defined` keywords.
pub fn keywords_of(user: u32, defined: usize) -> KeywordSet {
    let mut k = KeywordSet::EMPTY;
    for i in 0..defined.min(MAX_KEYWORDS) {
        if user & (1 << (29 - i)) != 0 {
            k.insert(i);
        }
    }
    k
}

/// Reads `[SP] d[d]-Mmm-yy[yy] hh:mm[:ss] [±hhmm]`.
fn parse_date(s: &[u8], tz: &TimeZone) -> Option<DateTime> {
    let s = s.trim_ascii();
    let mut parts = s.split(|&b| b == b' ').filter(|p| !p.is_empty());
    let dmy = parts.next()?;
    let time = parts.next()?;
    let zone = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let mut dmy = dmy.split(|&b| b == b'-');
    let day = number(dmy.next()?, 1, 2)?;
    let month = rfc822::date::Month::from_abbrev(dmy.next()?)?;
    let year_digits = dmy.next()?;
    let mut year = number(year_digits, 2, 4)?;
    if year_digits.len() == 2 {
        year += if year < 70 { 2000 } else { 1900 };
    } else if year_digits.len() == 3 {
        return None;
    }
    if dmy.next().is_some() {
        return None;
    }
    let mut hms = time.split(|&b| b == b':');
    let hour = number(hms.next()?, 1, 2)?;
    let minute = number(hms.next()?, 2, 2)?;
    let second = match hms.next() {
        Some(s) => number(s, 2, 2)?,
        None => 0,
    };
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let (y, m, d) = (
        i16::try_from(year).ok()?,
        month.number(),
        u8::try_from(day).ok()?,
    );
    let t = (hour as u8, minute as u8, second as u8);
    match zone {
        None => DateTime::from_civil_in(y, m, d, t, tz).ok(),
        Some(z) => {
            let (sign, digits) = match z.split_first()? {
                (b'+', d) => (1, d),
                (b'-', d) => (-1, d),
                _ => return None,
            };
            let hhmm = number(digits, 4, 4)?;
            let off = sign * ((hhmm / 100) as i32 * 3600 + (hhmm % 100) as i32 * 60);
            DateTime::from_civil(y, m, d, t, off).ok()
        }
    }
}

fn number(s: &[u8], min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// Whether `head` (the first bytes of a file) starts like a mailbox of `variant`
/// (c-client `tenex_isvalid` / `mtx_isvalid`): the first line has `-` at positions 2
/// and 6 or 1 and 5 (" 2-Dec-", "12-Dec-"), a `,` after the date and a `;` after it, and
/// ends with the variant's line end.
pub fn looks_valid(head: &[u8], variant: Variant) -> bool {
    let Some(lf) = head.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let line = &head[..lf];
    let dashes = |a: usize, b: usize| line.get(a) == Some(&b'-') && line.get(b) == Some(&b'-');
    if !(dashes(2, 6) || dashes(1, 5)) {
        return false;
    }
    let Some(comma) = line.iter().skip(5).position(|&b| b == b',') else {
        return false;
    };
    if !line[5 + comma..].contains(&b';') {
        return false;
    }
    let cr = line.ends_with(b"\r");
    match variant {
        Variant::Tenex => !cr,
        Variant::Mtx => cr,
    }
}

/// Reads a `~/.mminit` (or c-client configuration) text for its `set keywords` list: names
/// separated by commas or spaces, at most [`MAX_KEYWORDS`], later lines replacing earlier.
pub fn mminit_keywords(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut words = line.trim_start().splitn(3, [' ', '\t']);
        let (Some(set), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        if !set.eq_ignore_ascii_case("set") || !what.eq_ignore_ascii_case("keywords") {
            continue;
        }
        out = words
            .next()
            .unwrap_or("")
            .split([',', ' ', '\t'])
            .filter(|w| !w.is_empty())
            .take(MAX_KEYWORDS)
            .map(str::to_owned)
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header lines exactly as UW's `mailutil copy` wrote them (tenex and mtx).
    const UW_TENEX: &[u8] = b" 2-Dec-1992 05:53:22 -0700,44;000000000015\n";
    const UW_MTX: &[u8] = b" 1-Jan-2000 00:00:01 +0100,35;000000000042\r\n";

    #[test]
    fn reads_what_uw_writes() {
        let h = parse_header_line(UW_TENEX, Variant::Tenex, &TimeZone::UTC).unwrap();
        assert_eq!(h.size, 44);
        assert_eq!(h.date.timestamp(), 723_300_802);
        assert_eq!(h.date.offset_seconds(), -7 * 3600);
        assert_eq!(
            flags_of(h.system),
            Flags::SEEN.union(Flags::FLAGGED).union(Flags::ANSWERED)
        );
        assert_eq!(h.system & F_OLD, 0);
        let h = parse_header_line(UW_MTX, Variant::Mtx, &TimeZone::UTC).unwrap();
        assert_eq!(h.size, 35);
        assert_eq!(h.date.timestamp(), 946_681_201);
        assert_eq!(flags_of(h.system), Flags::DELETED.union(Flags::DRAFT));
    }

    #[test]
    fn writes_what_uw_writes() {
        let mut out = Vec::new();
        let d = DateTime::from_civil(1992, 12, 2, (5, 53, 22), -7 * 3600).unwrap();
        write_header_line(&mut out, &d, 44, 0, 0o15, Variant::Tenex);
        assert_eq!(out, UW_TENEX);
        out.clear();
        let d = DateTime::from_civil(2000, 1, 1, (0, 0, 1), 3600).unwrap();
        write_header_line(&mut out, &d, 35, 0, 0o42, Variant::Mtx);
        assert_eq!(out, UW_MTX);
    }

    /// Found by the `tenex_header` fuzz target: year 979 was written with three digits,
    /// which does not read back.
    #[test]
    fn early_year_is_written_with_four_digits() {
        let line = b" 2-Dec-0979 05:53:22 -0700,4240;000000000015\n";
        let h = parse_header_line(line, Variant::Tenex, &TimeZone::UTC).unwrap();
        let mut out = Vec::new();
        write_header_line(&mut out, &h.date, h.size, h.user, h.system, Variant::Tenex);
        assert_eq!(out, line);
    }

    #[test]
    fn keyword_bits_are_reversed() {
        let mut k = KeywordSet::EMPTY;
        k.insert(0);
        k.insert(2);
        let w = user_bits(k);
        assert_eq!(w, (1 << 29) | (1 << 27));
        assert_eq!(&flag_digits(w, F_OLD | 1), b"500000000021");
        assert_eq!(keywords_of(w, 3), k);
        // A bit past the defined keywords is not a keyword.
        assert!(keywords_of(w, 1).contains(0));
        assert!(!keywords_of(w, 1).contains(2));
        assert_eq!(parse_flag_digits(b"500000000021"), Some((w, 0o21)));
    }

    #[test]
    fn rejects_bad_lines_without_panicking() {
        let tz = TimeZone::UTC;
        for (line, err) in [
            (
                &b" 2-Dec-1992 05:53:22 -0700,44;000000000015\r\n"[..],
                LineError::LineEnd,
            ),
            (
                b" 2-Dec-1992 05:53:22 -0700;44,000000000015\n",
                LineError::Date,
            ),
            (b"no date here\n", LineError::NoComma),
            (
                b" 2-Dec-1992 05:53:22 -0700,;000000000015\n",
                LineError::Size,
            ),
            (
                b" 2-Dec-1992 05:53:22 -0700,44;00000000001\n",
                LineError::Flags,
            ),
            (
                b" 2-Dec-1992 05:53:22 -0700,44;000000000018\n",
                LineError::Flags,
            ),
            (
                b" 2-Foo-1992 05:53:22 -0700,44;000000000015\n",
                LineError::Date,
            ),
            (b"", LineError::LineEnd),
        ] {
            assert_eq!(
                parse_header_line(line, Variant::Tenex, &tz),
                Err(err),
                "{line:?}"
            );
        }
        assert!(parse_header_line(UW_TENEX, Variant::Mtx, &tz).is_err());
    }

    #[test]
    fn sniffs_like_c_client() {
        assert!(looks_valid(UW_TENEX, Variant::Tenex));
        assert!(!looks_valid(UW_TENEX, Variant::Mtx));
        assert!(looks_valid(UW_MTX, Variant::Mtx));
        assert!(looks_valid(
            b"12-Dec-1992 05:53:22 -0700,4;000000000000\nabcd",
            Variant::Tenex
        ));
        assert!(!looks_valid(
            b"From a Wed Dec  2 05:53 1992\n",
            Variant::Tenex
        ));
        assert!(!looks_valid(b"\x01\x01\x01\x01\n", Variant::Tenex));
    }

    #[test]
    fn mminit_lists_keywords() {
        let text = "set other thing\nSET keywords $Label1, Junk,NonJunk  Work\n";
        assert_eq!(
            mminit_keywords(text),
            ["$Label1", "Junk", "NonJunk", "Work"]
        );
        assert!(mminit_keywords("").is_empty());
    }
}
