//! The session a caller holds: one connection to one server, IMAP or POP3, with the
//! operations `mailutil` needs. POP3 does the single-INBOX ones and refuses the rest with
//! [`ClientError::Unsupported`].

use std::path::PathBuf;
use std::time::Duration;

use rustls_pki_types::CertificateDer;

use crate::conn::{Link, Route, Trace};
use crate::error::ClientError;
use crate::imap::Imap;
use crate::name::{Flag, RemoteName, Service};
use crate::pop3::Pop3;
use crate::preauth::PreauthConfig;
use crate::prompt::Prompt;

/// How a session connects, beyond what the name says.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Trust anchors added to the system's (a private CA; tests).
    pub trust_anchors: Vec<CertificateDer<'static>>,
    /// A CA bundle (PEM) used instead of the system's (`SSL_CERT_FILE` does the same).
    pub ca_file: Option<PathBuf>,
    /// Read and write timeout; None waits forever.
    pub timeout: Option<Duration>,
    /// Trace the protocol even without `/debug`.
    pub trace: Option<Trace>,
    /// ssh and rsh pre-authentication (FAQ 4.3): by default as `/etc/c-client.cf` says.
    pub preauth: PreauthConfig,
}

impl ClientOptions {
    pub(crate) fn trace_for(&self, name: &RemoteName) -> Trace {
        match self.trace {
            Some(t) => t,
            None if name.has(Flag::Debug) => Trace::Stderr,
            None => Trace::Off,
        }
    }
}

/// One mailbox name from LIST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// The name as the server sent it (modified UTF-7 for IMAP4rev1).
    pub name: String,
    /// The hierarchy delimiter, None when the server has none.
    pub delimiter: Option<char>,
    /// Name attributes (`\Noselect`, `\HasChildren`, …).
    pub attributes: Vec<String>,
}

/// STATUS of a mailbox (0 where the server did not say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Status {
    /// Messages.
    pub messages: u32,
    /// Recent messages.
    pub recent: u32,
    /// Unseen messages.
    pub unseen: u32,
    /// The next UID.
    pub uid_next: u32,
    /// The UID validity.
    pub uid_validity: u32,
}

/// Read-write or read-only opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// SELECT.
    ReadWrite,
    /// EXAMINE.
    ReadOnly,
}

/// What selecting a mailbox told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Messages.
    pub exists: u32,
    /// Recent messages.
    pub recent: u32,
    /// UID validity (0 when not sent; POP3).
    pub uid_validity: u32,
    /// Flags that can be kept.
    pub permanent_flags: Vec<String>,
    /// Whether the mailbox is open read-only.
    pub read_only: Access,
}

/// One message's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMeta {
    /// The sequence number.
    pub seq: u32,
    /// The UID (0 for POP3, which has no sticky UIDs).
    pub uid: u32,
    /// System flags and keywords.
    pub flags: Vec<String>,
    /// The IMAP date-time (`"17-Jul-1996 02:44:25 -0700"` without quotes); empty for POP3.
    pub internal_date: String,
    /// RFC822.SIZE.
    pub size: u64,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// `+FLAGS`
    Add,
    /// `-FLAGS`
    Remove,
    /// `FLAGS`
    Replace,
}

#[derive(Debug)]
enum Inner {
    Imap(Box<Imap>),
    Pop3(Box<Pop3>),
}

/// A logged-in connection to a server.
#[derive(Debug)]
pub struct Session {
    name: RemoteName,
    inner: Inner,
}

impl Session {
    /// Connects as `name` says (TLS per its switches), and logs in, asking `prompt` for
    /// what the name does not carry.
    pub fn connect(
        name: &RemoteName,
        options: &ClientOptions,
        prompt: &mut dyn Prompt,
    ) -> Result<Session, ClientError> {
        let inner = match name.service {
            Service::Imap => Inner::Imap(Box::new(Imap::connect(name, options, prompt)?)),
            Service::Pop3 => Inner::Pop3(Box::new(Pop3::connect(name, options, prompt)?)),
        };
        Ok(Session {
            name: name.clone(),
            inner,
        })
    }

    /// The name connected with.
    pub fn name(&self) -> &RemoteName {
        &self.name
    }

    /// Whether the link is encrypted.
    pub fn link(&self) -> Link {
        match &self.inner {
            Inner::Imap(s) => s.link(),
            Inner::Pop3(s) => s.link(),
        }
    }

    /// How the server was reached: TCP, or a remote command (pre-authentication).
    pub fn route(&self) -> Route {
        match &self.inner {
            Inner::Imap(s) => s.route(),
            Inner::Pop3(_) => Route::Tcp,
        }
    }

    /// The server's capabilities (IMAP CAPABILITY, POP3 CAPA lines).
    pub fn capabilities(&self) -> &[String] {
        match &self.inner {
            Inner::Imap(s) => s.capabilities(),
            Inner::Pop3(s) => s.capabilities(),
        }
    }

    fn imap(&mut self, operation: &'static str) -> Result<&mut Imap, ClientError> {
        match &mut self.inner {
            Inner::Imap(s) => Ok(s),
            Inner::Pop3(_) => Err(ClientError::Unsupported {
                service: "POP3",
                operation,
            }),
        }
    }

    /// LIST `reference` `pattern`.
    pub fn list(&mut self, reference: &str, pattern: &str) -> Result<Vec<ListItem>, ClientError> {
        match &mut self.inner {
            Inner::Imap(s) => s.list(reference, pattern),
            Inner::Pop3(s) => Ok(s.list(pattern)),
        }
    }

    /// CREATE.
    pub fn create(&mut self, name: &str) -> Result<(), ClientError> {
        self.imap("CREATE")?.simple("CREATE", &[name])
    }

    /// DELETE.
    pub fn delete(&mut self, name: &str) -> Result<(), ClientError> {
        self.imap("DELETE")?.simple("DELETE", &[name])
    }

    /// RENAME.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), ClientError> {
        self.imap("RENAME")?.simple("RENAME", &[from, to])
    }

    /// STATUS.
    pub fn status(&mut self, name: &str) -> Result<Status, ClientError> {
        match &mut self.inner {
            Inner::Imap(s) => s.status(name),
            Inner::Pop3(s) => s.status(name),
        }
    }

    /// SELECT or EXAMINE (always EXAMINE under `/readonly`).
    pub fn select(&mut self, name: &str, access: Access) -> Result<Selected, ClientError> {
        let access = if self.name.has(Flag::ReadOnly) {
            Access::ReadOnly
        } else {
            access
        };
        match &mut self.inner {
            Inner::Imap(s) => s.select(name, access),
            Inner::Pop3(s) => s.select(name),
        }
    }

    /// Flags, UID, internal date and size of the messages in `range` (a sequence set such
    /// as `1:*`).
    pub fn fetch_meta(&mut self, range: &str) -> Result<Vec<MessageMeta>, ClientError> {
        match &mut self.inner {
            Inner::Imap(s) => s.fetch_meta(range),
            Inner::Pop3(s) => s.fetch_meta(range),
        }
    }

    /// The whole text of message `seq`, without setting `\Seen`.
    pub fn fetch_message(&mut self, seq: u32) -> Result<Vec<u8>, ClientError> {
        match &mut self.inner {
            Inner::Imap(s) => s.fetch_message(seq),
            Inner::Pop3(s) => s.fetch_message(seq),
        }
    }

    /// APPEND `message` to `mailbox` with `flags` and, if given, `internal_date` (an IMAP
    /// date-time, without quotes).
    pub fn append(
        &mut self,
        mailbox: &str,
        flags: &[String],
        internal_date: Option<&str>,
        message: &[u8],
    ) -> Result<(), ClientError> {
        self.imap("APPEND")?
            .append(mailbox, flags, internal_date, message)
    }

    /// STORE flags on the messages in `seqs` (a sequence set).
    pub fn store_flags(
        &mut self,
        seqs: &str,
        mode: StoreMode,
        flags: &[String],
    ) -> Result<(), ClientError> {
        match &mut self.inner {
            Inner::Imap(s) => s.store_flags(seqs, mode, flags),
            Inner::Pop3(s) => s.store_flags(seqs, mode, flags),
        }
    }

    /// EXPUNGE.
    pub fn expunge(&mut self) -> Result<(), ClientError> {
        match &mut self.inner {
            Inner::Imap(s) => s.simple("EXPUNGE", &[]),
            Inner::Pop3(s) => s.expunge(),
        }
    }

    /// SEARCH with `criteria` passed through as IMAP search text; the sequence numbers.
    pub fn search(&mut self, criteria: &str) -> Result<Vec<u32>, ClientError> {
        self.imap("SEARCH")?.search(criteria)
    }

    /// CLOSE (expunges silently and deselects).
    pub fn close(&mut self) -> Result<(), ClientError> {
        match &mut self.inner {
            Inner::Imap(s) => s.simple("CLOSE", &[]),
            Inner::Pop3(_) => Ok(()),
        }
    }

    /// LOGOUT (POP3: QUIT, which makes the deletions happen).
    pub fn logout(self) -> Result<(), ClientError> {
        match self.inner {
            Inner::Imap(mut s) => s.logout(),
            Inner::Pop3(mut s) => s.quit(),
        }
    }
}
