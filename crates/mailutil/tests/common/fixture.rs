//! The fixture: a UNIX mailbox of many shapes of message, as another program (declaring
//! its keywords with `X-IMAPbase:`) might have written it, and what each message is.

use std::collections::BTreeSet;
use std::path::Path;

use mailstore::Flags;

use super::put;

/// What one fixture message is.
#[derive(Clone, Debug)]
pub struct Expected {
    pub subject: String,
    pub flags: Flags,
    pub keywords: BTreeSet<String>,
    /// The message as a client sees it (CRLF).
    pub text: Vec<u8>,
    /// Seconds since the epoch of the internal date, and its UTC offset.
    pub date: (i64, i32),
}

impl Expected {
    /// The message after an append to a UNIX mailbox, which puts `>` before every line
    /// that starts `From ` (c-client's default, and ours).
    pub fn escaped(&self) -> Expected {
        Expected {
            text: escape_from_lines(&self.text),
            ..self.clone()
        }
    }

    /// Whether UW's `prune` of the fixture's `prune-me` messages leaves this one (its
    /// expunge takes the messages already \Deleted too).
    pub fn survives_prune(&self) -> bool {
        !self.subject.starts_with("prune-me") && !self.flags.contains(Flags::DELETED)
    }
}

/// The keywords the fixture uses.
pub const KEYWORDS: [&str; 3] = ["$Label1", "Junk", "NonJunk"];

/// A mailbox file with `n` messages of many shapes, as another program (with X-IMAPbase
/// declaring the keywords) might have written it, and what each message is.
pub fn fixture(n: usize) -> (Vec<u8>, Vec<Expected>) {
    let forms = [
        ("Wed Dec  2 05:53 1992", (723_275_580, 0)),
        ("Wed Dec  2 05:53:22 1992", (723_275_602, 0)),
        ("Wed Dec  2 05:53 PST 1992", (723_304_380, -8 * 3600)),
        ("Wed Dec  2 05:53:22 -0700 1992", (723_300_802, -7 * 3600)),
        ("Wed Dec  2 05:53:22 1992 -0700", (723_300_802, -7 * 3600)),
        ("Wed Dec  2 05:53 1992 EST", (723_293_580, -5 * 3600)),
        ("Sat Jan  1 00:00:01 2000 +0100", (946_681_201, 3600)),
        (
            "Tue Mar  5 10:11:12 2024 +0530 remote from uunet",
            (1_709_613_672, 19_800),
        ),
    ];
    let mut file = Vec::new();
    let mut expected = Vec::new();
    for i in 0..n {
        let (date, when) = forms[i % forms.len()];
        let subject = if i % 5 == 3 {
            format!("prune-me {i}")
        } else {
            format!("message {i}")
        };
        let mut flags = Flags::EMPTY;
        let mut status = String::new();
        let mut xstatus = String::new();
        if i % 2 == 0 {
            flags = flags.union(Flags::SEEN);
            status.push('R');
        }
        if i % 3 == 0 {
            flags = flags.union(Flags::FLAGGED);
            xstatus.push('F');
        }
        if i % 4 == 1 {
            flags = flags.union(Flags::ANSWERED);
            xstatus.push('A');
        }
        if i % 7 == 2 {
            flags = flags.union(Flags::DRAFT);
            xstatus.push('T');
        }
        if i % 11 == 5 {
            flags = flags.union(Flags::DELETED);
            xstatus.push('D');
        }
        status.push('O');
        let keywords: BTreeSet<String> = KEYWORDS
            .iter()
            .enumerate()
            .filter(|(k, _)| (i + k) % 3 == 0)
            .map(|(_, k)| k.to_string())
            .collect();
        let mut header = format!(
            "Date: Wed, 2 Dec 1992 05:53:22 -0700\nFrom: Sender {i} <s{i}@example.com>\nTo: rcpt@example.org\nSubject: {subject}\nMessage-ID: <{i}@fixture.example>\n"
        );
        if i % 6 == 4 {
            header.push_str("X-Folded: first part\n\tsecond part\n");
        }
        let body = match i % 6 {
            0 => "Plain body.\nFrom me to you: not a From line.\n>From quoted\n".to_owned(),
            1 => String::new(),
            2 => format!(
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\nContent-Type: text/plain\n\nattached text\n--b{i}\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\n--b{i}--\n"
            ),
            3 => "line\n".repeat(200),
            4 => format!("{}\n", "x".repeat(3000)),
            _ => "Two\n\nparagraphs.\n".to_owned(),
        };
        let mut msg = format!("From s{i}@example.com {date}\n");
        msg.push_str(&header);
        if i == 0 {
            msg.push_str(&format!(
                "X-IMAPbase: 1234567890 {} {}\n",
                n + 10,
                KEYWORDS.join(" ")
            ));
        }
        msg.push_str(&format!("Status: {status}\nX-Status: {xstatus}\n"));
        msg.push_str("X-Keywords:");
        for k in &keywords {
            msg.push(' ');
            msg.push_str(k);
        }
        msg.push('\n');
        msg.push_str(&format!("X-UID: {}\n", i + 1));
        msg.push('\n');
        msg.push_str(&body);
        msg.push('\n');
        file.extend_from_slice(msg.as_bytes());
        let client = format!("{header}\n{body}").replace('\n', "\r\n");
        expected.push(Expected {
            subject,
            flags,
            keywords,
            text: client.into_bytes(),
            date: when,
        });
    }
    (file, expected)
}

/// Writes the fixture of `n` messages as mailbox `fixture` in `dir`, owned by the test
/// account, and returns what each message is.
pub fn write_fixture(dir: &Path, n: usize) -> Vec<Expected> {
    let (bytes, expected) = fixture(n);
    put(&dir.join("fixture"), bytes);
    expected
}

/// `text` with `>` put before every line that starts `From `, as an append to a UNIX
/// mailbox writes it (c-client's default, and ours).
pub fn escape_from_lines(text: &[u8]) -> Vec<u8> {
    let mut escaped = Vec::with_capacity(text.len() + 16);
    let mut at_line_start = true;
    for (i, &b) in text.iter().enumerate() {
        if at_line_start && text[i..].starts_with(b"From ") {
            escaped.push(b'>');
        }
        escaped.push(b);
        at_line_start = b == b'\n';
    }
    escaped
}
