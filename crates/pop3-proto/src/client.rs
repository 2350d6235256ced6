//! The client direction of POP3, without I/O: reading the server's status lines and
//! multi-line answers, the greeting's APOP timestamp, and CAPA.
//!
//! ```text
//! status     = ("+OK" / "-ERR") [SP text] CRLF                 ; RFC 1939 §3
//! multi-line = status *(line CRLF) "." CRLF                     ; a line starting "." is
//!                                                                ; sent with one more "."
//! greeting   = "+OK" SP *text ["<" *VCHAR "@" *VCHAR ">"] ...   ; RFC 1939 §7 (APOP)
//! capa-line  = capa-tag *(SP param)                              ; RFC 2449 §5
//! ```
//!
//! The [`ReplyReader`] cuts lines under a limit; a line past it is an error (the client
//! cannot stay in step), never a silent cut, so a message's text is never truncated.

use memchr::memchr;

/// The longest line a server may send (messages' lines included).
pub const MAX_REPLY_LINE: usize = 1 << 20;

/// Why the server's bytes are not POP3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// A line longer than [`MAX_REPLY_LINE`].
    #[error("server line too long")]
    LineTooLong,
    /// A status line that is neither `+OK` nor `-ERR`.
    #[error("server reply is neither +OK nor -ERR")]
    NotAStatus,
}

/// A status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK text`
    Ok(String),
    /// `-ERR text`
    Err(String),
}

/// One line of a multi-line answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataLine {
    /// A line, dot-unstuffed, without its line end.
    Line(Vec<u8>),
    /// The terminating `.`.
    End,
}

/// Cuts the server's bytes into status and data lines.
#[derive(Debug, Default)]
pub struct ReplyReader {
    input: Vec<u8>,
    start: usize,
}

impl ReplyReader {
    /// An empty reader.
    pub fn new() -> Self {
        ReplyReader::default()
    }

    /// Takes bytes from the server.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.input.len() / 2 {
            self.input.drain(..self.start);
            self.start = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// Bytes received and not yet read as lines (before STLS's `+OK` is acted on they must
    /// be none).
    pub fn buffered(&self) -> usize {
        self.input.len() - self.start
    }

    fn line(&mut self) -> Option<Result<Vec<u8>, ReplyError>> {
        let rest = &self.input[self.start..];
        let Some(i) = memchr(b'\n', rest) else {
            if rest.len() > MAX_REPLY_LINE {
                return Some(Err(ReplyError::LineTooLong));
            }
            return None;
        };
        if i > MAX_REPLY_LINE {
            return Some(Err(ReplyError::LineTooLong));
        }
        let mut line = rest[..i].to_vec();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        self.start += i + 1;
        Some(Ok(line))
    }

    /// The next status line, if a whole one has come.
    pub fn status(&mut self) -> Option<Result<Reply, ReplyError>> {
        Some(self.line()?.and_then(|l| parse_status(&l)))
    }

    /// The next line of a multi-line answer, if a whole one has come.
    pub fn data_line(&mut self) -> Option<Result<DataLine, ReplyError>> {
        Some(self.line()?.map(|l| {
            if l == b"." {
                DataLine::End
            } else if l.first() == Some(&b'.') {
                DataLine::Line(l[1..].to_vec())
            } else {
                DataLine::Line(l)
            }
        }))
    }
}

/// Parses a status line (without its line end).
pub fn parse_status(line: &[u8]) -> Result<Reply, ReplyError> {
    let text = |rest: &[u8]| {
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        String::from_utf8_lossy(rest).into_owned()
    };
    if line.len() >= 3 && line[..3].eq_ignore_ascii_case(b"+OK") {
        Ok(Reply::Ok(text(&line[3..])))
    } else if line.len() >= 4 && line[..4].eq_ignore_ascii_case(b"-ERR") {
        Ok(Reply::Err(text(&line[4..])))
    } else {
        Err(ReplyError::NotAStatus)
    }
}

/// The APOP timestamp (`<…@…>`, brackets included) in a greeting's text, if it has one.
pub fn apop_timestamp(greeting: &str) -> Option<&str> {
    let open = greeting.find('<')?;
    let close = open + greeting[open..].find('>')?;
    let stamp = &greeting[open..=close];
    (stamp.contains('@') && stamp.is_ascii() && !stamp.contains(' ')).then_some(stamp)
}

/// What a server said to CAPA (RFC 2449): one line per capability.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    lines: Vec<String>,
}

impl Capabilities {
    /// From CAPA's data lines.
    pub fn from_lines(lines: &[Vec<u8>]) -> Self {
        Capabilities {
            lines: lines
                .iter()
                .map(|l| String::from_utf8_lossy(l).trim().to_owned())
                .filter(|l| !l.is_empty())
                .collect(),
        }
    }

    /// Whether the capability `tag` (case-insensitive) is there.
    pub fn has(&self, tag: &str) -> bool {
        self.lines.iter().any(|l| {
            l.split(' ')
                .next()
                .is_some_and(|t| t.eq_ignore_ascii_case(tag))
        })
    }

    /// The SASL mechanisms offered (`SASL PLAIN CRAM-MD5`), upper-cased.
    pub fn sasl(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| {
                let mut w = l.split(' ');
                w.next()
                    .filter(|t| t.eq_ignore_ascii_case("SASL"))
                    .map(|_| {
                        w.filter(|m| !m.is_empty())
                            .map(str::to_ascii_uppercase)
                            .collect::<Vec<_>>()
                    })
            })
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status(b"+OK 2 320").unwrap(),
            Reply::Ok("2 320".into())
        );
        assert_eq!(parse_status(b"+OK").unwrap(), Reply::Ok(String::new()));
        assert_eq!(
            parse_status(b"-ERR [AUTH] no").unwrap(),
            Reply::Err("[AUTH] no".into())
        );
        assert_eq!(parse_status(b"* OK imap"), Err(ReplyError::NotAStatus));
    }

    #[test]
    fn multi_line_is_unstuffed_and_ends_at_the_dot() {
        let mut r = ReplyReader::new();
        r.feed(b"+OK 12 octets\r\nSubject: x\r\n\r\n..hidden\r\n.\r\n+OK next");
        assert_eq!(r.status().unwrap().unwrap(), Reply::Ok("12 octets".into()));
        let mut lines = Vec::new();
        while let Some(l) = r.data_line() {
            let l = l.unwrap();
            if l == DataLine::End {
                break;
            }
            lines.push(l);
        }
        assert_eq!(
            lines,
            vec![
                DataLine::Line(b"Subject: x".to_vec()),
                DataLine::Line(Vec::new()),
                DataLine::Line(b".hidden".to_vec())
            ]
        );
        assert!(r.status().is_none());
        r.feed(b"\r\n");
        assert_eq!(r.status().unwrap().unwrap(), Reply::Ok("next".into()));
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn greeting_timestamp_rfc1939() {
        assert_eq!(
            apop_timestamp("POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
            Some("<1896.697170952@dbc.mtview.ca.us>")
        );
        assert_eq!(apop_timestamp("POP3 ready"), None);
        assert_eq!(apop_timestamp("a <b> c"), None);
        assert_eq!(apop_timestamp("a > <b"), None);
    }

    #[test]
    fn capa() {
        let c = Capabilities::from_lines(&[
            b"TOP".to_vec(),
            b"USER".to_vec(),
            b"SASL PLAIN cram-md5".to_vec(),
            b"STLS".to_vec(),
        ]);
        assert!(c.has("stls") && c.has("USER") && !c.has("PIPELINING"));
        assert_eq!(c.sasl(), vec!["PLAIN".to_string(), "CRAM-MD5".to_string()]);
    }

    #[test]
    fn any_bytes_no_panic() {
        let mut r = ReplyReader::new();
        r.feed(b"\n\r\n.\n..\n-ER\n+o\n");
        while let Some(x) = r.data_line() {
            let _ = x;
        }
        let _ = apop_timestamp(">><<@");
    }
}
