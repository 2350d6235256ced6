//! Header blocks as raw bytes.
//!
//! RFC 5322 §2.2: a header is a sequence of fields, each a name, a colon and a body, ended
//! by CRLF; a body may continue on following lines that begin with white space (folding).
//! The header ends at the first empty line. These functions accept LF as well as CRLF line
//! ends, because mailbox files store messages with bare LF.
//!
//! ```text
//! field       = field-name ":" unstructured CRLF
//! field-name  = 1*ftext            ; printable US-ASCII except ":"
//! folding     = CRLF 1*WSP
//! ```

use std::ops::Range;

use memchr::memchr;

/// Where the header of `msg` ends.
///
/// Returns `(header_len, body_start)`: the header is `msg[..header_len]` including the end of
/// its last line, and the body starts at `body_start`, after the empty separator line. A
/// message with no empty line is all header: both values are `msg.len()`.
pub fn split(msg: &[u8]) -> (usize, usize) {
    // An empty line at the very start means an empty header.
    if msg.starts_with(b"\n") {
        return (0, 1);
    }
    if msg.starts_with(b"\r\n") {
        return (0, 2);
    }
    let mut pos = 0;
    while let Some(nl) = memchr(b'\n', &msg[pos..]) {
        let line_end = pos + nl + 1;
        match msg.get(line_end..) {
            Some([b'\n', ..]) => return (line_end, line_end + 1),
            Some([b'\r', b'\n', ..]) => return (line_end, line_end + 2),
            _ => pos = line_end,
        }
    }
    (msg.len(), msg.len())
}

/// One field of a header block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field name as written, without the colon (may be empty for a malformed line).
    pub name: &'a [u8],
    /// The whole field: its first line and any continuation lines, with their line ends.
    pub raw: &'a [u8],
    /// Where `raw` lies in the header block given to [`fields`].
    pub range: Range<usize>,
}

impl Field<'_> {
    /// The field body: everything after the colon, continuation lines included, without the
    /// final line end.
    pub fn value(&self) -> &[u8] {
        let after = match memchr(b':', self.raw) {
            Some(c) => &self.raw[c + 1..],
            None => &self.raw[self.raw.len()..],
        };
        trim_line_end(after)
    }

    /// Whether the field name is `name`, compared without regard to ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// The fields of header block `header`, in order, each with its continuation lines.
///
/// A line that does not start a field (no colon, or leading white space at the very start)
/// is returned as a field with the text before its first colon (or the whole line) as name,
/// so that every byte of the header belongs to exactly one field.
pub fn fields(header: &[u8]) -> Fields<'_> {
    Fields { header, pos: 0 }
}

/// Iterator returned by [`fields`].
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    header: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let start = self.pos;
        let rest = &self.header[start..];
        if rest.is_empty() {
            return None;
        }
        let mut end = start + line_len(rest);
        while let Some(&c) = self.header.get(end) {
            if c != b' ' && c != b'\t' {
                break;
            }
            end += line_len(&self.header[end..]);
        }
        self.pos = end;
        let raw = &self.header[start..end];
        let first_line = trim_line_end(&raw[..line_len(raw)]);
        let name = match memchr(b':', first_line) {
            Some(c) => trim_trailing_space(&first_line[..c]),
            None => first_line,
        };
        Some(Field {
            name,
            raw,
            range: start..end,
        })
    }
}

fn line_len(s: &[u8]) -> usize {
    memchr(b'\n', s).map_or(s.len(), |i| i + 1)
}

fn trim_line_end(mut s: &[u8]) -> &[u8] {
    if let [rest @ .., b'\n'] = s {
        s = rest;
    }
    if let [rest @ .., b'\r'] = s {
        s = rest;
    }
    s
}

fn trim_trailing_space(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_first_empty_line() {
        assert_eq!(split(b"A: 1\nB: 2\n\nbody\n"), (10, 11));
        assert_eq!(split(b"A: 1\r\n\r\nbody"), (6, 8));
        assert_eq!(split(b"\nbody"), (0, 1));
        assert_eq!(split(b"A: 1\nB: 2\n"), (10, 10));
        assert_eq!(split(b""), (0, 0));
    }

    #[test]
    fn fields_keep_continuations_and_cover_every_byte() {
        let h = b"Subject: one\n two\nFrom: a@b\nbogus line\n\tcont\nX: y";
        let f: Vec<_> = fields(h).collect();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].name, b"Subject");
        assert_eq!(f[0].value(), b" one\n two");
        assert!(f[0].is("SUBJECT"));
        assert_eq!(f[1].raw, b"From: a@b\n");
        assert_eq!(f[2].name, b"bogus line");
        assert_eq!(f[2].raw, b"bogus line\n\tcont\n");
        assert_eq!(f[3].value(), b" y");
        let total: usize = f.iter().map(|x| x.raw.len()).sum();
        assert_eq!(total, h.len());
        assert_eq!(f[3].range, h.len() - 4..h.len());
    }
}
