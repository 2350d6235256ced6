//! Cutting the server's byte stream into whole responses, before any parsing.
//!
//! RFC 3501 §2.2.2 and §7: a response is a line ended by CRLF, except that a line may end
//! with a literal announcement `{n}` whose `n` bytes follow at once, after which the
//! response continues with more of the line (a FETCH response carrying a message body is
//! the usual case).
//!
//! ```text
//! literal  = "{" number "}" CRLF *CHAR8
//! ```
//!
//! Limits are checked before bytes are kept: a server that announces a literal larger than
//! [`Limits::literal`] or sends a line longer than [`Limits::line`] is an error, and the
//! connection cannot go on (the framer is no longer in step with the server).

use memchr::memchr;

/// Size limits on what a server may send in one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of response text, literals not counted.
    pub line: usize,
    /// The largest literal.
    pub literal: u64,
    /// The most literals in one response.
    pub literals: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            line: 16 << 20,
            literal: 1 << 31,
            literals: 10_000,
        }
    }
}

/// Why the server's bytes cannot be framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A response line is longer than the limit.
    #[error("server response line too long")]
    LineTooLong,
    /// A literal is larger than the limit.
    #[error("server literal too long")]
    LiteralTooLong,
    /// More literals in one response than the limit.
    #[error("too many literals in one server response")]
    TooManyLiterals,
}

#[derive(Debug)]
enum State {
    Line,
    Literal { remaining: u64 },
    Broken(FrameError),
}

/// Collects whole responses from the server's bytes (see the module documentation).
#[derive(Debug)]
pub struct ResponseFramer {
    limits: Limits,
    input: Vec<u8>,
    /// Where the unconsumed part of `input` starts.
    start: usize,
    /// How much of `input` after `start` has been searched for a line end.
    seen: usize,
    response: Vec<u8>,
    text_len: usize,
    literals: usize,
    state: State,
}

impl ResponseFramer {
    /// A framer enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        ResponseFramer {
            limits,
            input: Vec::new(),
            start: 0,
            seen: 0,
            response: Vec::new(),
            text_len: 0,
            literals: 0,
            state: State::Line,
        }
    }

    /// Takes bytes from the server.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.input.len() {
            self.input.clear();
            self.start = 0;
            self.seen = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// Bytes received and not yet part of a whole response (before STARTTLS's tagged OK
    /// is acted on they must be none: anything else was injected before the handshake).
    pub fn buffered(&self) -> usize {
        self.input.len() - self.start + self.response.len()
    }

    /// The next whole response (its text with CRLFs and each literal's bytes in place), if
    /// the bytes so far make one.
    pub fn next_response(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        loop {
            match self.state {
                State::Broken(e) => return Some(Err(e)),
                State::Line => {
                    let rest = &self.input[self.start + self.seen..];
                    let Some(i) = memchr(b'\n', rest) else {
                        self.seen = self.input.len() - self.start;
                        if self.text_len + self.seen > self.limits.line {
                            return Some(Err(self.broken(FrameError::LineTooLong)));
                        }
                        self.compact();
                        return None;
                    };
                    let end = self.start + self.seen + i + 1;
                    let line = &self.input[self.start..end];
                    self.text_len += line.len();
                    if self.text_len > self.limits.line {
                        return Some(Err(self.broken(FrameError::LineTooLong)));
                    }
                    let announced = literal_announcement(line);
                    self.response.extend_from_slice(line);
                    self.start = end;
                    self.seen = 0;
                    match announced {
                        Some(Ok(n)) => {
                            self.literals += 1;
                            if self.literals > self.limits.literals {
                                return Some(Err(self.broken(FrameError::TooManyLiterals)));
                            }
                            if n > self.limits.literal {
                                return Some(Err(self.broken(FrameError::LiteralTooLong)));
                            }
                            self.state = State::Literal { remaining: n };
                        }
                        Some(Err(e)) => return Some(Err(self.broken(e))),
                        None => {
                            self.text_len = 0;
                            self.literals = 0;
                            return Some(Ok(std::mem::take(&mut self.response)));
                        }
                    }
                }
                State::Literal { remaining } => {
                    let available = (self.input.len() - self.start) as u64;
                    let take = remaining.min(available);
                    // `take` is at most the bytes in `input`, so it fits a usize.
                    let take_usize = usize::try_from(take).unwrap_or(usize::MAX);
                    let end = self.start + take_usize;
                    self.response
                        .extend_from_slice(&self.input[self.start..end]);
                    self.start = end;
                    let left = remaining - take;
                    if left == 0 {
                        self.state = State::Line;
                    } else {
                        self.state = State::Literal { remaining: left };
                        self.compact();
                        return None;
                    }
                }
            }
        }
    }

    fn broken(&mut self, e: FrameError) -> FrameError {
        self.state = State::Broken(e);
        self.input = Vec::new();
        self.response = Vec::new();
        self.start = 0;
        self.seen = 0;
        e
    }

    /// Drops consumed input once it is most of the buffer.
    fn compact(&mut self) {
        if self.start > 0 && self.start >= self.input.len() / 2 {
            self.input.drain(..self.start);
            self.start = 0;
        }
    }
}

/// The size of the literal `line` (ending in LF) announces at its end, if it does.
fn literal_announcement(line: &[u8]) -> Option<Result<u64, FrameError>> {
    let body = line.strip_suffix(b"\n")?;
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let body = body.strip_suffix(b"}")?;
    let open = memchr::memrchr(b'{', body)?;
    let digits = &body[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits.len() > 19 {
        return Some(Err(FrameError::LiteralTooLong));
    }
    let mut n: u64 = 0;
    for &d in digits {
        n = n * 10 + u64::from(d - b'0');
    }
    Some(Ok(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(f: &mut ResponseFramer) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(r) = f.next_response() {
            out.push(r.unwrap());
        }
        out
    }

    #[test]
    fn lines_and_literals() {
        let mut f = ResponseFramer::new(Limits::default());
        f.feed(b"* 1 FETCH (BODY[] {5}\r\nab\r\nc UID 4)\r\n* OK x\r\nA1 OK");
        let r = all(&mut f);
        assert_eq!(
            r,
            vec![
                b"* 1 FETCH (BODY[] {5}\r\nab\r\nc UID 4)\r\n".to_vec(),
                b"* OK x\r\n".to_vec()
            ]
        );
        f.feed(b" done\r\n");
        assert_eq!(all(&mut f), vec![b"A1 OK done\r\n".to_vec()]);
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn byte_at_a_time_is_the_same() {
        let input = b"* 2 FETCH (RFC822 {5}\r\n{1}\r\n)\r\n+ go\r\nt OK\r\n";
        let mut whole = ResponseFramer::new(Limits::default());
        whole.feed(input);
        let expect = all(&mut whole);
        let mut f = ResponseFramer::new(Limits::default());
        let mut got = Vec::new();
        for b in input {
            f.feed(&[*b]);
            got.extend(all(&mut f));
        }
        assert_eq!(got, expect);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn limits_are_errors() {
        let limits = Limits {
            line: 100,
            literal: 3,
            literals: 1,
        };
        let mut f = ResponseFramer::new(limits);
        f.feed(b"* 1 EXISTS and much more, much more, much more, much more, much more, much more, much more, and more\r\n");
        assert_eq!(f.next_response(), Some(Err(FrameError::LineTooLong)));
        let mut f = ResponseFramer::new(limits);
        f.feed(b"* {4}\r\n");
        assert_eq!(f.next_response(), Some(Err(FrameError::LiteralTooLong)));
        let mut f = ResponseFramer::new(limits);
        f.feed(b"* {99999999999999999999}\r\n");
        assert_eq!(f.next_response(), Some(Err(FrameError::LiteralTooLong)));
    }
}
