//! Splitting a UNIX mailbox into messages, without I/O and in bounded memory.
//!
//! [`Scanner`] is fed the file in windows of any size and reports each message as a
//! [`Scanned`] record: where it lies, its sizes as a client sees them (CRLF line ends,
//! internal headers left out), and what its internal headers say. It keeps no message
//! bytes, so a 1 GiB mailbox is scanned with a buffer of a few megabytes.
//!
//! The rules are c-client's `unix_parse` (panda-inventory.md §3.1):
//!
//! - a message starts at a line that is a valid `From ` line ([`format::from_line`]);
//! - its header runs to the first empty line (LF or CRLF) or the end of the file, and
//!   every later valid `From ` line starts a new message (there is no Content-Length);
//! - one empty line before the next `From ` line (or the end of the file) separates
//!   messages and belongs to neither;
//! - internal headers (`Status:`, `X-Status:`, `X-Keywords:`, `X-UID:`, `X-IMAP:`,
//!   `X-IMAPbase:`, exact case) are read and left out of the message; the same names in
//!   another case are discarded with a warning, and so are continuation lines after them;
//! - sizes count every LF as CRLF and drop CRs, as the text is given to clients.

use jiff::tz::TimeZone;
use memchr::memchr;
use memchr::memmem;
use rfc822::DateTime;

use super::format::{self, HeaderLine, StatusLetters};
use super::{Framing, MMDF_DELIMITER};

/// One message found by the scanner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scanned {
    /// File offset of its `From ` line (in mmdf, of the delimiter line before it).
    pub start: u64,
    /// Length of the `From ` line with its line end (in mmdf, with the delimiter before it;
    /// just the delimiter when no `From ` line follows it).
    pub from_len: u32,
    /// Fingerprint of the `From ` line ([`format::line_hash`]).
    pub from_hash: u32,
    /// Bytes from the end of the `From ` line to the start of the body (the header as
    /// stored, internal headers and the empty line included).
    pub header_len: u32,
    /// Bytes of the header lines a client sees, as stored (CRs included), without the empty
    /// line.
    pub kept_len: u32,
    /// Bytes of the body as stored, without the separating empty line.
    pub body_len: u64,
    /// Length of the separator after the body (0, 1 for LF, 2 for CRLF; in mmdf, 5 for the
    /// closing delimiter).
    pub sep_len: u8,
    /// Size of the header a client sees (CRLF, empty line included).
    pub header_size: u32,
    /// Size of the body a client sees (CRLF).
    pub body_size: u64,
    /// The date of the `From ` line (the epoch when it cannot be read).
    pub date: DateTime,
    /// What `Status:` and `X-Status:` said.
    pub status: StatusLetters,
    /// The names on `X-Keywords:` lines.
    pub keywords: Vec<Box<[u8]>>,
    /// Each `X-UID:` value, with whether an `X-IMAP`/`X-IMAPbase` line came before it in the
    /// same header.
    pub uids: Vec<(u64, bool)>,
    /// The first `X-IMAP:` / `X-IMAPbase:` line of the header.
    pub base: Option<BaseLine>,
}

impl Scanned {
    /// The offset just past this message and its separator: where the next one starts.
    pub fn end(&self) -> u64 {
        self.body_start() + self.body_len + u64::from(self.sep_len)
    }

    /// The offset of the body.
    pub fn body_start(&self) -> u64 {
        self.start + u64::from(self.from_len) + u64::from(self.header_len)
    }
}

/// An `X-IMAP:` or `X-IMAPbase:` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseLine {
    /// `X-IMAP:`: the message is the pseudo-message.
    pub pseudo: bool,
    /// UIDVALIDITY.
    pub validity: u32,
    /// The last UID assigned.
    pub last: u32,
    /// The keyword table; `None` for a slot whose name is too long.
    pub keywords: Vec<Option<Box<[u8]>>>,
}

/// Why scanning stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// The data does not start with a `From ` line.
    #[error("not a From line at byte {offset}: {excerpt:?}")]
    NoFromLine {
        /// Where.
        offset: u64,
        /// The first bytes of the offending line (at most 20).
        excerpt: String,
    },
    /// An mmdf message does not start with the `^A^A^A^A` delimiter line.
    #[error("not an MMDF delimiter at byte {offset}: {excerpt:?}")]
    NoDelimiter {
        /// Where.
        offset: u64,
        /// The first bytes of the offending line (at most 20).
        excerpt: String,
    },
}

#[derive(Debug)]
enum State {
    /// Skipping white space before the first `From ` line.
    Lead,
    /// In the header of `cur`.
    Header,
    /// In the body of `cur`; the flag says whether the next byte starts a line.
    Body { line_start: bool },
    /// Finished (end of file seen).
    Done,
}

/// An incremental mailbox scanner (see the module documentation).
#[derive(Debug)]
pub struct Scanner {
    framing: Framing,
    state: State,
    offset: u64,
    tz: TimeZone,
    cur: Option<Scanned>,
    /// The last three body bytes consumed (most recent last), for the separator rule.
    tail: [u8; 3],
    /// c-client's `retain`: whether a continuation line is kept.
    retain: bool,
    /// Messages finished so far (for warnings), counting from the scan start.
    count: u64,
    warnings: Vec<String>,
}

impl Scanner {
    /// A scanner for data starting at file offset `offset`, reading dates without a zone in
    /// local time zone `tz`. The data must start (after white space) with a `From ` line.
    pub fn new(offset: u64, tz: TimeZone) -> Self {
        Self::with_framing(offset, tz, Framing::FromLine)
    }

    /// A scanner for a file framed as `framing` says (an mmdf file's data starts with a
    /// delimiter line instead).
    pub fn with_framing(offset: u64, tz: TimeZone, framing: Framing) -> Self {
        Scanner {
            framing,
            state: State::Lead,
            offset,
            tz,
            cur: None,
            tail: [0; 3],
            retain: true,
            count: 0,
            warnings: Vec::new(),
        }
    }

    /// The file offset of the next byte to feed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Warnings so far (bogus headers, unreadable dates), emptied by the call.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Scans `buf`, the file's bytes from [`Scanner::offset`] on; `eof` says the file ends
    /// with `buf`. Finished messages are pushed to `out`. Returns how many bytes were
    /// consumed: the caller presents the rest again, with more after it. When nothing can be
    /// consumed, a line is longer than `buf` and the caller must give a larger window.
    pub fn feed(
        &mut self,
        buf: &[u8],
        eof: bool,
        out: &mut Vec<Scanned>,
    ) -> Result<usize, ScanError> {
        let mut i = 0;
        loop {
            match self.state {
                State::Done => return Ok(self.consumed(i)),
                State::Lead => {
                    i += buf[i..]
                        .iter()
                        .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
                        .count();
                    match line_at(buf, i, eof) {
                        Line::Incomplete => return Ok(self.consumed(i)),
                        Line::Last(0) => self.state = State::Done,
                        Line::Last(len) if self.framing == Framing::Mmdf => {
                            return Err(self.no_delimiter(&buf[i..i + len], i));
                        }
                        Line::Last(len) => return Err(self.no_from_line(&buf[i..i + len], i)),
                        Line::Complete(len) if self.framing == Framing::Mmdf => {
                            if &buf[i..i + len] != MMDF_DELIMITER {
                                return Err(self.no_delimiter(&buf[i..i + len], i));
                            }
                            let from = match line_at(buf, i + len, eof) {
                                Line::Incomplete => return Ok(self.consumed(i)),
                                Line::Complete(n)
                                    if format::from_line(&buf[i + len..i + len + n]).is_some() =>
                                {
                                    n
                                }
                                _ => 0,
                            };
                            self.begin(&buf[i..i + len + from], len, i);
                            i += len + from;
                        }
                        Line::Complete(len) => {
                            let line = &buf[i..i + len];
                            if format::from_line(line).is_none() {
                                return Err(self.no_from_line(line, i));
                            }
                            self.begin(line, 0, i);
                            i += len;
                        }
                    }
                }
                State::Header => match line_at(buf, i, eof) {
                    Line::Incomplete => return Ok(self.consumed(i)),
                    Line::Last(0) => {
                        self.finish(out);
                        self.state = State::Done;
                    }
                    Line::Complete(len)
                        if self.framing == Framing::Mmdf && &buf[i..i + len] == MMDF_DELIMITER =>
                    {
                        // A message with no body (c-client stops the header at a delimiter).
                        self.finish_mmdf(out, len);
                        i += len;
                    }
                    Line::Complete(len) | Line::Last(len) => {
                        self.header_line(&buf[i..i + len]);
                        i += len;
                    }
                },
                State::Body { .. } if self.framing == Framing::Mmdf => {
                    let hay = &buf[i..];
                    match memmem::find(hay, MMDF_DELIMITER) {
                        Some(j) => {
                            self.body_bytes(&hay[..j]);
                            self.finish_mmdf(out, MMDF_DELIMITER.len());
                            i += j + MMDF_DELIMITER.len();
                        }
                        None if eof => {
                            self.body_bytes(hay);
                            i = buf.len();
                            self.finish(out);
                            self.state = State::Done;
                        }
                        None => {
                            // Keep a possible partial delimiter for the next window.
                            let take = hay.len().saturating_sub(MMDF_DELIMITER.len() - 1);
                            if take == 0 {
                                return Ok(self.consumed(i));
                            }
                            self.body_bytes(&hay[..take]);
                            i += take;
                            return Ok(self.consumed(i));
                        }
                    }
                }
                State::Body { line_start } => {
                    if line_start && buf[i..].starts_with(b"From ") {
                        match line_at(buf, i, eof) {
                            Line::Incomplete => return Ok(self.consumed(i)),
                            Line::Complete(len)
                                if format::from_line(&buf[i..i + len]).is_some() =>
                            {
                                self.finish(out);
                                self.begin(&buf[i..i + len], 0, i);
                                i += len;
                                continue;
                            }
                            _ => {}
                        }
                    } else if line_start
                        && !eof
                        && buf.len() - i < 5
                        && b"From ".starts_with(&buf[i..])
                    {
                        // Too little to tell whether a From line starts here.
                        return Ok(self.consumed(i));
                    }
                    let hay = &buf[i..];
                    match memmem::find(hay, b"\nFrom ") {
                        Some(j) => {
                            self.body_bytes(&hay[..=j]);
                            i += j + 1;
                            self.state = State::Body { line_start: true };
                        }
                        None if eof => {
                            self.body_bytes(hay);
                            i = buf.len();
                            self.finish(out);
                            self.state = State::Done;
                        }
                        None => {
                            // Keep a possible partial "\nFrom" for the next window.
                            let take = hay.len().saturating_sub(5);
                            if take == 0 {
                                return Ok(self.consumed(i));
                            }
                            self.body_bytes(&hay[..take]);
                            i += take;
                            self.state = State::Body {
                                line_start: hay[take - 1] == b'\n',
                            };
                            return Ok(self.consumed(i));
                        }
                    }
                }
            }
        }
    }

    fn consumed(&mut self, i: usize) -> usize {
        self.offset += i as u64;
        i
    }

    fn no_from_line(&self, line: &[u8], i: usize) -> ScanError {
        let n = line.len().min(20);
        ScanError::NoFromLine {
            offset: self.offset + i as u64,
            excerpt: String::from_utf8_lossy(&line[..n]).into_owned(),
        }
    }

    fn no_delimiter(&self, line: &[u8], i: usize) -> ScanError {
        let n = line.len().min(20);
        ScanError::NoDelimiter {
            offset: self.offset + i as u64,
            excerpt: String::from_utf8_lossy(&line[..n]).into_owned(),
        }
    }

    /// Starts a message at window position `i`, whose first `marker` bytes are an mmdf
    /// delimiter (0 in unix) and the rest of `line` its `From ` line (possibly none).
    fn begin(&mut self, line: &[u8], marker: usize, i: usize) {
        let full = line;
        let line = &line[marker..];
        let date = format::from_line(line)
            .and_then(|d| {
                let parsed = format::internal_date(&d, &self.tz);
                if parsed.is_none() {
                    self.warnings.push(format!(
                        "Unable to parse internal date: {}",
                        String::from_utf8_lossy(&line[..line.len().min(80)]).trim_end()
                    ));
                }
                parsed
            })
            .unwrap_or(EPOCH);
        self.cur = Some(Scanned {
            start: self.offset + i as u64,
            from_len: full.len() as u32,
            from_hash: format::line_hash(full),
            header_len: 0,
            kept_len: 0,
            body_len: 0,
            sep_len: 0,
            header_size: 0,
            body_size: 0,
            date,
            status: StatusLetters::default(),
            keywords: Vec::new(),
            uids: Vec::new(),
            base: None,
        });
        self.state = State::Header;
    }

    fn header_line(&mut self, line: &[u8]) {
        let number = self.count + 1;
        let Some(m) = self.cur.as_mut() else { return };
        m.header_len = m.header_len.saturating_add(line.len() as u32);
        let kind = format::header_line(line);
        let keep = |m: &mut Scanned| {
            let crs = bytecount::count(line, b'\r') as u32;
            let lfs = u32::from(line.ends_with(b"\n"));
            m.header_size = m.header_size.saturating_add(line.len() as u32 - crs + lfs);
        };
        match kind {
            HeaderLine::Blank => {
                keep(m);
                self.retain = true;
                self.state = State::Body { line_start: true };
                self.tail = [0; 3];
            }
            HeaderLine::Other => {
                keep(m);
                m.kept_len = m.kept_len.saturating_add(line.len() as u32);
                self.retain = true;
            }
            HeaderLine::Continuation => {
                if self.retain {
                    keep(m);
                    m.kept_len = m.kept_len.saturating_add(line.len() as u32);
                } else {
                    let text = line
                        .split(|&b| b == b'\r' || b == b'\n')
                        .next()
                        .unwrap_or(line);
                    let text = &text[..text.len().min(80)];
                    self.warnings.push(format!(
                        "Discarding bogus continuation in msg {number}: {}",
                        String::from_utf8_lossy(text)
                    ));
                }
            }
            HeaderLine::Bogus => {
                self.retain = false;
                let end = line
                    .iter()
                    .position(|&b| matches!(b, b':' | b' ' | b'\t' | b'\r' | b'\n'))
                    .unwrap_or(line.len());
                self.warnings.push(format!(
                    "Discarding bogus {} header in message {number}",
                    String::from_utf8_lossy(&line[..end])
                ));
            }
            HeaderLine::Status => {
                self.retain = false;
                let s = format::status_letters(line);
                m.status.flags = m.status.flags.union(s.flags);
                m.status.old |= s.old;
            }
            HeaderLine::Keywords => {
                self.retain = false;
                m.keywords
                    .extend(format::keyword_tokens(line).map(|t| t.to_vec().into_boxed_slice()));
            }
            HeaderLine::Uid => {
                self.retain = false;
                m.uids.push((format::uid_value(line), m.base.is_some()));
            }
            HeaderLine::Imap | HeaderLine::ImapBase => {
                self.retain = false;
                if m.base.is_none() {
                    m.base = format::uid_base(line).map(|b| BaseLine {
                        pseudo: kind == HeaderLine::Imap,
                        validity: b.validity,
                        last: b.last,
                        keywords: b
                            .keywords
                            .into_iter()
                            .map(|k| k.map(|k| k.to_vec().into_boxed_slice()))
                            .collect(),
                    });
                }
            }
        }
    }

    fn body_bytes(&mut self, bytes: &[u8]) {
        let Some(m) = self.cur.as_mut() else { return };
        m.body_len += bytes.len() as u64;
        let crs = bytecount::count(bytes, b'\r') as u64;
        let lfs = bytecount::count(bytes, b'\n') as u64;
        m.body_size += bytes.len() as u64 - crs + lfs;
        if let [.., a, b, c] = bytes {
            self.tail = [*a, *b, *c];
        } else {
            for &b in bytes {
                self.tail = [self.tail[1], self.tail[2], b];
            }
        }
    }

    /// Ends an mmdf message at its closing delimiter (`sep` bytes); the next one may follow.
    fn finish_mmdf(&mut self, out: &mut Vec<Scanned>, sep: usize) {
        if let Some(m) = self.cur.as_mut() {
            m.sep_len = sep as u8;
        }
        self.state = State::Lead;
        self.finish(out);
    }

    fn finish(&mut self, out: &mut Vec<Scanned>) {
        let Some(mut m) = self.cur.take() else { return };
        if self.framing == Framing::FromLine && matches!(self.state, State::Body { .. }) {
            let t = self.tail;
            let n = m.body_len;
            if n >= 1 && t[2] == b'\n' && (n == 1 || t[1] == b'\n') {
                m.sep_len = 1;
                m.body_len -= 1;
                m.body_size -= 2;
            } else if n >= 2 && t[1] == b'\r' && t[2] == b'\n' && (n == 2 || t[0] == b'\n') {
                m.sep_len = 2;
                m.body_len -= 2;
                m.body_size -= 2;
            }
        }
        self.count += 1;
        out.push(m);
    }
}

/// The date given to a message whose `From ` line date cannot be read.
const EPOCH: DateTime = DateTime::UNIX_EPOCH;

enum Line {
    /// A whole line of this length (LF included) is in the window.
    Complete(usize),
    /// The window ends inside the line and more data will come.
    Incomplete,
    /// The file ends inside a line of this length (no LF; may be 0).
    Last(usize),
}

fn line_at(buf: &[u8], i: usize, eof: bool) -> Line {
    match memchr(b'\n', &buf[i..]) {
        Some(n) => Line::Complete(n + 1),
        None if eof => Line::Last(buf.len() - i),
        None => Line::Incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_with_window(data: &[u8], window: usize) -> Result<Vec<Scanned>, ScanError> {
        let mut sc = Scanner::new(0, TimeZone::UTC);
        let mut out = Vec::new();
        let mut pos = 0usize;
        let mut win = window;
        loop {
            let end = (pos + win).min(data.len());
            let eof = end == data.len();
            let n = sc.feed(&data[pos..end], eof, &mut out)?;
            pos += n;
            if eof && n == end - (pos - n) && matches!(sc.state, State::Done) {
                break;
            }
            if n == 0 {
                win *= 2;
            }
        }
        assert_eq!(sc.offset(), data.len() as u64);
        Ok(out)
    }

    pub(crate) fn scan(data: &[u8]) -> Vec<Scanned> {
        let whole = scan_with_window(data, data.len().max(1)).unwrap();
        for w in [1, 2, 3, 5, 7, 16, 64] {
            assert_eq!(scan_with_window(data, w).unwrap(), whole, "window {w}");
        }
        whole
    }

    const TWO: &[u8] = b"From a@b Wed Dec  2 05:53:22 1992\n\
Subject: one\n\
Status: RO\n\
X-Status: F\n\
X-Keywords: k1 k2\n\
X-UID: 7\n\
\n\
line\n\
From the body\n\
\n\
From b@c Thu Dec  3 05:53 -0700 1992\n\
Subject: two\n\
\n\
second";

    #[test]
    fn two_messages_with_internal_headers() {
        let m = scan(TWO);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].start, 0);
        assert_eq!(m[0].from_len, 34);
        assert_eq!(m[0].kept_len, 13);
        // "Subject: one\r\n" + "\r\n"
        assert_eq!(m[0].header_size, 16);
        // "line\r\nFrom the body\r\n", separator excluded.
        assert_eq!(m[0].body_size, 6 + 15);
        assert_eq!(m[0].sep_len, 1);
        assert_eq!(m[0].end(), m[1].start);
        assert!(m[0].status.old);
        assert_eq!(
            m[0].status.flags,
            crate::Flags::SEEN.union(crate::Flags::FLAGGED)
        );
        assert_eq!(m[0].uids, vec![(7, false)]);
        assert_eq!(m[0].keywords.len(), 2);
        assert_eq!(m[1].body_size, 6);
        assert_eq!(m[1].sep_len, 0);
        assert_eq!(m[1].end(), TWO.len() as u64);
        assert_eq!(m[1].date.offset_seconds(), -7 * 3600);
    }

    #[test]
    fn crlf_files_count_like_lf_files() {
        let crlf: Vec<u8> = TWO
            .split(|&b| b == b'\n')
            .map(|l| l.to_vec())
            .collect::<Vec<_>>()
            .join(&b"\r\n"[..]);
        let a = scan(TWO);
        let b = scan(&crlf);
        assert_eq!(b.len(), 2);
        assert_eq!(a[0].header_size, b[0].header_size);
        assert_eq!(a[0].body_size, b[0].body_size);
        assert_eq!(b[0].sep_len, 2);
        assert_eq!(a[1].body_size, b[1].body_size);
    }

    #[test]
    fn leading_white_space_and_empty_files() {
        assert!(scan(b"").is_empty());
        assert!(scan(b"\n\n  \t").is_empty());
        let m = scan(b"\n\nFrom x Wed Dec  2 05:53 1992\n\nbody\n");
        assert_eq!(m[0].start, 2);
        assert_eq!(m[0].header_size, 2);
        assert_eq!(m[0].body_size, 6);
    }

    #[test]
    fn data_that_is_not_a_mailbox_is_refused() {
        let err = scan_with_window(b"Subject: hi\n\nbody\n", 100).unwrap_err();
        assert_eq!(
            err,
            ScanError::NoFromLine {
                offset: 0,
                excerpt: "Subject: hi\n".into()
            }
        );
        assert!(scan_with_window(b"From nobody", 100).is_err());
    }

    #[test]
    fn bogus_internal_headers_and_their_continuations_are_dropped() {
        let data = b"From x Wed Dec  2 05:53 1992\nstatus: RO\n continued\nSubject: s\n folded\n\n";
        let mut sc = Scanner::new(0, TimeZone::UTC);
        let mut out = Vec::new();
        sc.feed(data, true, &mut out).unwrap();
        assert_eq!(out[0].header_size, 12 + 9 + 2);
        assert!(!out[0].status.old);
        let w = sc.take_warnings();
        assert_eq!(w[0], "Discarding bogus status header in message 1");
        assert!(w[1].starts_with("Discarding bogus continuation in msg 1:  continued"));
    }

    #[test]
    fn body_from_lines_split_only_when_valid() {
        let data =
            b"From x Wed Dec  2 05:53 1992\n\nFrom me to you\nFrom y Wed Dec  2 05:54 1992\n\nb\n";
        let m = scan(data);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].body_size, 16);
        assert_eq!(m[0].sep_len, 0);
        // A From line right after the header's empty line starts a message.
        let m = scan(b"From x Wed Dec  2 05:53 1992\n\nFrom y Wed Dec  2 05:54 1992\n\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].body_len, 0);
    }

    #[test]
    fn only_one_empty_line_is_a_separator() {
        let m = scan(b"From x Wed Dec  2 05:53 1992\n\nb\n\n\nFrom y Wed Dec  2 05:54 1992\n\n");
        assert_eq!(m[0].body_len, 3);
        assert_eq!(m[0].sep_len, 1);
        assert_eq!(m[0].body_size, 5);
        let m = scan(b"From x Wed Dec  2 05:53 1992\n\n\n");
        assert_eq!((m[0].body_len, m[0].sep_len), (0, 1));
    }

    #[test]
    fn header_to_end_of_file() {
        let m = scan(b"From x Wed Dec  2 05:53 1992\nSubject: s");
        assert_eq!(m[0].header_size, 10);
        assert_eq!(m[0].body_len, 0);
        assert_eq!(m[0].end(), 39);
    }

    #[test]
    fn base_lines_and_uid_order() {
        let data = b"From x Wed Dec  2 05:53 1992\nX-UID: 3\nX-IMAPbase: 100 9 a b\nX-UID: 4\n\n";
        let m = scan(data);
        let b = m[0].base.as_ref().unwrap();
        assert!(!b.pseudo);
        assert_eq!((b.validity, b.last), (100, 9));
        assert_eq!(m[0].uids, vec![(3, false), (4, true)]);
    }
}
