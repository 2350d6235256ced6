//! POP3 commands (RFC 1939 §4–7, RFC 2449, RFC 2595, RFC 5034).
//!
//! ```text
//! command  = keyword *(SP param) CRLF      ; keyword: 3 or 4 letters, any case
//! USER name | PASS string | APOP name digest | AUTH [mechanism [initial-response]]
//! STLS | CAPA | QUIT | STAT | LIST [msg] | RETR msg | DELE msg | NOOP | RSET
//! TOP msg n | UIDL [msg] | LAST | RPOP user | XTND ...
//! ```
//!
//! PASS takes the rest of the line (passwords may hold spaces).

use std::fmt;

/// A message number (1-based).
pub type MsgNo = u32;

/// A password or SASL data: its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Command {
    User(String),
    Pass(Secret),
    Apop {
        user: String,
        digest: String,
    },
    /// `AUTH` alone lists the mechanisms.
    Auth {
        mechanism: Option<String>,
        initial: Option<Secret>,
    },
    Stls,
    Capa,
    Quit,
    Stat,
    List(Option<MsgNo>),
    Retr(MsgNo),
    Dele(MsgNo),
    Noop,
    Rset,
    Top {
        msg: MsgNo,
        lines: u32,
    },
    Uidl(Option<MsgNo>),
    Last,
    Rpop,
    Xtnd,
}

/// Why a line is not a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// An empty line, or a keyword we do not know.
    #[error("Unknown command")]
    Unknown,
    /// A known command with missing or bad arguments.
    #[error("{0}")]
    Arguments(&'static str),
}

/// Parses one line (without its line end).
pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_start_matches(' ');
    let (keyword, rest) = match text.split_once(' ') {
        Some((k, r)) => (k, r),
        None => (text, ""),
    };
    let args: Vec<&str> = rest.split(' ').filter(|a| !a.is_empty()).collect();
    let none = |c: Command| {
        if args.is_empty() {
            Ok(c)
        } else {
            Err(CommandError::Arguments("No arguments expected"))
        }
    };
    let msg = |a: Option<&&str>| -> Result<MsgNo, CommandError> {
        a.and_then(|s| s.parse::<MsgNo>().ok())
            .filter(|&n| n > 0)
            .ok_or(CommandError::Arguments("Invalid message number"))
    };
    let optional_msg = || -> Result<Option<MsgNo>, CommandError> {
        match args.len() {
            0 => Ok(None),
            1 => msg(args.first()).map(Some),
            _ => Err(CommandError::Arguments("Too many arguments")),
        }
    };
    match keyword.to_ascii_uppercase().as_str() {
        "USER" => match args.as_slice() {
            [name] => Ok(Command::User((*name).to_owned())),
            [] => Err(CommandError::Arguments("Missing username argument")),
            _ => Err(CommandError::Arguments("Too many arguments")),
        },
        "PASS" => {
            // The password is the raw bytes after the keyword and one space (the text
            // above may have replaced bytes that are not UTF-8).
            let start = line.iter().position(|&b| b != b' ').unwrap_or(line.len());
            let after = line[start..]
                .iter()
                .position(|&b| b == b' ')
                .map(|i| &line[start + i + 1..]);
            match after {
                Some(pw) if !pw.is_empty() => Ok(Command::Pass(Secret(pw.to_vec()))),
                _ => Err(CommandError::Arguments("Missing password argument")),
            }
        }
        "APOP" => match args.as_slice() {
            [user, digest] => Ok(Command::Apop {
                user: (*user).to_owned(),
                digest: digest.to_ascii_lowercase(),
            }),
            _ => Err(CommandError::Arguments("Missing APOP argument")),
        },
        "AUTH" => match args.as_slice() {
            [] => Ok(Command::Auth {
                mechanism: None,
                initial: None,
            }),
            [m] => Ok(Command::Auth {
                mechanism: Some(m.to_ascii_uppercase()),
                initial: None,
            }),
            [m, i] => Ok(Command::Auth {
                mechanism: Some(m.to_ascii_uppercase()),
                initial: Some(Secret(i.as_bytes().to_vec())),
            }),
            _ => Err(CommandError::Arguments("Too many arguments")),
        },
        "STLS" => none(Command::Stls),
        "CAPA" => none(Command::Capa),
        "QUIT" => none(Command::Quit),
        "STAT" => none(Command::Stat),
        "NOOP" => none(Command::Noop),
        "RSET" => none(Command::Rset),
        "LAST" => none(Command::Last),
        "LIST" => optional_msg().map(Command::List),
        "UIDL" => optional_msg().map(Command::Uidl),
        "RETR" | "DELE" => {
            if args.len() != 1 {
                return Err(CommandError::Arguments("Missing message number argument"));
            }
            let n = msg(args.first())?;
            Ok(if keyword.eq_ignore_ascii_case("RETR") {
                Command::Retr(n)
            } else {
                Command::Dele(n)
            })
        }
        "TOP" => match args.as_slice() {
            [m, l] => Ok(Command::Top {
                msg: msg(Some(m))?,
                lines: l
                    .parse()
                    .map_err(|_| CommandError::Arguments("Invalid line count"))?,
            }),
            _ => Err(CommandError::Arguments(
                "Missing message number or line count",
            )),
        },
        "RPOP" => Ok(Command::Rpop),
        "XTND" => Ok(Command::Xtnd),
        _ => Err(CommandError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1939_commands() {
        assert_eq!(parse(b"USER mrose"), Ok(Command::User("mrose".into())));
        assert_eq!(
            parse(b"pass my secret"),
            Ok(Command::Pass(Secret(b"my secret".to_vec())))
        );
        assert_eq!(
            parse(b"PASS  lead"),
            Ok(Command::Pass(Secret(b" lead".to_vec())))
        );
        assert_eq!(
            parse(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb"),
            Ok(Command::Apop {
                user: "mrose".into(),
                digest: "c4c9334bac560ecc979e58001b3e22fb".into()
            })
        );
        assert_eq!(parse(b"STAT"), Ok(Command::Stat));
        assert_eq!(parse(b"list"), Ok(Command::List(None)));
        assert_eq!(parse(b"LIST 2"), Ok(Command::List(Some(2))));
        assert_eq!(parse(b"TOP 1 10"), Ok(Command::Top { msg: 1, lines: 10 }));
        assert_eq!(parse(b"UIDL"), Ok(Command::Uidl(None)));
        assert_eq!(
            parse(b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q="),
            Ok(Command::Auth {
                mechanism: Some("PLAIN".into()),
                initial: Some(Secret(b"dGVzdAB0ZXN0AHRlc3Q=".to_vec()))
            })
        );
        assert_eq!(
            parse(b"AUTH"),
            Ok(Command::Auth {
                mechanism: None,
                initial: None
            })
        );
    }

    #[test]
    fn pass_with_bytes_that_are_not_utf8() {
        // Found by fuzzing: the password was cut from the raw line by the length of its
        // lossy text, which differs when bytes are not UTF-8.
        assert_eq!(
            parse(b"PASS \xff\xfe x"),
            Ok(Command::Pass(Secret(b"\xff\xfe x".to_vec())))
        );
        assert_eq!(
            parse(b"pASS b\x01\0\0\0\r`TR \xfa\xff"),
            Ok(Command::Pass(Secret(b"b\x01\0\0\0\r`TR \xfa\xff".to_vec())))
        );
        assert!(parse(b"PASS").is_err());
        assert!(parse(b"PASS ").is_err());
    }

    #[test]
    fn errors() {
        assert_eq!(parse(b""), Err(CommandError::Unknown));
        assert_eq!(parse(b"FOO"), Err(CommandError::Unknown));
        assert!(parse(b"RETR").is_err());
        assert!(parse(b"RETR 0").is_err());
        assert!(parse(b"RETR x").is_err());
        assert!(parse(b"RETR 1 2").is_err());
        assert!(parse(b"STAT 1").is_err());
        assert!(parse(b"TOP 1").is_err());
        assert!(parse(b"TOP 1 -1").is_err());
        assert!(parse(b"LIST 1 2").is_err());
        assert!(!format!("{:?}", parse(b"PASS hunter2")).contains("hunter2"));
    }
}
