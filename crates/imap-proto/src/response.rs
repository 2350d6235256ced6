//! Writing responses (RFC 3501 §7).
//!
//! Each string goes out in the lightest form its contents allow: an atom when it is one, a
//! quoted string when it has no CR, LF, NUL, 8-bit byte, `"` or `\` problems, a literal
//! otherwise. A [`Writer`] accumulates one burst of responses so that it leaves in one
//! write.

use crate::command::Utf8Mode;

/// Where a [`Writer`] hands its bytes when it holds enough of them, so that a large
/// response (`FETCH 1:* BODY[]`) is sent as it is made instead of held whole.
pub type Sink = std::sync::Arc<dyn Fn(Vec<u8>) + Send + Sync>;

/// A buffer of response bytes.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
    sink: Option<(Sink, usize)>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("buffered", &self.buf.len())
            .field("sink", &self.sink.as_ref().map(|(_, t)| t))
            .finish()
    }
}

/// How to write a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// As an atom if it is one (names, flags).
    AtomIfPossible,
    /// Always as a string (quoted or literal).
    String,
}

impl Writer {
    /// An empty buffer.
    pub fn new() -> Self {
        Writer::default()
    }

    /// An empty buffer that hands what it holds to `sink` whenever that reaches
    /// `threshold` bytes; [`Writer::take`] gives what is left.
    pub fn with_sink(sink: Option<Sink>, threshold: usize) -> Self {
        Writer {
            buf: Vec::new(),
            sink: sink.map(|s| (s, threshold)),
        }
    }

    /// The bytes written so far, emptying the buffer.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Whether nothing is held (what went to the sink is not held).
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Raw bytes.
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        if let Some((sink, threshold)) = &self.sink
            && self.buf.len() >= *threshold
        {
            // The next buffer starts at full size: growing it again each time would copy.
            let next = Vec::with_capacity(*threshold + threshold / 4);
            sink(std::mem::replace(&mut self.buf, next));
        }
        self
    }

    /// Text.
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.raw(s.as_bytes())
    }

    /// A number.
    pub fn num(&mut self, n: impl std::fmt::Display) -> &mut Self {
        use std::io::Write as _;
        // Formatting into the buffer allocates nothing; writing to a Vec cannot fail.
        let _ = write!(self.buf, "{n}");
        self.raw(b"")
    }

    /// CRLF.
    pub fn crlf(&mut self) -> &mut Self {
        self.raw(b"\r\n")
    }

    /// A string in the lightest form allowed.
    pub fn string(&mut self, s: &[u8], form: Form) -> &mut Self {
        self.string_in(s, form, Utf8Mode::Off)
    }

    /// A string in the lightest form allowed to a client in UTF-8 mode `utf8`: once it
    /// enabled UTF8=ACCEPT, UTF-8 goes in quoted strings (RFC 6855 §3) instead of
    /// literals.
    pub fn string_in(&mut self, s: &[u8], form: Form, utf8: Utf8Mode) -> &mut Self {
        if form == Form::AtomIfPossible
            && !s.is_empty()
            && s.iter().all(|&b| crate::parse::is_astring_char(b))
            && !s.eq_ignore_ascii_case(b"NIL")
        {
            return self.raw(s);
        }
        let quotable = s.len() <= 1024
            && s.iter()
                .all(|&b| (0x20..0x80).contains(&b) || b == b'\t' || b >= 0x80)
            && (s.is_ascii() || utf8 == Utf8Mode::Accept && std::str::from_utf8(s).is_ok());
        if quotable {
            self.buf.push(b'"');
            if memchr::memchr2(b'"', b'\\', s).is_none() {
                self.buf.extend_from_slice(s);
            } else {
                for &b in s {
                    if b == b'"' || b == b'\\' {
                        self.buf.push(b'\\');
                    }
                    self.buf.push(b);
                }
            }
            self.buf.push(b'"');
            self
        } else {
            self.literal(s)
        }
    }

    /// A literal.
    pub fn literal(&mut self, s: &[u8]) -> &mut Self {
        self.text(&format!("{{{}}}\r\n", s.len()));
        self.raw(s)
    }

    /// A string, or NIL.
    pub fn nstring(&mut self, s: Option<&[u8]>) -> &mut Self {
        match s {
            Some(s) => self.string(s, Form::String),
            None => self.raw(b"NIL"),
        }
    }

    /// A tagged or untagged status response: `tag OK [code] text`.
    pub fn status(
        &mut self,
        tag: Option<&[u8]>,
        status: &str,
        code: Option<&str>,
        text: &str,
    ) -> &mut Self {
        match tag {
            Some(t) => self.raw(t),
            None => self.raw(b"*"),
        };
        self.text(" ").text(status).text(" ");
        if let Some(c) = code {
            self.text("[").text(c).text("] ");
        }
        // Text must not break the line.
        let clean: String = text
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        self.text(&clean).crlf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_takes_what_reaches_the_threshold() {
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
        let g = std::sync::Arc::clone(&got);
        let mut w = Writer::with_sink(
            Some(std::sync::Arc::new(move |b: Vec<u8>| {
                g.lock().unwrap().push(b)
            })),
            4,
        );
        w.text("ab").text("cd").text("e");
        assert_eq!(*got.lock().unwrap(), vec![b"abcd".to_vec()]);
        assert_eq!(w.take(), b"e");
    }

    #[test]
    fn string_forms() {
        let mut w = Writer::new();
        w.string(b"INBOX", Form::AtomIfPossible)
            .text(" ")
            .string(b"a b", Form::AtomIfPossible)
            .text(" ")
            .string(b"q\"\\", Form::String)
            .text(" ")
            .string(b"line\r\nbreak", Form::String)
            .text(" ")
            .string(b"nil", Form::AtomIfPossible)
            .text(" ")
            .nstring(None);
        assert_eq!(
            w.take(),
            b"INBOX \"a b\" \"q\\\"\\\\\" {11}\r\nline\r\nbreak \"nil\" NIL"
        );
        let mut w = Writer::new();
        let name = "台北".as_bytes();
        w.string_in(name, Form::AtomIfPossible, Utf8Mode::Off)
            .text(" ")
            .string_in(name, Form::AtomIfPossible, Utf8Mode::Accept)
            .text(" ")
            .string_in(b"caf\xe9", Form::AtomIfPossible, Utf8Mode::Accept);
        let want = [&b"{6}\r\n"[..], name, b" \"", name, b"\" {4}\r\ncaf\xe9"].concat();
        assert_eq!(w.take(), want);
        let mut w = Writer::new();
        w.status(Some(b"a1"), "OK", Some("READ-WRITE"), "SELECT completed");
        w.status(None, "BYE", None, "bad\r\nthing");
        assert_eq!(
            w.take(),
            b"a1 OK [READ-WRITE] SELECT completed\r\n* BYE bad  thing\r\n"
        );
    }
}
