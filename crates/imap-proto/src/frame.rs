//! Cutting the client's byte stream into whole commands, before any parsing.
//!
//! RFC 3501 §2.2 and §4.3: a command is a line ended by CRLF, except that a line may end
//! with a literal announcement, `{n}` (synchronising: the client waits for a `+`
//! continuation from the server before sending the `n` bytes) or `{n+}` (non-synchronising,
//! RFC 7888 LITERAL+: the bytes follow at once); after the literal the command continues
//! with more of the line.
//!
//! ```text
//! literal  = "{" number ["+"] "}" CRLF *CHAR8
//! ```
//!
//! The [`Framer`] collects a command's bytes (lines and literals) until it is whole, and
//! enforces limits first (Panda's, §1.1 of the inventory: 64 KiB of command text, 10,000
//! bytes per literal except in APPEND, 1 GiB per APPEND literal, 20 literals). A command
//! that breaks a limit is thrown away whole: the rest of its line is skipped, and a
//! synchronising literal the server refused is never sent; non-synchronising literal bytes
//! that arrive anyway are drained. The session answers `BAD` and goes on.

use memchr::memchr;

/// Size limits on what a client may send in one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes of command text, literals not counted.
    pub line: usize,
    /// The largest literal in a command other than APPEND.
    pub literal: u64,
    /// The largest literal in an APPEND (a message).
    pub append_literal: u64,
    /// The most literals in one command.
    pub literals: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            line: 65_536,
            literal: 10_000,
            append_literal: 1 << 30,
            literals: 20,
        }
    }
}

/// What the framer has for the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole command: its text with CRLFs and literal announcements, and each literal's
    /// bytes in place.
    Command(Vec<u8>),
    /// The client announced a synchronising literal of this size and waits: the session
    /// sends a continuation (`+ Ready for argument`) and calls nothing else; the bytes
    /// follow.
    Continue {
        /// The literal's size.
        size: u64,
    },
    /// A command broke a limit and was thrown away. `tag` is its tag, if one could be read,
    /// for the `BAD` answer.
    Rejected {
        /// The command's tag.
        tag: Option<Vec<u8>>,
        /// Which limit.
        reason: Rejection,
    },
}

/// Why a command was thrown away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The command text is longer than the limit.
    #[error("Command line too long")]
    LineTooLong,
    /// A literal is larger than the limit.
    #[error("Absurdly long client literal")]
    LiteralTooLong,
    /// More literals than the limit.
    #[error("Too many literals in command")]
    TooManyLiterals,
}

#[derive(Debug)]
enum State {
    /// Reading command text.
    Line,
    /// Reading `remaining` bytes of literal.
    Literal { remaining: u64 },
    /// Throwing away the rest of a rejected command's line.
    SkipLine,
    /// Throwing away `remaining` bytes of a rejected command's non-synchronising literal,
    /// then the rest of its line.
    SkipLiteral { remaining: u64 },
}

/// Collects whole commands from the client's bytes (see the module documentation).
#[derive(Debug)]
pub struct Framer {
    limits: Limits,
    input: Vec<u8>,
    /// How much of `input` has been looked at.
    seen: usize,
    command: Vec<u8>,
    text_len: usize,
    literals: usize,
    state: State,
}

impl Framer {
    /// A framer enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        Framer {
            limits,
            input: Vec::new(),
            seen: 0,
            command: Vec::new(),
            text_len: 0,
            literals: 0,
            state: State::Line,
        }
    }

    /// Takes bytes from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// Bytes received and not yet part of a frame (after STARTTLS they must be none).
    pub fn buffered(&self) -> usize {
        self.input.len() + self.command.len()
    }

    /// The next frame, if the bytes so far make one.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            match self.state {
                State::Line => {
                    let nl = memchr(b'\n', &self.input[self.seen..]).map(|i| self.seen + i);
                    let Some(nl) = nl else {
                        self.seen = self.input.len();
                        if self.text_len + self.input.len() > self.limits.line {
                            return Some(self.reject(Rejection::LineTooLong, State::SkipLine));
                        }
                        return None;
                    };
                    let line: Vec<u8> = self.input.drain(..=nl).collect();
                    self.seen = 0;
                    self.text_len += line.len();
                    if self.text_len > self.limits.line {
                        self.command.extend_from_slice(&line);
                        let next = match literal_announcement(&line) {
                            Some((size, Sync::No)) => State::SkipLiteral { remaining: size },
                            _ => State::Line,
                        };
                        return Some(self.reject(Rejection::LineTooLong, next));
                    }
                    self.command.extend_from_slice(&line);
                    match literal_announcement(&line) {
                        None => {
                            self.text_len = 0;
                            self.literals = 0;
                            return Some(Frame::Command(std::mem::take(&mut self.command)));
                        }
                        Some((size, sync)) => {
                            self.literals += 1;
                            let limit = if is_append(&self.command) {
                                self.limits.append_literal
                            } else {
                                self.limits.literal
                            };
                            let broken = if self.literals > self.limits.literals {
                                Some(Rejection::TooManyLiterals)
                            } else if size > limit {
                                Some(Rejection::LiteralTooLong)
                            } else {
                                None
                            };
                            match (broken, sync) {
                                (Some(r), Sync::Yes) => {
                                    // The client waits for our continuation: it will not
                                    // send the literal, and carries on with a new command.
                                    return Some(self.reject(r, State::Line));
                                }
                                (Some(r), Sync::No) => {
                                    return Some(
                                        self.reject(r, State::SkipLiteral { remaining: size }),
                                    );
                                }
                                (None, sync) => {
                                    self.state = State::Literal { remaining: size };
                                    if sync == Sync::Yes {
                                        return Some(Frame::Continue { size });
                                    }
                                }
                            }
                        }
                    }
                }
                State::Literal { remaining } => {
                    if remaining > 0 && self.input.is_empty() {
                        return None;
                    }
                    let n = (remaining as usize).min(self.input.len());
                    self.command.extend(self.input.drain(..n));
                    let left = remaining - n as u64;
                    self.state = if left == 0 {
                        State::Line
                    } else {
                        State::Literal { remaining: left }
                    };
                    if left > 0 {
                        return None;
                    }
                }
                State::SkipLiteral { remaining } => {
                    let n = (remaining as usize).min(self.input.len());
                    self.input.drain(..n);
                    let left = remaining - n as u64;
                    if left > 0 {
                        self.state = State::SkipLiteral { remaining: left };
                        return None;
                    }
                    self.state = State::SkipLine;
                }
                State::SkipLine => match memchr(b'\n', &self.input) {
                    None => {
                        // Keep the tail: the line may end with a literal announcement
                        // ("{" 19 digits "+}" CR) whose literal must be skipped too.
                        let keep = self.input.len().min(ANNOUNCEMENT_MAX);
                        self.input.drain(..self.input.len() - keep);
                        return None;
                    }
                    Some(nl) => {
                        let line: Vec<u8> = self.input.drain(..=nl).collect();
                        self.seen = 0;
                        self.state = match literal_announcement(&line) {
                            Some((size, Sync::No)) => State::SkipLiteral { remaining: size },
                            _ => State::Line,
                        };
                    }
                },
            }
        }
    }

    fn reject(&mut self, reason: Rejection, next: State) -> Frame {
        // The command's tag; a line still too long to have been taken from the input
        // starts the input. (Never a later command's tag.)
        let tag = if self.command.is_empty() {
            tag_of(&self.input)
        } else {
            tag_of(&self.command)
        };
        self.command.clear();
        self.text_len = 0;
        self.literals = 0;
        self.seen = 0;
        self.state = next;
        Frame::Rejected { tag, reason }
    }
}

/// The longest literal announcement before its LF: `{`, 19 digits, `+}`, CR.
const ANNOUNCEMENT_MAX: usize = 23;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sync {
    Yes,
    No,
}

/// The literal a line announces at its end (`{n}` or `{n+}` before CRLF).
fn literal_announcement(line: &[u8]) -> Option<(u64, Sync)> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let mut digits = &inner[open + 1..];
    let sync = match digits.strip_suffix(b"+") {
        Some(d) => {
            digits = d;
            Sync::No
        }
        None => Sync::Yes,
    };
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0u64, |a, &d| {
        a.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some((n, sync))
}

/// The tag at the start of a command, if there is a plausible one.
fn tag_of(bytes: &[u8]) -> Option<Vec<u8>> {
    let end = bytes.iter().position(|&b| b == b' ')?;
    let tag = &bytes[..end];
    (!tag.is_empty() && tag.len() <= 64 && tag.iter().all(|&b| crate::parse::is_tag_char(b)))
        .then(|| tag.to_vec())
}

/// Whether the command so far is an APPEND (second word, any case).
fn is_append(command: &[u8]) -> bool {
    let mut words = command.splitn(3, |&b| b == b' ');
    let _tag = words.next();
    words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"APPEND"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn skipped_line_cut_inside_its_literal_announcement() {
        // Found by fuzzing: a too-long line arriving in pieces lost its trailing {n+}
        // when a piece ended inside it, so the literal was read as a command.
        let limits = super::Limits {
            line: 300,
            literal: 50,
            append_literal: 200,
            literals: 3,
        };
        let input = [
            &b"a SELECT "[..],
            &[b'x'; 400],
            b" {2+}\r\nde\r\nb NOOP\r\n",
        ]
        .concat();
        let input = input.as_slice();
        let mut whole = super::Framer::new(limits);
        whole.feed(input);
        let mut pieces = super::Framer::new(limits);
        let (mut w, mut p) = (Vec::new(), Vec::new());
        while let Some(f) = whole.next_frame() {
            w.push(f);
        }
        for b in input {
            pieces.feed(std::slice::from_ref(b));
            while let Some(f) = pieces.next_frame() {
                p.push(f);
            }
        }
        assert_eq!(w, p);
        assert_eq!(
            w.last(),
            Some(&super::Frame::Command(b"b NOOP\r\n".to_vec()))
        );
    }

    #[test]
    fn rejected_tag_is_never_the_next_commands() {
        // Found by fuzzing: a rejected command without a valid tag was given the tag of
        // the command after it when both had arrived.
        let limits = super::Limits {
            line: 300,
            literal: 50,
            append_literal: 200,
            literals: 3,
        };
        let mut f = super::Framer::new(limits);
        f.feed(b"\x01c SELECT {44117}\r\nECa LOGOUT\r\n");
        assert_eq!(
            f.next_frame(),
            Some(super::Frame::Rejected {
                tag: None,
                reason: super::Rejection::LiteralTooLong
            })
        );
        assert_eq!(
            f.next_frame(),
            Some(super::Frame::Command(b"ECa LOGOUT\r\n".to_vec()))
        );
    }

    use super::*;

    fn frames(input: &[u8], limits: Limits) -> Vec<Frame> {
        let mut f = Framer::new(limits);
        let mut out = Vec::new();
        // Feed a byte at a time: framing must not depend on how the bytes arrive.
        for b in input {
            f.feed(std::slice::from_ref(b));
            while let Some(fr) = f.next_frame() {
                out.push(fr);
            }
        }
        let mut whole = Framer::new(limits);
        whole.feed(input);
        let mut out2 = Vec::new();
        while let Some(fr) = whole.next_frame() {
            out2.push(fr);
        }
        assert_eq!(out, out2);
        out
    }

    #[test]
    fn lines_and_literals() {
        let f = frames(
            b"a1 NOOP\r\na2 LOGIN {4}\r\nfred {3+}\r\nabc\r\na3 LOGOUT\r\n",
            Limits::default(),
        );
        assert_eq!(
            f,
            vec![
                Frame::Command(b"a1 NOOP\r\n".to_vec()),
                Frame::Continue { size: 4 },
                Frame::Command(b"a2 LOGIN {4}\r\nfred {3+}\r\nabc\r\n".to_vec()),
                Frame::Command(b"a3 LOGOUT\r\n".to_vec()),
            ]
        );
    }

    #[test]
    fn a_bare_lf_ends_a_line_too() {
        let f = frames(b"a NOOP\n", Limits::default());
        assert_eq!(f, vec![Frame::Command(b"a NOOP\n".to_vec())]);
    }

    #[test]
    fn long_lines_are_thrown_away_whole() {
        let limits = Limits {
            line: 20,
            ..Limits::default()
        };
        let mut input = b"t1 NOOP ".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100));
        input.extend_from_slice(b"\r\nt2 NOOP\r\n");
        let f = frames(&input, limits);
        assert_eq!(
            f,
            vec![
                Frame::Rejected {
                    tag: Some(b"t1".to_vec()),
                    reason: Rejection::LineTooLong
                },
                Frame::Command(b"t2 NOOP\r\n".to_vec()),
            ]
        );
    }

    #[test]
    fn big_literals_are_refused_and_the_session_goes_on() {
        // Synchronising: the client never sends the bytes.
        let f = frames(b"t1 LOGIN {20000}\r\nt2 NOOP\r\n", Limits::default());
        assert_eq!(
            f,
            vec![
                Frame::Rejected {
                    tag: Some(b"t1".to_vec()),
                    reason: Rejection::LiteralTooLong
                },
                Frame::Command(b"t2 NOOP\r\n".to_vec()),
            ]
        );
        // Non-synchronising: the bytes come anyway and are drained.
        let mut input = b"t1 LOGIN {12000+}\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'y', 12000));
        input.extend_from_slice(b" pw\r\nt2 NOOP\r\n");
        let f = frames(&input, Limits::default());
        assert_eq!(f[1], Frame::Command(b"t2 NOOP\r\n".to_vec()));
        // APPEND takes large literals.
        let f = frames(b"t3 APPEND INBOX {20000}\r\n", Limits::default());
        assert_eq!(f, vec![Frame::Continue { size: 20000 }]);
    }

    #[test]
    fn too_many_literals() {
        let limits = Limits {
            literals: 2,
            ..Limits::default()
        };
        let f = frames(b"t X {1+}\r\na {1+}\r\nb {1+}\r\nc\r\nt2 NOOP\r\n", limits);
        assert_eq!(
            f,
            vec![
                Frame::Rejected {
                    tag: Some(b"t".to_vec()),
                    reason: Rejection::TooManyLiterals
                },
                Frame::Command(b"t2 NOOP\r\n".to_vec()),
            ]
        );
    }

    #[test]
    fn announcements() {
        assert_eq!(literal_announcement(b"a {5}\r\n"), Some((5, Sync::Yes)));
        assert_eq!(literal_announcement(b"a {0+}\r\n"), Some((0, Sync::No)));
        assert_eq!(literal_announcement(b"a {}\r\n"), None);
        assert_eq!(literal_announcement(b"a {x}\r\n"), None);
        assert_eq!(literal_announcement(b"a {5}x\r\n"), None);
    }
}
