//! The bytes of a UNIX mailbox, without I/O: `From ` lines, internal headers, status
//! blocks, the pseudo-message, and the transformation of a message for appending.
//!
//! Everything here is pure and is fuzzed (`fuzz/fuzz_targets/unix_from_line.rs`).

use jiff::tz::TimeZone;
use memchr::memchr;
use rfc822::{DateTime, Month};

use crate::types::{Flags, MAX_KEYWORD_LEN};

/// The date fields of a valid `From ` line, as written (not yet checked as a calendar date).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FromDate<'a> {
    /// Day of the month, two bytes (`" 2"` or `"12"`).
    pub day: &'a [u8],
    /// Month name, three bytes.
    pub month: &'a [u8],
    /// Year, four bytes.
    pub year: &'a [u8],
    /// Hours, two bytes.
    pub hour: &'a [u8],
    /// Minutes, two bytes.
    pub minute: &'a [u8],
    /// Seconds, two bytes, when present.
    pub second: Option<&'a [u8]>,
    /// The zone as written: three letters or `+hhmm`/`-hhmm`; none means local time.
    pub zone: Option<&'a [u8]>,
}

/// Recognises a `From ` line as c-client does (its `VALID` test), returning its date fields.
///
/// `line` starts at the beginning of the line and must contain the line's LF (a line not
/// yet complete is not a From line). The accepted forms, each optionally followed by
/// ` remote from xxx`:
///
/// ```text
/// From user Wed Dec  2 05:53 1992
/// From user Wed Dec  2 05:53:22 1992
/// From user Wed Dec  2 05:53 PST 1992
/// From user Wed Dec  2 05:53:22 PST 1992
/// From user Wed Dec  2 05:53 -0700 1992
/// From user Wed Dec  2 05:53:22 -0700 1992
/// From user Wed Dec  2 05:53 1992 PST
/// From user Wed Dec  2 05:53:22 1992 PST
/// From user Wed Dec  2 05:53 1992 -0700
/// From user Wed Dec  2 05:53:22 1992 -0700
/// ```
///
/// The line is read from its end, because the sender may contain spaces. Only the positions
/// of spaces and colons are tested, as c-client does (FAQ 6.12: the day of the month is
/// fixed-width, `May  7`); the date itself is checked by [`internal_date`].
pub fn from_line(line: &[u8]) -> Option<FromDate<'_>> {
    if !line.starts_with(b"From ") {
        return None;
    }
    let lf = memchr(b'\n', &line[5..])? + 5;
    if memchr(0, &line[5..lf]).is_some() {
        return None;
    }
    let mut end = lf;
    if line[end - 1] == b'\r' {
        end -= 1;
    }
    if end >= 41
        && let Some(sp) = line[..end].iter().rposition(|&b| b == b' ')
        && sp >= 12
        && &line[sp - 12..sp] == b" remote from"
    {
        end = sp - 12;
    }
    if end < 27 {
        return None;
    }
    let s = &line[..end];
    let at = |k: isize| -> u8 {
        let i = end as isize + k;
        if i < 0 { 0 } else { s[i as usize] }
    };
    let (ti, zone, year): (isize, Option<(isize, usize)>, isize) = if at(-5) == b' ' {
        if at(-8) == b':' {
            (-5, None, -4)
        } else if at(-9) == b' ' {
            (-9, Some((-8, 3)), -4)
        } else if at(-11) == b' ' && matches!(at(-10), b'+' | b'-') {
            (-11, Some((-10, 5)), -4)
        } else {
            return None;
        }
    } else if at(-4) == b' ' {
        if at(-9) != b' ' {
            return None;
        }
        (-9, Some((-3, 3)), -8)
    } else if at(-6) == b' ' {
        if at(-11) != b' ' || !matches!(at(-5), b'+' | b'-') {
            return None;
        }
        (-11, Some((-5, 5)), -10)
    } else {
        return None;
    };
    if at(ti - 3) != b':' {
        return None;
    }
    let seconds = at(ti - 6) == b':';
    let p = if seconds { ti - 9 } else { ti - 6 };
    if at(p) != b' ' || at(p - 3) != b' ' || at(p - 7) != b' ' || at(p - 11) != b' ' {
        return None;
    }
    let slice = |k: isize, n: usize| -> &[u8] {
        let i = (end as isize + k) as usize;
        &s[i..i + n]
    };
    Some(FromDate {
        day: slice(p - 2, 2),
        month: slice(p - 6, 3),
        year: slice(year, 4),
        hour: slice(p + 1, 2),
        minute: slice(p + 4, 2),
        second: seconds.then(|| slice(p + 7, 2)),
        zone: zone.map(|(k, n)| slice(k, n)),
    })
}

/// The instant a `From ` line's date names.
///
/// A missing zone, or a zone name c-client does not know, means local time in `tz` at that
/// date. A malformed numeric zone counts as `+0000`, as in c-client. `None` when the fields
/// are not a date (c-client then warns `Unable to parse internal date` and uses the epoch).
pub fn internal_date(d: &FromDate<'_>, tz: &TimeZone) -> Option<DateTime> {
    let num = |b: &[u8]| -> Option<u32> {
        let t = b.iter().skip_while(|c| **c == b' ');
        let mut n: u32 = 0;
        let mut any = false;
        for &c in t {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
            any = true;
        }
        any.then_some(n)
    };
    let day = num(d.day)?;
    let month = Month::from_abbrev(d.month)?;
    let year = num(d.year)?;
    let hour = num(d.hour)?;
    let minute = num(d.minute)?;
    let second = match d.second {
        Some(s) => num(s)?,
        None => 0,
    };
    if !(1970..=9999).contains(&year) || hour > 23 || minute > 59 || second > 60 || day == 0 {
        return None;
    }
    let civil = (hour as u8, minute as u8, second as u8);
    let (year, day) = (year as i16, day as u8);
    let offset = match d.zone {
        None => None,
        Some(z) if z[0] == b'+' || z[0] == b'-' => Some(numeric_zone(z)),
        Some(z) => zone_name_offset(z),
    };
    match offset {
        Some(off) => DateTime::from_civil(year, month.number(), day, civil, off).ok(),
        None => DateTime::from_civil_in(year, month.number(), day, civil, tz).ok(),
    }
}

/// `+hhmm` / `-hhmm` in seconds; malformed zones are `+0000`, as c-client takes them.
fn numeric_zone(z: &[u8]) -> i32 {
    let digits = &z[1..];
    if digits.len() != 4 || !digits.iter().all(u8::is_ascii_digit) || digits[2] >= b'6' {
        return 0;
    }
    let v = |i: usize| i32::from(digits[i] - b'0');
    let secs = (v(0) * 10 + v(1)) * 3600 + (v(2) * 10 + v(3)) * 60;
    if z[0] == b'-' { -secs } else { secs }
}

/// The offset of a zone name c-client's `mail_parse_date` knows, or `None` (local time).
pub fn zone_name_offset(z: &[u8]) -> Option<i32> {
    let mut up = [0u8; 3];
    let n = z.len().min(3);
    for (d, s) in up.iter_mut().zip(z) {
        *d = s.to_ascii_uppercase();
    }
    let name = &up[..n];
    let hours: i32 = match name {
        b"UT" | b"UTC" | b"GMT" | b"Z" => 0,
        [c] if (b'A'..=b'I').contains(c) => i32::from(c - b'A') + 1,
        [c] if (b'K'..=b'M').contains(c) => i32::from(c - b'K') + 10,
        [c] if (b'N'..=b'Y').contains(c) => -(i32::from(c - b'N') + 1),
        b"MET" => 1,
        b"EET" => 2,
        b"JST" => 9,
        b"ADT" => -3,
        b"AST" | b"EDT" => -4,
        b"EST" | b"CDT" => -5,
        b"CST" | b"MDT" => -6,
        b"MST" | b"PDT" => -7,
        b"PST" | b"YDT" => -8,
        b"YST" => -9,
        b"HST" => -10,
        _ => return None,
    };
    Some(hours * 3600)
}

/// The `From ` line c-client writes when appending: `From user@host` and the date in
/// extended `ctime(3)` form with a numeric zone after the year
/// (`From me@host Wed Dec  2 05:53:22 1992 -0700`), ending in LF.
pub fn write_from_line(out: &mut Vec<u8>, sender: &str, date: &DateTime) {
    out.extend_from_slice(b"From ");
    out.extend_from_slice(sender.as_bytes());
    out.push(b' ');
    out.extend_from_slice(date.ctime().as_bytes());
    out.push(b' ');
    out.extend_from_slice(date.offset_hhmm().to_string().as_bytes());
    out.push(b'\n');
}

/// The kind of one header line, as c-client's UNIX parser sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderLine {
    /// `Status:` or `X-Status:` (both take the same letters).
    Status,
    /// `X-Keywords:`
    Keywords,
    /// `X-UID:`
    Uid,
    /// `X-IMAP:` (only in the pseudo-message).
    Imap,
    /// `X-IMAPbase:` (in the first message of a file without a pseudo-message).
    ImapBase,
    /// An internal header name in the wrong case or form (`status: RO`, `X-uid: 5`,
    /// `Status :`): discarded with "Discarding bogus … header".
    Bogus,
    /// A continuation line (starts with space or tab).
    Continuation,
    /// The empty line that ends the header.
    Blank,
    /// Any other header line: part of the message.
    Other,
}

/// Classifies one header line (`line` may include its line end).
pub fn header_line(line: &[u8]) -> HeaderLine {
    match line.first() {
        None | Some(b'\n') => HeaderLine::Blank,
        Some(b'\r') if line.get(1) == Some(&b'\n') => HeaderLine::Blank,
        Some(b' ' | b'\t') => HeaderLine::Continuation,
        Some(b'S') if line.starts_with(b"Status:") => HeaderLine::Status,
        Some(b'X') if line.starts_with(b"X-Status:") => HeaderLine::Status,
        Some(b'X') if line.starts_with(b"X-Keywords:") => HeaderLine::Keywords,
        Some(b'X') if line.starts_with(b"X-UID:") => HeaderLine::Uid,
        Some(b'X') if line.starts_with(b"X-IMAP:") => HeaderLine::Imap,
        Some(b'X') if line.starts_with(b"X-IMAPbase:") => HeaderLine::ImapBase,
        Some(b'S' | b's' | b'X' | b'x') if is_internal_name(line) => HeaderLine::Bogus,
        _ => HeaderLine::Other,
    }
}

/// Whether the field name of `line` (up to `:`, space, tab or line end) is one of the
/// internal header names in any case.
pub fn is_internal_name(line: &[u8]) -> bool {
    let end = line
        .iter()
        .position(|&b| matches!(b, b':' | b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(line.len());
    let name = &line[..end];
    [
        &b"Status"[..],
        b"X-Status",
        b"X-Keywords",
        b"X-UID",
        b"X-IMAP",
        b"X-IMAPbase",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

/// The value part of an internal header line: after the colon, up to the line end.
fn value_of(line: &[u8]) -> &[u8] {
    let start = memchr(b':', line).map_or(line.len(), |c| c + 1);
    let v = &line[start..];
    let end = memchr(b'\n', v).unwrap_or(v.len());
    let v = &v[..end];
    v.strip_suffix(b"\r").unwrap_or(v)
}

/// What `Status:` / `X-Status:` letters say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusLetters {
    /// Flags named (`R` seen, `D` deleted, `F` flagged, `A` answered, `T` draft).
    pub flags: Flags,
    /// `O` was present: the message is not new (not `\Recent`).
    pub old: bool,
}

/// Reads the letters of a `Status:` or `X-Status:` line; other bytes are ignored.
pub fn status_letters(line: &[u8]) -> StatusLetters {
    let mut s = StatusLetters::default();
    for &b in value_of(line) {
        match b {
            b'R' => s.flags = s.flags.union(Flags::SEEN),
            b'O' => s.old = true,
            b'D' => s.flags = s.flags.union(Flags::DELETED),
            b'F' => s.flags = s.flags.union(Flags::FLAGGED),
            b'A' => s.flags = s.flags.union(Flags::ANSWERED),
            b'T' => s.flags = s.flags.union(Flags::DRAFT),
            _ => {}
        }
    }
    s
}

/// The keyword names of an `X-Keywords:` line (split on spaces only, 1 to 50 bytes each).
pub fn keyword_tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    value_of(line)
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty() && t.len() <= MAX_KEYWORD_LEN)
}

/// The value of an `X-UID:` line (digits after optional spaces; none gives 0).
pub fn uid_value(line: &[u8]) -> u64 {
    leading_number(value_of(line).trim_ascii_start()).0
}

/// What an `X-IMAP:` or `X-IMAPbase:` line holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UidBase<'a> {
    /// UIDVALIDITY (never zero: a zero makes the line void).
    pub validity: u32,
    /// The last UID assigned.
    pub last: u32,
    /// The keyword table, in order; slots with invalid names are `None`.
    pub keywords: Vec<Option<&'a [u8]>>,
}

/// Reads an `X-IMAP:` / `X-IMAPbase:` value: `<uidvalidity> <uidlast>[ kw…]`.
///
/// Returns `None` when UIDVALIDITY is zero or not followed by a number, as c-client
/// disregards such a line.
pub fn uid_base(line: &[u8]) -> Option<UidBase<'_>> {
    let v = value_of(line).trim_ascii_start();
    let (validity, rest) = leading_number(v);
    let rest = rest.trim_ascii_start();
    if validity == 0 || validity > u64::from(u32::MAX) || !rest.first()?.is_ascii_digit() {
        return None;
    }
    let (last, rest) = leading_number(rest);
    let keywords = rest
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
        .map(|t| (t.len() <= MAX_KEYWORD_LEN).then_some(t))
        .collect();
    Some(UidBase {
        validity: validity as u32,
        last: last.min(u64::from(u32::MAX)) as u32,
        keywords,
    })
}

fn leading_number(s: &[u8]) -> (u64, &[u8]) {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let v = s[..n].iter().fold(0u64, |a, &d| {
        a.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    (v, &s[n..])
}

/// The lines of a stored header (the bytes after the `From ` line, up to and including
/// the empty line) that a client sees, as ranges: internal headers, their wrong-case
/// variants and continuation lines following either are left out, as is the empty line.
pub fn kept_runs(header: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut retain = true;
    let mut at = 0;
    while at < header.len() {
        let len = memchr(b'\n', &header[at..]).map_or(header.len() - at, |i| i + 1);
        let line = &header[at..at + len];
        let keep = match header_line(line) {
            HeaderLine::Blank => break,
            HeaderLine::Other => {
                retain = true;
                true
            }
            HeaderLine::Continuation => retain,
            _ => {
                retain = false;
                false
            }
        };
        if keep {
            match runs.last_mut() {
                Some(r) if r.end == at => r.end = at + len,
                _ => runs.push(at..at + len),
            }
        }
        at += len;
    }
    runs
}

/// Appends `src` to `out` as a client sees it: CRs dropped, each LF made CRLF.
pub fn to_crlf(src: &[u8], out: &mut Vec<u8>) {
    out.reserve(src.len() + src.len() / 32);
    let mut rest = src;
    while let Some(i) = memchr::memchr2(b'\r', b'\n', rest) {
        out.extend_from_slice(&rest[..i]);
        if rest[i] == b'\n' {
            out.extend_from_slice(b"\r\n");
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

/// A short fingerprint of a `From ` line, to notice that a message is no longer where it
/// was.
pub fn line_hash(line: &[u8]) -> u32 {
    line.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Whether `Status:` gets an `O` (the message is no longer new).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OldMark {
    /// Write `O`: the message has been seen by a read-write session.
    Write,
    /// Leave `O` out: the message stays `\Recent` for the next read-write opener.
    Omit,
}

/// The UID information a status block carries.
#[derive(Clone, Copy, Debug)]
pub enum UidLines<'a> {
    /// No `X-Keywords:` padding and no `X-UID:` (UIDs and keywords disabled).
    None,
    /// `X-Keywords:` (padded) but no `X-UID:`: mail appended while another process holds
    /// the mailbox, which will give it its UID.
    KeywordsOnly,
    /// `X-Keywords:` (padded) and `X-UID:`.
    Uid(u32),
    /// As `Uid`, preceded by `X-IMAPbase: <validity> <last> kw…` (first message of a file
    /// without a pseudo-message).
    UidAndBase {
        /// The message's UID.
        uid: u32,
        /// The mailbox's UIDVALIDITY.
        validity: u32,
        /// The last UID assigned in the mailbox.
        last: u32,
        /// The mailbox's keyword table.
        table: &'a [String],
    },
}

/// Writes a status block as c-client's `unix_xstatus` does, followed by the empty line that
/// ends the header.
///
/// ```text
/// [X-IMAPbase: <validity> <last>[ kw…]]
/// Status: [R][O]
/// X-Status: [D][F][A][T]
/// X-Keywords:[ kw…]<spaces to pad the block to 50 bytes, 80 with X-IMAPbase>
/// X-UID: <uid>
/// <empty line>
/// ```
pub fn write_status_block<'k>(
    out: &mut Vec<u8>,
    flags: Flags,
    keywords: impl Iterator<Item = &'k str>,
    uid: UidLines<'_>,
    old: OldMark,
) {
    let start = out.len();
    let mut target = 50;
    if let UidLines::UidAndBase {
        validity,
        last,
        table,
        ..
    } = uid
    {
        out.extend_from_slice(format!("X-IMAPbase: {validity} {last}").as_bytes());
        for k in table {
            out.push(b' ');
            out.extend_from_slice(k.as_bytes());
        }
        out.push(b'\n');
        target = 80;
    }
    out.extend_from_slice(b"Status: ");
    if flags.contains(Flags::SEEN) {
        out.push(b'R');
    }
    if old == OldMark::Write {
        out.push(b'O');
    }
    out.extend_from_slice(b"\nX-Status: ");
    for (f, c) in [
        (Flags::DELETED, b'D'),
        (Flags::FLAGGED, b'F'),
        (Flags::ANSWERED, b'A'),
        (Flags::DRAFT, b'T'),
    ] {
        if flags.contains(f) {
            out.push(c);
        }
    }
    out.push(b'\n');
    let (keyword_line, uid) = match uid {
        UidLines::None => (false, None),
        UidLines::KeywordsOnly => (true, None),
        UidLines::Uid(u) | UidLines::UidAndBase { uid: u, .. } => (true, Some(u)),
    };
    if keyword_line {
        out.extend_from_slice(b"X-Keywords:");
        for k in keywords {
            out.push(b' ');
            out.extend_from_slice(k.as_bytes());
        }
        while out.len() - start < target {
            out.push(b' ');
        }
        out.push(b'\n');
    }
    if let Some(uid) = uid {
        out.extend_from_slice(format!("X-UID: {uid}\n").as_bytes());
    }
    out.push(b'\n');
}

/// The body text of the pseudo-message, as c-client writes it.
const PSEUDO_TEXT: &str = "This text is part of the internal format of your mail folder, and is not\n\
a real message.  It is created automatically by the mail system software.\n\
If deleted, important folder data will be lost, and it will be re-created\n\
with the data reset to initial values.\n";

/// The subject that marks the pseudo-message.
pub const PSEUDO_SUBJECT: &str = "DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA";

/// Whether the pseudo-message has a `Message-ID:` line: c-client's CREATE writes none,
/// its rewrites do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PseudoKind {
    /// As `unix_create` writes it (no Message-ID).
    Create,
    /// As `unix_rewrite` writes it (with a Message-ID).
    Rewrite,
}

/// Writes the `FOLDER INTERNAL DATA` pseudo-message that keeps UIDVALIDITY, the last UID
/// and the keyword table at the start of a file, followed by its separating empty line.
pub fn write_pseudo_message(
    out: &mut Vec<u8>,
    now: &DateTime,
    host: &str,
    validity: u32,
    last: u32,
    keywords: &[String],
    kind: PseudoKind,
) {
    out.extend_from_slice(format!("From MAILER-DAEMON {}\n", now.ctime()).as_bytes());
    out.extend_from_slice(format!("Date: {}\n", now.rfc822_fixed()).as_bytes());
    out.extend_from_slice(
        format!("From: Mail System Internal Data <MAILER-DAEMON@{host}>\n").as_bytes(),
    );
    out.extend_from_slice(format!("Subject: {PSEUDO_SUBJECT}\n").as_bytes());
    if kind == PseudoKind::Rewrite {
        out.extend_from_slice(format!("Message-ID: <{}@{host}>\n", now.timestamp()).as_bytes());
    }
    out.extend_from_slice(format!("X-IMAP: {validity:010} {last:010}").as_bytes());
    for k in keywords {
        out.push(b' ');
        out.extend_from_slice(k.as_bytes());
    }
    out.extend_from_slice(b"\nStatus: RO\n\n");
    out.extend_from_slice(PSEUDO_TEXT.as_bytes());
    out.push(b'\n');
}

/// Frames a pseudo-message written by [`write_pseudo_message`] as `framing` says: in mmdf,
/// between delimiter lines instead of before a separating empty line.
pub fn frame_pseudo(pseudo: &mut Vec<u8>, framing: super::Framing) {
    if framing == super::Framing::Mmdf {
        if pseudo.ends_with(b"\n\n") {
            pseudo.pop();
        }
        pseudo.splice(0..0, super::MMDF_DELIMITER.iter().copied());
        pseudo.extend_from_slice(super::MMDF_DELIMITER);
    }
}

/// How `From ` lines inside an appended message are protected (c-client `from-widget`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FromEscape {
    /// Every line starting `From ` gets a `>` (c-client's default).
    #[default]
    Every,
    /// Only lines that would parse as a valid `From ` line get a `>`
    /// (`set from-widget header-only`).
    ValidOnly,
    /// No line is escaped: the mmdf format, whose messages end at a delimiter line (its
    /// `^A` bytes are removed instead, see [`strip_mmdf_marks`]).
    Never,
}

/// A message to append to an mmdf file without its `^A` bytes, which could otherwise
/// make a delimiter (c-client's `mmdf_append_msg` drops them).
pub fn strip_mmdf_marks(msg: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if msg.contains(&0x01) {
        std::borrow::Cow::Owned(msg.iter().copied().filter(|&b| b != 0x01).collect())
    } else {
        std::borrow::Cow::Borrowed(msg)
    }
}

/// Turns a message as a client gives it (CRLF or LF) into the bytes stored after its
/// `From ` line, status block not included: CRs removed, NUL bytes made 0x80, `From ` lines
/// escaped with `>`, and incoming internal headers (`Status:`, `X-Status:`, `X-Keywords:`,
/// `X-UID:`, `X-IMAP:`, `X-IMAPbase:`, in any case) renamed `X-Original-…` so that they
/// cannot pose as ours.
///
/// Returns the header (ending with a line end, without the empty line) and the body, which
/// ends with a line end unless it is empty.
pub fn prepare_append(msg: &[u8], escape: FromEscape) -> (Vec<u8>, Vec<u8>) {
    let mut header = Vec::with_capacity(msg.len() / 4 + 64);
    let mut body = Vec::with_capacity(msg.len());
    let mut in_header = true;
    let mut line = Vec::with_capacity(256);
    let mut rest = msg;
    while !rest.is_empty() {
        let n = memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        line.clear();
        line.extend(
            rest[..n]
                .iter()
                .filter(|&&b| b != b'\r')
                .map(|&b| if b == 0 { 0x80 } else { b }),
        );
        rest = &rest[n..];
        if !line.ends_with(b"\n") {
            line.push(b'\n');
        }
        if in_header && line == b"\n" {
            in_header = false;
            continue;
        }
        let out = if in_header { &mut header } else { &mut body };
        if line.starts_with(b"From ") {
            let escape_it = match escape {
                FromEscape::Every => true,
                FromEscape::ValidOnly => from_line(&line).is_some(),
                FromEscape::Never => false,
            };
            if escape_it {
                out.push(b'>');
            }
        } else if in_header
            && matches!(line[0], b'S' | b's' | b'X' | b'x')
            && is_internal_name(&line)
        {
            out.extend_from_slice(b"X-Original-");
        }
        out.extend_from_slice(&line);
    }
    (header, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> TimeZone {
        TimeZone::UTC
    }

    #[test]
    fn every_documented_from_line_form_is_valid() {
        let forms = [
            "From user Wed Dec  2 05:53 1992\n",
            "From user Wed Dec  2 05:53:22 1992\n",
            "From user Wed Dec  2 05:53 PST 1992\n",
            "From user Wed Dec  2 05:53:22 PST 1992\n",
            "From user Wed Dec  2 05:53 -0700 1992\n",
            "From user Wed Dec  2 05:53:22 -0700 1992\n",
            "From user Wed Dec  2 05:53 1992 PST\n",
            "From user Wed Dec  2 05:53:22 1992 PST\n",
            "From user Wed Dec  2 05:53 1992 -0700\n",
            "From user Wed Dec  2 05:53:22 1992 -0700\n",
        ];
        for f in forms {
            let d = from_line(f.as_bytes()).unwrap_or_else(|| panic!("{f:?} refused"));
            assert_eq!(d.day, b" 2");
            assert_eq!(d.month, b"Dec");
            assert_eq!(d.year, b"1992");
            assert_eq!((d.hour, d.minute), (&b"05"[..], &b"53"[..]));
            let remote = f.replace('\n', " remote from uunet\n");
            assert!(from_line(remote.as_bytes()).is_some(), "{remote:?} refused");
            let crlf = f.replace('\n', "\r\n");
            assert!(from_line(crlf.as_bytes()).is_some(), "{crlf:?} refused");
        }
    }

    #[test]
    fn looser_from_lines_are_refused() {
        // FAQ 6.12: a variable-width day, a missing year, an RFC 822 date: not From lines.
        for bad in [
            "From user Wed Dec 2 05:53:22 1992\n",
            "From user Wed, 2 Dec 1992 05:53:22 -0700\n",
            "From user\n",
            "From the body of a letter we wrote\n",
            "from user Wed Dec  2 05:53:22 1992\n",
            "From user Wed Dec  2 05:53:22 1992",
            "From user Wed Dec  2 5:53:22 1992\n",
            "From u\0ser Wed Dec  2 05:53:22 1992\n",
            ">From user Wed Dec  2 05:53:22 1992\n",
        ] {
            assert!(from_line(bad.as_bytes()).is_none(), "{bad:?} accepted");
        }
    }

    #[test]
    fn sender_may_contain_spaces_and_be_empty() {
        let d = from_line(b"From John Q Public Wed Dec  2 05:53:22 1992\n").unwrap();
        assert_eq!(d.second, Some(&b"22"[..]));
        assert!(from_line(b"From  Wed Dec  2 05:53 1992\n").is_some());
    }

    #[test]
    fn internal_dates_follow_the_zone() {
        let tz = utc();
        let date = |l: &str| internal_date(&from_line(l.as_bytes()).unwrap(), &tz).unwrap();
        assert_eq!(
            date("From u Wed Dec  2 05:53:22 1992 -0700\n").timestamp(),
            723_300_802
        );
        assert_eq!(
            date("From u Wed Dec  2 05:53:22 PST 1992\n").offset_seconds(),
            -8 * 3600
        );
        let local = date("From u Wed Dec  2 05:53 1992\n");
        assert_eq!(local.offset_seconds(), 0);
        assert_eq!(local.civil().second, 0);
        // A malformed numeric zone counts as +0000.
        assert_eq!(
            date("From u Wed Dec  2 05:53 -0799 1992\n").offset_seconds(),
            0
        );
        // An unknown zone name is local time.
        assert_eq!(
            date("From u Wed Dec  2 05:53 XYZ 1992\n").offset_seconds(),
            0
        );
        let bad = from_line(b"From u Wed Foo  2 05:53 1992\n").unwrap();
        assert!(internal_date(&bad, &tz).is_none());
    }

    #[test]
    fn from_line_for_append() {
        let mut out = Vec::new();
        let d = DateTime::from_civil(1992, 12, 2, (5, 53, 22), -7 * 3600).unwrap();
        write_from_line(&mut out, "me@host", &d);
        assert_eq!(out, b"From me@host Wed Dec  2 05:53:22 1992 -0700\n");
        assert!(from_line(&out).is_some());
    }

    #[test]
    fn header_lines_are_classified_case_sensitively() {
        assert_eq!(header_line(b"Status: RO\n"), HeaderLine::Status);
        assert_eq!(header_line(b"X-Status: F\n"), HeaderLine::Status);
        assert_eq!(header_line(b"X-Keywords: a\n"), HeaderLine::Keywords);
        assert_eq!(header_line(b"X-UID: 5\n"), HeaderLine::Uid);
        assert_eq!(header_line(b"X-IMAP: 1 2\n"), HeaderLine::Imap);
        assert_eq!(header_line(b"X-IMAPbase: 1 2\n"), HeaderLine::ImapBase);
        assert_eq!(header_line(b"status: RO\n"), HeaderLine::Bogus);
        assert_eq!(header_line(b"Status : RO\n"), HeaderLine::Bogus);
        assert_eq!(header_line(b"X-uid: 5\n"), HeaderLine::Bogus);
        assert_eq!(header_line(b"X-IMAPBASE: 1 2\n"), HeaderLine::Bogus);
        assert_eq!(header_line(b"Subject: x\n"), HeaderLine::Other);
        assert_eq!(header_line(b"X-Statusy: x\n"), HeaderLine::Other);
        assert_eq!(header_line(b" cont\n"), HeaderLine::Continuation);
        assert_eq!(header_line(b"\n"), HeaderLine::Blank);
        assert_eq!(header_line(b"\r\n"), HeaderLine::Blank);
    }

    #[test]
    fn status_and_uid_values() {
        let s = status_letters(b"Status: RO\n");
        assert_eq!(s.flags, Flags::SEEN);
        assert!(s.old);
        let s = status_letters(b"X-Status: DFAT\r\n");
        assert_eq!(
            s.flags,
            Flags::DELETED
                .union(Flags::FLAGGED)
                .union(Flags::ANSWERED)
                .union(Flags::DRAFT)
        );
        assert_eq!(uid_value(b"X-UID: 42\n"), 42);
        assert_eq!(uid_value(b"X-UID:   7 junk\n"), 7);
        assert_eq!(uid_value(b"X-UID:\n"), 0);
        let k: Vec<_> = keyword_tokens(b"X-Keywords: $Label1  Junk                 \n").collect();
        assert_eq!(k, vec![&b"$Label1"[..], b"Junk"]);
    }

    #[test]
    fn uid_base_lines() {
        let b = uid_base(b"X-IMAP: 1795662975 0000000002 $Label1 Junk\n").unwrap();
        assert_eq!(b.validity, 1_795_662_975);
        assert_eq!(b.last, 2);
        assert_eq!(b.keywords, vec![Some(&b"$Label1"[..]), Some(b"Junk")]);
        assert!(uid_base(b"X-IMAP: 0000000000 0000000000\n").is_none());
        assert!(uid_base(b"X-IMAPbase: 12\n").is_none());
        let long = format!("X-IMAPbase: 1 2 {} ok\n", "k".repeat(51));
        assert_eq!(
            uid_base(long.as_bytes()).unwrap().keywords,
            vec![None, Some(&b"ok"[..])]
        );
    }

    #[test]
    fn status_blocks_match_uw_bytes() {
        // Bytes as written by UW mailutil 2007f (copy of a seen, flagged, answered message).
        let mut out = Vec::new();
        write_status_block(
            &mut out,
            Flags::SEEN.union(Flags::FLAGGED).union(Flags::ANSWERED),
            std::iter::empty(),
            UidLines::Uid(1),
            OldMark::Omit,
        );
        assert_eq!(
            out,
            b"Status: R\nX-Status: FA\nX-Keywords:                \nX-UID: 1\n\n"
        );
        out.clear();
        write_status_block(
            &mut out,
            Flags::EMPTY,
            std::iter::empty(),
            UidLines::Uid(2),
            OldMark::Omit,
        );
        assert_eq!(
            out,
            b"Status: \nX-Status: \nX-Keywords:                   \nX-UID: 2\n\n"
        );
        out.clear();
        let table = vec!["a".to_owned(), "b".to_owned()];
        write_status_block(
            &mut out,
            Flags::SEEN,
            ["b"].into_iter(),
            UidLines::UidAndBase {
                uid: 3,
                validity: 1000,
                last: 9,
                table: &table,
            },
            OldMark::Write,
        );
        let s = String::from_utf8(out.clone()).unwrap();
        assert!(s.starts_with("X-IMAPbase: 1000 9 a b\nStatus: RO\nX-Status: \nX-Keywords: b"));
        let padded = s.find("\nX-UID").unwrap();
        assert_eq!(padded, 80);
        out.clear();
        write_status_block(
            &mut out,
            Flags::DELETED,
            std::iter::empty(),
            UidLines::None,
            OldMark::Write,
        );
        assert_eq!(out, b"Status: O\nX-Status: D\n\n");
    }

    #[test]
    fn pseudo_message_matches_uw_create() {
        let now = DateTime::from_civil(2026, 11, 26, (3, 16, 15), 0).unwrap();
        let mut out = Vec::new();
        write_pseudo_message(
            &mut out,
            &now,
            "vm",
            1_795_662_975,
            0,
            &[],
            PseudoKind::Create,
        );
        let expected = "From MAILER-DAEMON Thu Nov 26 03:16:15 2026\n\
Date: 26 Nov 2026 03:16:15 +0000\n\
From: Mail System Internal Data <MAILER-DAEMON@vm>\n\
Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n\
X-IMAP: 1795662975 0000000000\n\
Status: RO\n\
\n\
This text is part of the internal format of your mail folder, and is not\n\
a real message.  It is created automatically by the mail system software.\n\
If deleted, important folder data will be lost, and it will be re-created\n\
with the data reset to initial values.\n\
\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn kept_runs_leave_out_internal_headers() {
        let h = b"Subject: a\n b\nStatus: RO\n cont\nX-UID: 4\nTo: x\nstatus: O\nCc: y\n\n";
        let runs = kept_runs(h);
        let kept: Vec<u8> = runs.iter().flat_map(|r| h[r.clone()].to_vec()).collect();
        assert_eq!(kept, b"Subject: a\n b\nTo: x\nCc: y\n");
        let mut out = Vec::new();
        to_crlf(b"a\r\nb\nc\rd", &mut out);
        assert_eq!(out, b"a\r\nb\r\ncd");
    }

    #[test]
    fn append_preparation() {
        let msg = b"Status: RO\r\nSubject: hi\r\nx-uid: 9\r\nX-Keywords: a\r\n\r\nFrom me\r\n>From x\r\nnul\0\r\nend";
        let (h, b) = prepare_append(msg, FromEscape::Every);
        assert_eq!(
            h,
            b"X-Original-Status: RO\nSubject: hi\nX-Original-x-uid: 9\nX-Original-X-Keywords: a\n"
        );
        assert_eq!(b, b">From me\n>From x\nnul\x80\nend\n");
        let (_, b) = prepare_append(
            b"S: x\n\nFrom me to you\nFrom a Wed Dec  2 05:53 1992\n",
            FromEscape::ValidOnly,
        );
        assert_eq!(b, b"From me to you\n>From a Wed Dec  2 05:53 1992\n");
        let (h, b) = prepare_append(b"no header end", FromEscape::Every);
        assert_eq!(
            (h.as_slice(), b.as_slice()),
            (&b"no header end\n"[..], &b""[..])
        );
    }
}
