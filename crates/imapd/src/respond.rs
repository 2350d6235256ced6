//! Store errors as IMAP answers: the one place a [`mailstore::Error`] becomes a response
//! code and text.

use imap_proto::response::Writer;
use mailstore::Error;

/// A command's failure: `NO` (or `BAD`) with an optional response code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `NO` or `BAD`.
    pub status: Status,
    /// The response code, without brackets.
    pub code: Option<String>,
    /// The text.
    pub text: String,
}

/// A tagged status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// The command failed.
    No,
    /// The command was wrong.
    Bad,
}

impl Failure {
    /// `NO text`.
    pub fn no(text: impl Into<String>) -> Self {
        Failure {
            status: Status::No,
            code: None,
            text: text.into(),
        }
    }

    /// `NO [code] text`.
    pub fn no_code(code: &str, text: impl Into<String>) -> Self {
        Failure {
            status: Status::No,
            code: Some(code.to_owned()),
            text: text.into(),
        }
    }

    /// `BAD text`.
    pub fn bad(text: impl Into<String>) -> Self {
        Failure {
            status: Status::Bad,
            code: None,
            text: text.into(),
        }
    }

    /// For APPEND and COPY: a missing mailbox says `TRYCREATE` (RFC 3501 §6.3.11).
    pub fn try_create(mut self) -> Self {
        if self.code.as_deref() == Some("NONEXISTENT") {
            self.code = Some("TRYCREATE".into());
        }
        self
    }

    /// Writes the tagged response.
    pub fn write(&self, out: &mut Writer, tag: &[u8]) {
        let status = match self.status {
            Status::No => "NO",
            Status::Bad => "BAD",
        };
        out.status(Some(tag), status, self.code.as_deref(), &self.text);
    }
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Self {
        let code = match e {
            Error::NoSuchMailbox { .. } => Some("NONEXISTENT"),
            Error::AlreadyExists { .. } | Error::NodeExists { .. } => Some("ALREADYEXISTS"),
            Error::InUse { .. } | Error::Lock { .. } => Some("INUSE"),
            Error::ReadOnly => Some("READ-ONLY"),
            Error::Inbox { .. } | Error::NotSelectable { .. } => Some("CANNOT"),
            Error::InvalidName { .. } => Some("CANNOT"),
            // ENOSPC and EDQUOT.
            Error::Io { source, .. } if matches!(source.raw_os_error(), Some(28 | 122)) => {
                Some("OVERQUOTA")
            }
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                Some("NOPERM")
            }
            _ => None,
        };
        Failure {
            status: Status::No,
            code: code.map(str::to_owned),
            text: e.to_string(),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::from(&e)
    }
}

/// A handler's result: `Ok` when it wrote its own tagged OK.
pub(crate) type Outcome = Result<(), Failure>;
