//! Where the servers' log lines go: syslog (facility `LOG_MAIL`, as UW) or standard
//! error. Lines are UW's (`Login user=… host=…`, `Autologout user=… host=…`); no
//! password or AUTHENTICATE data is ever given to a [`Log`].

use std::fmt;
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;

/// How serious a line is (syslog priorities).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Failures that need attention (`LOG_ERR`).
    Error,
    /// Something unusual (`LOG_WARNING`).
    Warning,
    /// Normal events: logins, logouts (`LOG_INFO`).
    Info,
    /// Details (`LOG_DEBUG`).
    Debug,
}

impl Level {
    fn syslog(self) -> u8 {
        match self {
            Level::Error => 3,
            Level::Warning => 4,
            Level::Info => 6,
            Level::Debug => 7,
        }
    }
}

/// A name or text from a client as a log line may show it: at most 80 characters, control
/// characters as `?`.
pub fn printable(s: &str) -> String {
    s.chars()
        .take(80)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A log sink.
pub trait Log: Send + Sync + fmt::Debug {
    /// Writes one line.
    fn line(&self, level: Level, text: &str);
}

/// Lines to standard error, `program[pid]: text`.
#[derive(Debug)]
pub struct Stderr {
    program: String,
}

impl Stderr {
    /// A sink that names `program`.
    pub fn new(program: &str) -> Self {
        Stderr {
            program: program.to_owned(),
        }
    }
}

impl Log for Stderr {
    fn line(&self, _level: Level, text: &str) {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}[{}]: {}",
            self.program,
            std::process::id(),
            clean(text)
        );
    }
}

/// Lines to the local syslog daemon (`/dev/log`), facility `LOG_MAIL`.
#[derive(Debug)]
pub struct Syslog {
    program: String,
    socket: Mutex<Option<UnixDatagram>>,
}

impl Syslog {
    /// A sink that names `program`, connected to the syslog daemon at once (as
    /// `openlog` with `LOG_NDELAY`), so that a session that later changes its root
    /// (closedBox) still reaches it.
    pub fn new(program: &str) -> Self {
        Syslog {
            program: program.to_owned(),
            socket: Mutex::new(
                UnixDatagram::unbound()
                    .and_then(|s| s.connect("/dev/log").map(|()| s))
                    .ok(),
            ),
        }
    }
}

/// Facility `LOG_MAIL`.
const LOG_MAIL: u8 = 2;

impl Log for Syslog {
    fn line(&self, level: Level, text: &str) {
        let msg = format!(
            "<{}>{}[{}]: {}",
            u16::from(LOG_MAIL) * 8 + u16::from(level.syslog()),
            self.program,
            std::process::id(),
            clean(text)
        );
        let Ok(mut guard) = self.socket.lock() else {
            return;
        };
        for _ in 0..2 {
            if guard.is_none() {
                *guard = UnixDatagram::unbound()
                    .and_then(|s| s.connect("/dev/log").map(|()| s))
                    .ok();
            }
            match guard.as_ref().map(|s| s.send(msg.as_bytes())) {
                Some(Ok(_)) => return,
                Some(Err(_)) => *guard = None,
                None => break,
            }
        }
        // No syslog daemon: standard error rather than nothing.
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            &msg[msg.find('>').map_or(0, |i| i + 1)..]
        );
    }
}

/// A log line never breaks into two: control characters become spaces.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A sink that keeps lines in memory (for tests).
#[derive(Debug, Default)]
pub struct Memory {
    lines: Mutex<Vec<String>>,
}

impl Memory {
    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Log for Memory {
    fn line(&self, _level: Level, text: &str) {
        if let Ok(mut l) = self.lines.lock() {
            l.push(clean(text));
        }
    }
}
