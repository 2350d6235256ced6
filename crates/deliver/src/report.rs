//! What the delivery programs say: every notice on standard error, one line each (the
//! MTA returns it to the sender with a bounce), and to syslog (facility `LOG_MAIL`, named
//! after the program) when there is a syslog daemon, as UW's `mm_log`. Debugging lines
//! (`-D`) go to standard error only when asked for.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use mailstore::notify::{Level as StoreLevel, Notify};
use server::log::{Level, Log, Syslog};

use crate::sysexits::{Coercion, Exit};

/// Whether debugging lines are shown (`-D`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Debug {
    /// Shown on standard error.
    On,
    /// Only logged.
    Off,
}

/// The reporter of one program run.
#[derive(Debug)]
pub struct Report {
    debug: Debug,
    rule: Coercion,
    syslog: Option<Syslog>,
}

impl Report {
    /// A reporter for `program` (its syslog name), failing by `rule`.
    pub fn new(program: &str, debug: Debug, rule: Coercion) -> Self {
        let syslog = Path::new("/dev/log").exists().then(|| Syslog::new(program));
        Report {
            debug,
            rule,
            syslog,
        }
    }

    /// Shows debugging now on.
    pub fn set_debug(&mut self, debug: Debug) {
        self.debug = debug;
    }

    /// A notice (`level` says how it is logged).
    pub fn say(&self, level: Level, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
        if let Some(s) = &self.syslog {
            s.line(level, text);
        }
    }

    /// A debugging line.
    pub fn debug(&self, text: &str) {
        if self.debug == Debug::On {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
        if let Some(s) = &self.syslog {
            s.line(Level::Debug, text);
        }
    }

    /// Reports failure `text` and returns the exit status for `code` (UW's `fail()`).
    pub fn fail(&self, text: &str, code: Exit) -> Exit {
        self.say(Level::Error, text);
        code.coerced(self.rule)
    }
}

/// The mail store's notices, passed to a [`Report`].
#[derive(Debug)]
pub struct StoreNotices(pub Arc<Report>);

impl Notify for StoreNotices {
    fn notice(&self, level: StoreLevel, text: &str) {
        match level {
            StoreLevel::Info => self.0.debug(text),
            StoreLevel::Warn => self.0.say(Level::Warning, text),
            StoreLevel::Error | StoreLevel::Critical => self.0.say(Level::Error, text),
        }
    }
}

/// A store error in c-client's words: `Can't create mailbox node /var/mail/u: Permission
/// denied` rather than Rust's `(os error 13)`.
pub fn describe(e: &mailstore::Error) -> String {
    match e {
        mailstore::Error::Io { op, path, source } => {
            format!("Can't {op} {}: {}", path.display(), strerror(source))
        }
        other => other.to_string(),
    }
}

/// The C library's text for an error (`strerror`), without Rust's `(os error N)`.
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_owned(),
        None => e.to_string(),
    }
}
