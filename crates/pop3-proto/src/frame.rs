//! Lines from the client's bytes.
//!
//! RFC 1939 §3: commands are lines ending in CRLF (a bare LF is taken too). RFC 2449 §4
//! limits a command to 255 octets; clients send longer AUTH lines (RFC 5034 allows them),
//! so the limit here is larger, and a line past it is thrown away whole.

use memchr::memchr;

/// The longest line taken.
pub const MAX_LINE: usize = 8192;

/// What the framer has for the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A line, without its line end.
    Text(Vec<u8>),
    /// A line longer than [`MAX_LINE`] was thrown away.
    TooLong,
}

/// Cuts bytes into lines.
#[derive(Debug, Default)]
pub struct Framer {
    input: Vec<u8>,
    /// How much of `input` is known to hold no line end (so it is not searched again).
    seen: usize,
    skipping: Skipping,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Skipping {
    #[default]
    No,
    /// The rest of a too-long line is being thrown away.
    Yes,
}

impl Framer {
    /// An empty framer.
    pub fn new() -> Self {
        Framer::default()
    }

    /// Takes bytes from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Bytes received and not yet a line (after STLS they must be none).
    pub fn buffered(&self) -> usize {
        self.input.len()
    }

    /// Forgets what was received (STLS: plain text sent before the handshake).
    pub fn clear(&mut self) {
        self.input.clear();
        self.seen = 0;
        self.skipping = Skipping::No;
    }

    /// The next line, if the bytes so far make one.
    pub fn next_line(&mut self) -> Option<Line> {
        loop {
            let Some(nl) = memchr(b'\n', &self.input[self.seen..]).map(|i| self.seen + i) else {
                self.seen = self.input.len();
                if self.input.len() > MAX_LINE {
                    self.input.clear();
                    self.seen = 0;
                    if self.skipping == Skipping::No {
                        self.skipping = Skipping::Yes;
                        return Some(Line::TooLong);
                    }
                }
                return None;
            };
            let mut line: Vec<u8> = self.input.drain(..=nl).collect();
            self.seen = 0;
            if self.skipping == Skipping::Yes {
                self.skipping = Skipping::No;
                continue;
            }
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > MAX_LINE {
                return Some(Line::TooLong);
            }
            return Some(Line::Text(line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_limits() {
        let mut f = Framer::new();
        f.feed(b"USER a\r\nPASS b c\nST");
        assert_eq!(f.next_line(), Some(Line::Text(b"USER a".to_vec())));
        assert_eq!(f.next_line(), Some(Line::Text(b"PASS b c".to_vec())));
        assert_eq!(f.next_line(), None);
        f.feed(b"AT\r\n");
        assert_eq!(f.next_line(), Some(Line::Text(b"STAT".to_vec())));
        f.feed(&vec![b'x'; MAX_LINE + 10]);
        assert_eq!(f.next_line(), Some(Line::TooLong));
        f.feed(b"yyy\r\nNOOP\r\n");
        assert_eq!(f.next_line(), Some(Line::Text(b"NOOP".to_vec())));
        assert_eq!(f.buffered(), 0);
    }
}
