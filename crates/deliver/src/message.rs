//! The message as delivered: the delivery headers, then the text read from standard input.
//!
//! As UW's tmail and dmail (`main()`):
//!
//! - first, `Return-Path: <sender>` when the MTA gave a sender (`-f` / `-r`), and a
//!   `Received:` line saying which program delivered, for whom, and when;
//! - the first input line must end in a newline (and not be empty, nor longer than
//!   c-client's 16 KiB line buffer): otherwise `bad first message line`;
//! - a first line beginning `From ` is the MTA's envelope line and is dropped (the mailbox
//!   format writes its own);
//! - input with CRLF line ends (judged by the first line) is copied as it is; input with
//!   bare LF has each line end made CRLF (tmail warns
//!   `tmail called with LF-only newlines`).

use std::io::{self, Read};

use crate::report::Report;
use crate::sysexits::Exit;

/// Longest first line accepted (c-client's `MAILTMPLEN` buffer, less its terminator).
const MAX_FIRST_LINE: usize = 16 * 1024 - 2;

/// Why the input could not be made a message.
#[derive(Debug)]
pub enum PrepareError {
    /// The first line is empty, unterminated or too long.
    BadFirstLine,
    /// Standard input could not be read.
    Read(io::Error),
}

/// The line ends the input came with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnds {
    /// CRLF, as RFC 5322 has it.
    Crlf,
    /// Bare LF (converted).
    Lf,
}

/// A prepared message and how its input ended its lines.
#[derive(Debug)]
pub struct Prepared {
    /// The message with the delivery headers, CRLF line ends.
    pub data: Vec<u8>,
    /// The input's line ends.
    pub input: LineEnds,
}

/// `Return-Path: <sender>` with CRLF.
pub fn return_path(sender: &str) -> String {
    format!("Return-Path: <{sender}>\r\n")
}

/// The date as c-client's `rfc822_date` writes it: `Thu, 26 Nov 2026 09:01:43 +0000
/// (UTC)`.
pub fn rfc822_now() -> String {
    let now = jiff::ZonedDateTime::now();
    now.strftime("%a, %-d %b %Y %H:%M:%S %z (%Z)").to_string()
}

/// Reads the message from `input` and puts `headers` (whole CRLF-ended lines) before it.
pub fn prepare(input: &mut dyn Read, headers: &str) -> Result<Prepared, PrepareError> {
    let mut raw = Vec::new();
    input.read_to_end(&mut raw).map_err(PrepareError::Read)?;
    from_bytes(&raw, headers)
}

/// As [`prepare`], from standard input; a failure is reported in UW's words and its exit
/// status returned.
pub fn from_stdin(headers: &str, report: &Report) -> Result<Prepared, Exit> {
    prepare(&mut io::stdin().lock(), headers).map_err(|e| match e {
        PrepareError::BadFirstLine => report.fail("bad first message line", Exit::Usage),
        PrepareError::Read(_) => report.fail("error writing temp file", Exit::TempFail),
    })
}

/// As [`prepare`], from bytes already read.
pub fn from_bytes(raw: &[u8], headers: &str) -> Result<Prepared, PrepareError> {
    let nl = raw
        .iter()
        .take(MAX_FIRST_LINE)
        .position(|&b| b == b'\n')
        .filter(|&i| i > 0)
        .ok_or(PrepareError::BadFirstLine)?;
    let first = &raw[..=nl];
    let rest = &raw[nl + 1..];
    let envelope = first.starts_with(b"From ");
    let mut data = Vec::with_capacity(headers.len() + raw.len() + raw.len() / 32);
    data.extend_from_slice(headers.as_bytes());
    if first[nl - 1] == b'\r' {
        if !envelope {
            data.extend_from_slice(first);
        }
        data.extend_from_slice(rest);
        return Ok(Prepared {
            data,
            input: LineEnds::Crlf,
        });
    }
    if !envelope {
        data.extend_from_slice(&first[..nl]);
        data.extend_from_slice(b"\r\n");
    }
    let mut prev = 0u8;
    for &b in rest {
        if b == b'\n' && prev != b'\r' {
            data.push(b'\r');
        }
        data.push(b);
        prev = b;
    }
    Ok(Prepared {
        data,
        input: LineEnds::Lf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_line_is_dropped_and_lf_made_crlf() {
        let p = from_bytes(
            b"From bob@x Thu Nov 26 00:00:00 2026\nSubject: a\n\nFrom here\n",
            "Return-Path: <bob@x>\r\n",
        )
        .unwrap();
        assert_eq!(p.input, LineEnds::Lf);
        assert_eq!(
            p.data,
            b"Return-Path: <bob@x>\r\nSubject: a\r\n\r\nFrom here\r\n".to_vec()
        );
    }

    #[test]
    fn crlf_input_is_kept_as_it_is() {
        let p = from_bytes(b"Subject: a\r\n\r\nbody\r\nbare\nend", "").unwrap();
        assert_eq!(p.input, LineEnds::Crlf);
        assert_eq!(p.data, b"Subject: a\r\n\r\nbody\r\nbare\nend".to_vec());
    }

    #[test]
    fn bad_first_lines_are_refused() {
        for bad in [&b""[..], b"\nSubject: x\n", b"no newline at all"] {
            assert!(matches!(
                from_bytes(bad, ""),
                Err(PrepareError::BadFirstLine)
            ));
        }
        let long = vec![b'a'; MAX_FIRST_LINE + 10];
        assert!(from_bytes(&long, "").is_err());
    }

    #[test]
    fn date_is_in_rfc822_form() {
        let d = rfc822_now();
        let parts: Vec<&str> = d.split(' ').collect();
        assert_eq!(parts.len(), 7, "{d}");
        assert!(parts[0].ends_with(','));
        assert!(parts[6].starts_with('(') && parts[6].ends_with(')'));
    }
}
