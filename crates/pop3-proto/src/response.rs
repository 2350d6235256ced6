//! Responses: `+OK text`, `-ERR text`, and multi-line answers whose lines starting with
//! `.` are dot-stuffed and which end with a line holding only `.` (RFC 1939 §3).

/// Where a [`Writer`] hands its bytes when it holds enough of them (a RETR of a large
/// message goes out as it is made).
pub type Sink = std::sync::Arc<dyn Fn(Vec<u8>) + Send + Sync>;

/// A buffer of response bytes.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
    sink: Option<(Sink, usize)>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Writer({} bytes held)", self.buf.len())
    }
}

impl Writer {
    /// An empty buffer that holds everything.
    pub fn new() -> Self {
        Writer::default()
    }

    /// An empty buffer that gives `sink` what it holds whenever that reaches `at` bytes.
    pub fn spilling(sink: Option<Sink>, at: usize) -> Self {
        Writer {
            buf: Vec::new(),
            sink: sink.map(|s| (s, at)),
        }
    }

    /// What is held, emptying the buffer.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    fn push(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        match &self.sink {
            Some((sink, at)) if self.buf.len() >= *at => {
                let fresh = Vec::with_capacity(*at + at / 4);
                sink(std::mem::replace(&mut self.buf, fresh));
            }
            _ => {}
        }
    }

    /// `+OK text`.
    pub fn ok(&mut self, text: &str) -> &mut Self {
        self.status("+OK", text)
    }

    /// `-ERR text`.
    pub fn err(&mut self, text: &str) -> &mut Self {
        self.status("-ERR", text)
    }

    fn status(&mut self, word: &str, text: &str) -> &mut Self {
        self.push(word.as_bytes());
        if !text.is_empty() {
            self.push(b" ");
            let clean: String = text
                .chars()
                .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
                .collect();
            self.push(clean.as_bytes());
        }
        self.push(b"\r\n");
        self
    }

    /// One line of a multi-line answer (dot-stuffed).
    pub fn line(&mut self, text: &str) -> &mut Self {
        if text.starts_with('.') {
            self.push(b".");
        }
        self.push(text.as_bytes());
        self.push(b"\r\n");
        self
    }

    /// Message data (CRLF line ends) in a multi-line answer: lines starting with `.` get
    /// another; a last line without an end gets one.
    pub fn data(&mut self, data: &[u8]) -> &mut Self {
        let mut start = 0;
        while start < data.len() {
            let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i + 1);
            let line = &data[start..end];
            if line.first() == Some(&b'.') {
                self.push(b".");
            }
            self.push(line);
            if !line.ends_with(b"\n") {
                self.push(b"\r\n");
            }
            start = end;
        }
        self
    }

    /// The end of a multi-line answer.
    pub fn end(&mut self) -> &mut Self {
        self.push(b".\r\n");
        self
    }

    /// Raw bytes (an AUTH continuation).
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.push(b);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing() {
        let mut w = Writer::new();
        w.ok("2 octets")
            .data(b".hidden\r\nline\r\n..two\r\nlast")
            .end();
        assert_eq!(
            w.take(),
            b"+OK 2 octets\r\n..hidden\r\nline\r\n...two\r\nlast\r\n.\r\n"
        );
        w.line(".x").line("y").err("bad\r\nthing");
        assert_eq!(w.take(), b"..x\r\ny\r\n-ERR bad  thing\r\n");
    }

    #[test]
    fn spills_to_the_sink() {
        let got = std::sync::Arc::new(std::sync::Mutex::new(0usize));
        let g = std::sync::Arc::clone(&got);
        let mut w = Writer::spilling(
            Some(std::sync::Arc::new(move |b: Vec<u8>| {
                *g.lock().unwrap() += b.len();
            })),
            10,
        );
        w.data(&[b'a'; 100]);
        assert!(*got.lock().unwrap() >= 100);
    }
}
