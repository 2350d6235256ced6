//! `{host…}mailbox` names: connections to IMAP and POP3 servers through the `client`
//! crate, and the conversions between what a server says and what the store keeps.
//!
//! Connections are kept per server for the whole run, as c-client reuses its stream for
//! the same host: a transfer logs in once. A connection in use by an open mailbox is not
//! shared; a second use of the same server meanwhile (a copy from one mailbox to another on
//! it) opens a second one, as c-client's source and destination streams are two.

use std::cell::RefCell;
use std::io::{self, BufRead, IsTerminal, Write};
use std::rc::Rc;

use client::{ClientError, ClientOptions, Prompt, RemoteName, Secret, Session, Trace};
use mailstore::{Flags, Keyword};
use rfc822::DateTime;

/// Whether `-debug` asked for the protocol telemetry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Telemetry {
    /// Nothing.
    Off,
    /// Every line sent and received, on standard error (passwords hidden).
    On,
}

/// The connections of one run, idle ones kept for reuse.
#[derive(Debug, Clone)]
pub struct Pool {
    idle: Rc<RefCell<Vec<Session>>>,
    /// The user names typed at the prompt, by server (as named without a user).
    learned: Rc<RefCell<Vec<(String, String)>>>,
    options: ClientOptions,
}

impl Pool {
    /// An empty pool.
    pub fn new(telemetry: Telemetry) -> Self {
        let options = ClientOptions {
            trace: Some(match telemetry {
                Telemetry::Off => Trace::Off,
                Telemetry::On => Trace::Stderr,
            }),
            ..ClientOptions::default()
        };
        Pool {
            idle: Rc::new(RefCell::new(Vec::new())),
            learned: Rc::new(RefCell::new(Vec::new())),
            options,
        }
    }

    /// A logged-in session on `name`'s server: an idle one, or a new connection.
    pub fn take(&self, name: &RemoteName) -> Result<Session, ClientError> {
        let key = name.server();
        let mut idle = self.idle.borrow_mut();
        if let Some(i) = idle.iter().position(|s| s.name().server() == key) {
            return Ok(idle.remove(i));
        }
        drop(idle);
        let mut prompt = LoginPrompt::new(name);
        let session = Session::connect(name, &self.options, &mut prompt)?;
        if let (None, Some(user)) = (&name.user, prompt.answered) {
            self.learned.borrow_mut().push((key, user));
        }
        Ok(session)
    }

    /// `name` as c-client names its stream once logged in: with the user name typed at
    /// the prompt when the name gave none.
    pub fn canonical(&self, name: &RemoteName) -> RemoteName {
        let mut name = name.clone();
        if name.user.is_none() {
            let key = name.server();
            name.user = self
                .learned
                .borrow()
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, u)| u.clone());
        }
        name
    }

    /// Keeps `session` for the next use of its server.
    pub fn give_back(&self, session: Session) {
        self.idle.borrow_mut().push(session);
    }

    /// Logs out of every idle connection.
    pub fn close_all(&self) {
        let sessions: Vec<Session> = self.idle.borrow_mut().drain(..).collect();
        for s in sessions {
            // The run's result is known already; a failed LOGOUT changes nothing.
            let _ = s.logout();
        }
    }
}

/// Asks for the user name and password as c-client's `mailutil` does (its `mm_login`):
/// `{host/service} username: ` on standard output, read from standard input, then
/// `password: ` (or `{host/service/user=NAME[/authuser=NAME]} password:` when the name
/// gave the user) read without echo from the terminal, or from standard input, the prompt
/// then on standard error, when there is none (`getpass`). An empty answer aborts the
/// login.
#[derive(Debug)]
struct LoginPrompt {
    host: String,
    service: &'static str,
    user: Option<String>,
    authuser: Option<String>,
    /// The user name typed, if asked.
    answered: Option<String>,
}

impl LoginPrompt {
    fn new(name: &RemoteName) -> Self {
        LoginPrompt {
            // c-client's IMAP driver names the host as the resolver does; POP3 as written.
            host: match name.service {
                client::Service::Imap => canonical_host(&name.host),
                client::Service::Pop3 => name.host.clone(),
            },
            service: name.service.name(),
            user: name.user.clone(),
            authuser: name.authuser.clone(),
            answered: None,
        }
    }
}

/// The error an empty or missing answer gives (c-client's words).
fn aborted() -> io::Error {
    io::Error::other("Login aborted")
}

impl Prompt for LoginPrompt {
    fn user(&mut self, _server: &str) -> io::Result<String> {
        print!("{{{}/{}}} username: ", self.host, self.service);
        io::stdout().flush()?;
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        let user = line.trim_end_matches(['\r', '\n']);
        if user.is_empty() {
            return Err(aborted());
        }
        self.answered = Some(user.to_owned());
        Ok(user.to_owned())
    }

    fn password(&mut self, _server: &str, _user: &str) -> io::Result<Secret> {
        let prompt = match &self.user {
            Some(u) => {
                let mut p = format!("{{{}/{}/user={u}", self.host, self.service);
                if let Some(a) = &self.authuser {
                    p.push_str(&format!("/authuser={a}"));
                }
                p.push_str("} password:");
                p
            }
            None => "password: ".to_owned(),
        };
        let password = getpass(&prompt)?;
        if password.is_empty() {
            return Err(aborted());
        }
        Ok(Secret(password))
    }

    fn notice(&mut self, text: &str) {
        eprintln!("warning: {text}");
    }
}

/// Reads a line without echo on the terminal, or from standard input when there is no
/// terminal (the prompt then goes to standard error), as the C library's `getpass`.
fn getpass(prompt: &str) -> io::Result<String> {
    use nix::sys::termios::{self, LocalFlags, SetArg};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty");
    let mut line = String::new();
    match tty {
        Ok(mut tty) if tty.is_terminal() => {
            tty.write_all(prompt.as_bytes())?;
            tty.flush()?;
            let saved = termios::tcgetattr(&tty).map_err(io::Error::from)?;
            let mut quiet = saved.clone();
            quiet.local_flags.remove(LocalFlags::ECHO);
            termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &quiet).map_err(io::Error::from)?;
            let read = io::BufReader::new(&tty).read_line(&mut line);
            let restored = termios::tcsetattr(&tty, SetArg::TCSAFLUSH, &saved);
            let _ = tty.write_all(b"\n");
            read?;
            restored.map_err(io::Error::from)?;
        }
        _ => {
            eprint!("{prompt}");
            io::stderr().flush()?;
            io::stdin().lock().read_line(&mut line)?;
        }
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// The host name c-client shows in its prompts: for an address, the name the hosts file
/// gives it (the resolver's first source; `127.0.0.1` is `localhost`), or the address in
/// brackets; a name as written.
fn canonical_host(host: &str) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(addr) = bare.parse::<std::net::IpAddr>() else {
        return host.to_owned();
    };
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .find_map(|l| {
            let mut words = l.split_whitespace();
            let a = words.next()?.parse::<std::net::IpAddr>().ok()?;
            if a == addr { words.next() } else { None }
        })
        .map_or_else(|| format!("[{bare}]"), str::to_owned)
}

/// The system flags and keywords of an IMAP flag list (`\Recent` and flags this store
/// does not know are left out, as are keywords it cannot keep).
pub fn flags_from_imap(list: &[String]) -> (Flags, Vec<Keyword>) {
    let mut flags = Flags::EMPTY;
    let mut keywords = Vec::new();
    for f in list {
        if let Some(system) = f.strip_prefix('\\') {
            let bit = match system.to_ascii_lowercase().as_str() {
                "seen" => Flags::SEEN,
                "deleted" => Flags::DELETED,
                "flagged" => Flags::FLAGGED,
                "answered" => Flags::ANSWERED,
                "draft" => Flags::DRAFT,
                _ => Flags::EMPTY,
            };
            flags = flags.union(bit);
        } else if let Ok(k) = Keyword::new(f) {
            keywords.push(k);
        }
    }
    (flags, keywords)
}

/// The IMAP flag list of `flags` and `keywords`, in c-client's order (\Seen \Deleted
/// \Flagged \Answered \Draft, then the keywords).
pub fn flags_to_imap(flags: Flags, keywords: &[Keyword]) -> Vec<String> {
    let mut out: Vec<String> = [
        (Flags::SEEN, "\\Seen"),
        (Flags::DELETED, "\\Deleted"),
        (Flags::FLAGGED, "\\Flagged"),
        (Flags::ANSWERED, "\\Answered"),
        (Flags::DRAFT, "\\Draft"),
    ]
    .into_iter()
    .filter(|(f, _)| flags.contains(*f))
    .map(|(_, s)| s.to_owned())
    .collect();
    out.extend(keywords.iter().map(|k| k.as_str().to_owned()));
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An IMAP `date-time` (`17-Jul-1996 02:44:25 -0700`, the day maybe space-padded).
pub fn parse_internal_date(text: &str) -> Option<DateTime> {
    let text = text.trim();
    let (date, rest) = text.split_once(' ')?;
    let (time, zone) = rest.split_once(' ')?;
    let mut d = date.splitn(3, '-');
    let day: u8 = d.next()?.parse().ok()?;
    let month = d.next()?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))?;
    let year: i16 = d.next()?.parse().ok()?;
    let mut t = time.splitn(3, ':');
    let hour: u8 = t.next()?.parse().ok()?;
    let minute: u8 = t.next()?.parse().ok()?;
    let second: u8 = t.next()?.parse().ok()?;
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hh: i32 = digits[..2].parse().ok()?;
    let mm: i32 = digits[2..].parse().ok()?;
    let month = u8::try_from(month + 1).ok()?;
    DateTime::from_civil(
        year,
        month,
        day,
        (hour, minute, second),
        sign * (hh * 3600 + mm * 60),
    )
    .ok()
}

/// A sequence set for `seqs` (ascending), with ranges: `1:3,5`.
pub fn sequence_set(seqs: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < seqs.len() {
        let start = seqs[i];
        let mut end = start;
        while i + 1 < seqs.len() && seqs[i + 1] == end + 1 {
            i += 1;
            end = seqs[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// The mailbox part of `name` as written (empty after `{server}` stays empty, where the
/// parsed name says INBOX).
pub fn mailbox_part(name: &str) -> &str {
    name.find('}').map_or("", |i| &name[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let d = parse_internal_date(" 2-Feb-2020 10:11:12 +0100").unwrap();
        assert_eq!(d.internal_form(), " 2-Feb-2020 10:11:12 +0100");
        let d = parse_internal_date("17-Jul-1996 02:44:25 -0700").unwrap();
        assert_eq!(d.internal_form(), "17-Jul-1996 02:44:25 -0700");
        assert!(parse_internal_date("17-Foo-1996 02:44:25 -0700").is_none());
        assert!(parse_internal_date("17-Jul-1996 02:44:25").is_none());
    }

    #[test]
    fn flags_both_ways() {
        let list: Vec<String> = ["\\Seen", "\\Recent", "$Label1", "\\Draft", "\\Answered"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (f, k) = flags_from_imap(&list);
        assert!(f.contains(Flags::SEEN) && f.contains(Flags::DRAFT));
        assert!(!f.contains(Flags::RECENT));
        assert_eq!(
            flags_to_imap(f, &k),
            vec!["\\Seen", "\\Answered", "\\Draft", "$Label1"]
        );
    }

    #[test]
    fn sets() {
        assert_eq!(sequence_set(&[1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(sequence_set(&[4]), "4");
        assert_eq!(sequence_set(&[]), "");
    }

    #[test]
    fn mailbox_parts() {
        assert_eq!(mailbox_part("{h/imap}"), "");
        assert_eq!(mailbox_part("{h/imap}a/b"), "a/b");
    }
}
