//! How the store tells its caller about things that are not errors.
//!
//! c-client reports warnings and notes through one callback (`mm_log`): "Mailbox is open by
//! another process, access is readonly", "Trying to get mailbox lock from process N",
//! "Mailbox vulnerable - seizing N second old lock", … The store does the same through a
//! [`Notify`] the caller supplies; the IMAP server turns them into untagged `OK`/`NO`
//! responses and syslog lines, `mailutil` into `warning: …` lines on standard error.

use std::fmt;

/// How important a notice is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Information (c-client `NIL`).
    Info,
    /// A warning: something is degraded but the operation goes on (c-client `WARN`).
    Warn,
    /// An error report that accompanies a failed operation (c-client `ERROR`).
    Error,
    /// Something a system administrator must know (c-client's `syslog(LOG_CRIT)` notes,
    /// such as a symbolic link planted on a lock name).
    Critical,
}

/// Receives the store's notices.
pub trait Notify: Send + Sync + fmt::Debug {
    /// One notice, as one line of text without line end.
    fn notice(&self, level: Level, text: &str);
}

/// A [`Notify`] that drops everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Notify for Silent {
    fn notice(&self, _level: Level, _text: &str) {}
}
