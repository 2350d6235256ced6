//! Asking for the user name and password, as c-client's `mm_login` callback does.

use std::io::{self, BufRead, IsTerminal, Write};

/// A password, hidden from `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Supplies the credentials a name does not carry, and hears the messages a user should
/// see (failed logins, `[ALERT]`s).
pub trait Prompt {
    /// The user name for `server` (the canonical `{host:port/service}` prefix).
    fn user(&mut self, server: &str) -> io::Result<String>;
    /// The password of `user` on `server`.
    fn password(&mut self, server: &str, user: &str) -> io::Result<Secret>;
    /// A message for the user (c-client's `mm_log` warnings, `[ALERT]` texts).
    fn notice(&mut self, _text: &str) {}
}

/// Prompts on the terminal like UW's tools: `{host/service} username: ` and `password: `,
/// the password read without echo from `/dev/tty`, or from standard input when there is no
/// terminal.
#[derive(Debug, Default)]
pub struct TerminalPrompt;

impl Prompt for TerminalPrompt {
    fn user(&mut self, server: &str) -> io::Result<String> {
        eprint!("{server} username: ");
        io::stderr().flush()?;
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    fn password(&mut self, _server: &str, _user: &str) -> io::Result<Secret> {
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
        {
            Ok(tty) if tty.is_terminal() => read_without_echo(tty),
            _ => {
                let mut line = String::new();
                io::stdin().lock().read_line(&mut line)?;
                Ok(Secret(line.trim_end_matches(['\r', '\n']).to_owned()))
            }
        }
    }

    fn notice(&mut self, text: &str) {
        eprintln!("{text}");
    }
}

fn read_without_echo(mut tty: std::fs::File) -> io::Result<Secret> {
    use nix::sys::termios::{self, LocalFlags, SetArg};
    tty.write_all(b"password: ")?;
    tty.flush()?;
    let saved = termios::tcgetattr(&tty).map_err(io::Error::from)?;
    let mut quiet = saved.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &quiet).map_err(io::Error::from)?;
    let mut line = String::new();
    let read = io::BufReader::new(&tty).read_line(&mut line);
    let restored = termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &saved);
    let _ = tty.write_all(b"\n");
    read?;
    restored.map_err(io::Error::from)?;
    Ok(Secret(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// Fixed credentials (scripts and tests); notices are kept for the caller to read.
#[derive(Debug, Clone)]
pub struct FixedPrompt {
    /// The user name given when the name has none.
    pub user: String,
    /// The password.
    pub password: Secret,
    /// The notices heard.
    pub notices: Vec<String>,
}

impl FixedPrompt {
    /// These credentials.
    pub fn new(user: &str, password: &str) -> Self {
        FixedPrompt {
            user: user.to_owned(),
            password: Secret(password.to_owned()),
            notices: Vec::new(),
        }
    }
}

impl Prompt for FixedPrompt {
    fn user(&mut self, _server: &str) -> io::Result<String> {
        Ok(self.user.clone())
    }

    fn password(&mut self, _server: &str, _user: &str) -> io::Result<Secret> {
        Ok(self.password.clone())
    }

    fn notice(&mut self, text: &str) {
        self.notices.push(text.to_owned());
    }
}
