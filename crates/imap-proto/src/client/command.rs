//! Writing a client's commands (RFC 3501 §6).
//!
//! ```text
//! command   = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF
//! astring   = 1*ASTRING-CHAR / string
//! string    = quoted / literal
//! literal   = "{" number ["+"] "}" CRLF *CHAR8     ; "+" only with LITERAL+ (RFC 7888)
//! ```
//!
//! A [`Command`] is a list of parts. With synchronising literals every part after the first
//! must wait for the server's `+` continuation request; with LITERAL+ there is one part.

use std::fmt;

/// How literals are announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteralMode {
    /// `{n}`: wait for `+` before the bytes.
    Synchronising,
    /// `{n+}`: the bytes follow at once (the server advertised LITERAL+).
    NonSynchronising,
}

/// Whether an argument's bytes are secret (a password): then `Debug` and traces hide them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sensitivity {
    /// Ordinary protocol data.
    Public,
    /// A password or other secret.
    Secret,
}

/// One argument of a command.
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    /// Written as is: a keyword, number, sequence set, flag list or search text the caller
    /// built under the grammar.
    Raw(&'a str),
    /// An astring: atom when it can be, else quoted string, else literal.
    AString(&'a [u8], Sensitivity),
    /// A string, never an atom (quoted or literal).
    String(&'a [u8]),
    /// Always a literal (a message for APPEND).
    Literal(&'a [u8]),
}

impl fmt::Debug for Arg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Raw(s) => write!(f, "Raw({s:?})"),
            Arg::AString(_, Sensitivity::Secret) => f.write_str("AString(<secret>)"),
            Arg::AString(s, Sensitivity::Public) => {
                write!(f, "AString({:?})", String::from_utf8_lossy(s))
            }
            Arg::String(s) => write!(f, "String({:?})", String::from_utf8_lossy(s)),
            Arg::Literal(s) => write!(f, "Literal({} bytes)", s.len()),
        }
    }
}

/// A command ready to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Its tag.
    pub tag: String,
    /// The parts: send the first, and each next one after a `+` continuation.
    pub parts: Vec<Vec<u8>>,
    /// A copy fit for a trace: secrets replaced by `<secret>`.
    pub redacted: String,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("tag", &self.tag)
            .field("redacted", &self.redacted)
            .finish()
    }
}

/// Hands out tags and writes commands.
#[derive(Debug)]
pub struct CommandWriter {
    prefix: char,
    next: u32,
    /// How literals are announced; switch to non-synchronising once the server offers
    /// LITERAL+.
    pub literals: LiteralMode,
}

impl Default for CommandWriter {
    fn default() -> Self {
        CommandWriter::new()
    }
}

impl CommandWriter {
    /// A writer whose tags are `A0001`, `A0002`, …
    pub fn new() -> Self {
        CommandWriter {
            prefix: 'A',
            next: 1,
            literals: LiteralMode::Synchronising,
        }
    }

    /// The command `name` with `args`, under a fresh tag.
    pub fn command(&mut self, name: &str, args: &[Arg<'_>]) -> Command {
        let tag = format!("{}{:04}", self.prefix, self.next);
        self.next = self.next.wrapping_add(1);
        let mut parts = Vec::new();
        let mut cur = format!("{tag} {name}").into_bytes();
        let mut redacted = format!("{tag} {name}");
        for arg in args {
            cur.push(b' ');
            redacted.push(' ');
            match *arg {
                Arg::Raw(s) => {
                    cur.extend_from_slice(s.as_bytes());
                    redacted.push_str(s);
                }
                Arg::AString(s, sens) => {
                    self.string(&mut parts, &mut cur, s, Form::Atom);
                    match sens {
                        Sensitivity::Secret => redacted.push_str("<secret>"),
                        Sensitivity::Public => trace_string(&mut redacted, s),
                    }
                }
                Arg::String(s) => {
                    self.string(&mut parts, &mut cur, s, Form::Quoted);
                    trace_string(&mut redacted, s);
                }
                Arg::Literal(s) => {
                    self.literal(&mut parts, &mut cur, s);
                    redacted.push_str(&format!("{{{}}} <{} bytes>", s.len(), s.len()));
                }
            }
        }
        cur.extend_from_slice(b"\r\n");
        parts.push(cur);
        Command {
            tag,
            parts,
            redacted,
        }
    }

    fn string(&self, parts: &mut Vec<Vec<u8>>, cur: &mut Vec<u8>, s: &[u8], form: Form) {
        if form == Form::Atom
            && !s.is_empty()
            && s.iter().all(|&b| crate::parse::is_astring_char(b))
            && !s.eq_ignore_ascii_case(b"NIL")
        {
            cur.extend_from_slice(s);
        } else if s.len() <= 1024 && s.iter().all(|&b| (0x20..0x7f).contains(&b) || b == b'\t') {
            cur.push(b'"');
            for &b in s {
                if b == b'"' || b == b'\\' {
                    cur.push(b'\\');
                }
                cur.push(b);
            }
            cur.push(b'"');
        } else {
            self.literal(parts, cur, s);
        }
    }

    fn literal(&self, parts: &mut Vec<Vec<u8>>, cur: &mut Vec<u8>, s: &[u8]) {
        match self.literals {
            LiteralMode::NonSynchronising => {
                cur.extend_from_slice(format!("{{{}+}}\r\n", s.len()).as_bytes());
                cur.extend_from_slice(s);
            }
            LiteralMode::Synchronising => {
                cur.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
                parts.push(std::mem::take(cur));
                cur.extend_from_slice(s);
            }
        }
    }
}

/// A string as a trace shows it: quoted, bytes beyond ASCII as U+FFFD.
fn trace_string(out: &mut String, s: &[u8]) {
    out.push('"');
    out.push_str(&String::from_utf8_lossy(s));
    out.push('"');
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Atom,
    Quoted,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_quotes_and_hides_the_password() {
        let mut w = CommandWriter::new();
        let c = w.command(
            "LOGIN",
            &[
                Arg::AString(b"demo", Sensitivity::Public),
                Arg::AString(b"p w\"d", Sensitivity::Secret),
            ],
        );
        assert_eq!(c.tag, "A0001");
        assert_eq!(c.parts, vec![b"A0001 LOGIN demo \"p w\\\"d\"\r\n".to_vec()]);
        assert_eq!(c.redacted, "A0001 LOGIN \"demo\" <secret>");
        assert!(!format!("{c:?}").contains("p w"));
        assert_eq!(w.command("NOOP", &[]).tag, "A0002");
    }

    #[test]
    fn synchronising_literal_splits_the_command() {
        let mut w = CommandWriter::new();
        let c = w.command(
            "APPEND",
            &[
                Arg::AString(b"INBOX", Sensitivity::Public),
                Arg::Literal(b"hi\r\n"),
            ],
        );
        assert_eq!(
            c.parts,
            vec![
                b"A0001 APPEND INBOX {4}\r\n".to_vec(),
                b"hi\r\n\r\n".to_vec()
            ]
        );
        w.literals = LiteralMode::NonSynchronising;
        let c = w.command(
            "APPEND",
            &[
                Arg::AString(b"INBOX", Sensitivity::Public),
                Arg::Literal(b"hi"),
            ],
        );
        assert_eq!(c.parts, vec![b"A0002 APPEND INBOX {2+}\r\nhi\r\n".to_vec()]);
    }

    #[test]
    fn eight_bit_and_empty_strings() {
        let mut w = CommandWriter::new();
        let c = w.command(
            "SELECT",
            &[Arg::AString("Bäh".as_bytes(), Sensitivity::Public)],
        );
        assert_eq!(c.parts.len(), 2);
        let c = w.command(
            "LIST",
            &[Arg::AString(b"", Sensitivity::Public), Arg::String(b"*")],
        );
        assert_eq!(c.parts, vec![b"A0002 LIST \"\" \"*\"\r\n".to_vec()]);
        let c = w.command("SELECT", &[Arg::AString(b"nil", Sensitivity::Public)]);
        assert_eq!(c.parts, vec![b"A0003 SELECT \"nil\"\r\n".to_vec()]);
    }
}
