//! The store's errors.
//!
//! Each variant says what went wrong in terms a mail user understands, and where. The
//! `Display` texts follow c-client's where UW users know them (`Can't create mailbox node
//! …: File exists`, `Mailbox is open by another process, access is readonly`, …).

use std::io;
use std::path::PathBuf;

/// A store result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The mailbox does not exist (IMAP `TRYCREATE` for APPEND and COPY).
    #[error("no such mailbox: {name}")]
    NoSuchMailbox {
        /// The name as given.
        name: String,
    },
    /// CREATE or RENAME onto a name that exists (IMAP `ALREADYEXISTS`).
    #[error("Can't create mailbox {name}: mailbox already exists")]
    AlreadyExists {
        /// The name as given.
        name: String,
    },
    /// A mailbox name that cannot be used.
    #[error("Invalid mailbox name: {name}: {reason}")]
    InvalidName {
        /// The name (shortened if very long).
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A new mailbox, or a directory on its path, would replace a file that exists.
    #[error("Can't create mailbox node {node}: File exists")]
    NodeExists {
        /// The path that exists.
        node: PathBuf,
    },
    /// The name is a directory or otherwise holds no messages (IMAP `\NoSelect`).
    #[error("Can't open mailbox {name}: not a selectable mailbox")]
    NotSelectable {
        /// The name as given.
        name: String,
    },
    /// The file exists but is in no format the store knows.
    #[error("Can't open mailbox {name}: not in a known mailbox format")]
    UnknownFormat {
        /// The name as given.
        name: String,
    },
    /// The operation needs a mailbox format the store has no driver for.
    #[error("mailbox format {format} is not supported")]
    UnsupportedFormat {
        /// The format asked for.
        format: String,
    },
    /// INBOX cannot be created or deleted (it always exists).
    #[error("Can't {action} INBOX")]
    Inbox {
        /// `create` or `delete`.
        action: &'static str,
    },
    /// Another process has the mailbox open read-write, so it cannot be renamed or deleted.
    #[error("Mailbox {name} is in use by another process")]
    InUse {
        /// The name as given.
        name: String,
    },
    /// A subscription change that cannot be made (already subscribed, not subscribed).
    #[error("{what}")]
    Subscription {
        /// c-client's message.
        what: String,
    },
    /// A change was asked of a mailbox open read-only.
    #[error("mailbox is open read-only")]
    ReadOnly,
    /// The anonymous user asked to change something: its store is read-only (FAQ 4.1).
    #[error("Anonymous users may not change mailboxes")]
    AnonymousReadOnly,
    /// A keyword that is not an atom or is too long.
    #[error("invalid keyword {keyword:?}: {reason}")]
    InvalidKeyword {
        /// The keyword (shortened if very long).
        keyword: String,
        /// Why.
        reason: &'static str,
    },
    /// The mailbox already defines as many keywords as its format allows.
    #[error("too many keywords in mailbox (at most {limit})")]
    TooManyKeywords {
        /// The limit.
        limit: usize,
    },
    /// A message number past the end of the mailbox.
    #[error("no message {0} in mailbox")]
    NoSuchMessage(u32),
    /// The mailbox file is not as the format requires at a place.
    #[error("{path}: {what} at byte {offset}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the problem.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// The mailbox file got shorter while open: something else rewrote it.
    #[error("Mailbox shrank from {expected} to {found} bytes!")]
    Shrank {
        /// The size this session knew.
        expected: u64,
        /// The size found.
        found: u64,
    },
    /// The mailbox changed underneath this session in a way it cannot follow.
    #[error("Unexpected changes to mailbox (try restarting your session): {what}")]
    ChangedUnderneath {
        /// What was seen.
        what: String,
    },
    /// Another process took the mailbox away (kiss of death).
    #[error("Killed (lost mailbox lock)")]
    LockLost,
    /// A lock could not be obtained.
    #[error("Unable to lock {path}: {what}")]
    Lock {
        /// The lock file or mailbox.
        path: PathBuf,
        /// Why.
        what: String,
    },
    /// A message to append is not acceptable (empty, or too large for the format).
    #[error("invalid message to append: {reason}")]
    BadMessage {
        /// Why.
        reason: &'static str,
    },
    /// A date that cannot be stored.
    #[error("invalid date: {0}")]
    Date(#[from] rfc822::DateError),
    /// A system call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done (`open`, `read`, `write`, `rename`, …).
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

impl Error {
    /// An [`Error::Io`] for operation `op` on `path`.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// The error for failing to create file or directory `path` of a mailbox: c-client's
    /// `Can't create mailbox node …: File exists` when something is in the way.
    pub(crate) fn node(path: &std::path::Path, e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::AlreadyExists {
            Error::NodeExists {
                node: path.to_owned(),
            }
        } else {
            Error::io("create mailbox node", path, e)
        }
    }

    /// An [`Error::InvalidName`], with the name shortened to something printable.
    pub(crate) fn invalid_name(name: &str, reason: &'static str) -> Self {
        Error::InvalidName {
            name: name.chars().take(80).collect(),
            reason,
        }
    }
}

/// A short form of `io::Result` mapping for `path`.
pub(crate) trait IoContext<T> {
    /// Attaches the operation and path to an I/O error.
    fn ctx(self, op: &'static str, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, op: &'static str, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| Error::io(op, path, e))
    }
}
