//! The one place `mailutil` touches mailboxes: by name, on the local store, and (when the
//! `client` crate joins) on an IMAP or POP3 server for `{host…}mailbox` names.
//!
//! Commands speak only to [`Mailboxes`] (list, create, delete, rename, status, open,
//! append) and to an [`Opened`] mailbox (messages with flags, keywords and internal
//! dates; flag, expunge, search). A `Remote` variant wrapping `client::Session` goes into
//! each enum; nothing else changes.

use mailstore::name::{Location, Target};
use mailstore::{
    AppendMessage, Close, ExpungeScope, FlagOp, Flags, Mailbox, Part, SeqNo, Status, Store,
};

pub use mailstore::Access;

use crate::criteria::Criteria;

/// An error from a mailbox operation.
#[derive(Debug)]
pub enum Error {
    /// From the local store.
    Local(mailstore::Error),
    /// A `{host}mailbox` name, which needs the network client.
    Remote,
    /// `#driver.FORMAT/NAME` names a mailbox that exists in another format.
    WrongFormat {
        /// The format the name asked for.
        format: mailstore::Format,
        /// The name without its `#driver.` prefix.
        name: String,
    },
}

impl From<mailstore::Error> for Error {
    fn from(e: mailstore::Error) -> Self {
        Error::Local(e)
    }
}

impl Error {
    /// The reason, in c-client's words where they exist (what follows
    /// `Can't … mailbox NAME: `).
    pub fn reason(&self) -> String {
        match self {
            Error::Local(mailstore::Error::NoSuchMailbox { .. }) => "no such mailbox".into(),
            Error::Local(mailstore::Error::Io { source, .. }) => match source.raw_os_error() {
                // strerror's words, without Rust's "(os error N)".
                Some(n) => nix::errno::Errno::from_raw(n).desc().to_owned(),
                None => source.to_string(),
            },
            Error::Local(e) => e.to_string(),
            Error::Remote => "remote mailbox names are not supported yet".into(),
            Error::WrongFormat { format, name } => format!(
                "Not a {}-format mailbox: {name}",
                format.name().to_ascii_uppercase()
            ),
        }
    }

    /// Whether c-client words this error as a whole line of its own (rather than as the
    /// reason after `Can't … mailbox NAME: `).
    pub fn is_whole_line(&self) -> bool {
        matches!(
            self,
            Error::Local(
                mailstore::Error::NodeExists { .. }
                    | mailstore::Error::AlreadyExists { .. }
                    | mailstore::Error::Inbox { .. }
                    | mailstore::Error::InvalidName { .. }
                    | mailstore::Error::NotSelectable { .. }
                    | mailstore::Error::UnknownFormat { .. }
            ) | Error::WrongFormat { .. }
        )
    }

    /// Whether the mailbox was missing (c-client's `[TRYCREATE]`).
    pub fn is_missing(&self) -> bool {
        matches!(self, Error::Local(mailstore::Error::NoSuchMailbox { .. }))
    }
}

/// `Can't {what} mailbox {name}: {reason}`, or the error's own line.
pub fn cant(what: &str, name: &str, e: &Error) -> String {
    if e.is_whole_line() {
        e.reason()
    } else {
        format!("Can't {what} mailbox {name}: {}", e.reason())
    }
}

/// Whether `name` is a remote name: `{` up to a closing `}` (c-client's and the `client`
/// crate's test).
pub fn is_remote(name: &str) -> bool {
    name.starts_with('{') && name.contains('}')
}

/// One mailbox a listing found.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// Its hierarchy delimiter, if any.
    pub delimiter: Option<char>,
    /// Whether it can be opened (not `\NoSelect`).
    pub selectable: bool,
}

/// Where mailboxes are: the local store (and later a remote server).
#[derive(Debug)]
pub enum Mailboxes {
    /// The user's local store.
    Local(Store),
}

impl Mailboxes {
    fn local(&self, name: &str) -> Result<&Store, Error> {
        if is_remote(name) {
            return Err(Error::Remote);
        }
        match self {
            Mailboxes::Local(s) => Ok(s),
        }
    }

    /// The counts of mailbox `name`.
    pub fn status(&self, name: &str) -> Result<Status, Error> {
        Ok(self.local(name)?.status(name)?)
    }

    /// Creates mailbox `name`, with `keywords` defined from the start.
    pub fn create(&self, name: &str, keywords: &[String]) -> Result<(), Error> {
        Ok(self.local(name)?.create_with_keywords(name, keywords)?)
    }

    /// Deletes mailbox `name`.
    pub fn delete(&self, name: &str) -> Result<(), Error> {
        Ok(self.local(name)?.delete(name)?)
    }

    /// Renames mailbox `from` to `to`.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), Error> {
        self.local(to)?;
        Ok(self.local(from)?.rename(from, to)?)
    }

    /// LIST `reference` `pattern`.
    pub fn list(&self, reference: &str, pattern: &str) -> Result<Vec<Listed>, Error> {
        let store = self.local(reference)?;
        Ok(store
            .list(reference, pattern)?
            .into_iter()
            .map(|e| Listed {
                name: e.name,
                delimiter: e.delimiter,
                selectable: !e.attributes.contains(mailstore::Attributes::NO_SELECT),
            })
            .collect())
    }

    /// Opens mailbox `name`.
    pub fn open(&self, name: &str, access: Access) -> Result<Opened, Error> {
        let store = self.local(name)?;
        let mailbox = store.open(name, access)?;
        // c-client's drivers name the stream by its file; an empty file (the dummy
        // driver) keeps the name it was opened by.
        let label = match store.resolve(name) {
            Ok(Location {
                target: Target::File(path),
                ..
            }) if mailbox.format() != mailstore::Format::Dummy => {
                path.to_string_lossy().into_owned()
            }
            Ok(loc) if loc.is_inbox() => loc.name,
            _ => name.to_owned(),
        };
        Ok(Opened::Local { mailbox, label })
    }

    /// The keywords mailbox `name` has defined (none if it cannot be read).
    pub fn keywords_of(&self, name: &str) -> Vec<String> {
        let Ok(store) = self.local(name) else {
            return Vec::new();
        };
        let name = match mailstore::name::driver_prefix(name) {
            Ok(Some((_, rest))) => rest,
            _ => name,
        };
        match store.open(name, Access::ReadOnly) {
            Ok(m) => {
                let k = m.keywords().iter().map(|k| k.to_string()).collect();
                let _ = m.close(Close::Keep);
                k
            }
            Err(_) => Vec::new(),
        }
    }

    /// Defines `keywords` in the existing mailbox `name` as c-client's mailutil does for
    /// `-kwcopy`: by appending a placeholder message that has them all and \Deleted, then
    /// expunging, which takes any message already \Deleted in `name` with it.
    pub fn define_keywords(&self, name: &str, keywords: &[String]) -> Result<(), Error> {
        let store = self.local(name)?;
        let keywords = keywords
            .iter()
            .map(|k| mailstore::Keyword::new(k))
            .collect::<Result<Vec<_>, _>>()?;
        let placeholder = AppendMessage {
            data: b"From: mailutil\r\nSubject: keywords\r\n\r\nPlaceholder, expunged at once.\r\n"
                .to_vec(),
            flags: Flags::DELETED,
            keywords,
            date: None,
        };
        store.append(name, &mut std::iter::once(Ok(placeholder)))?;
        let plain = match mailstore::name::driver_prefix(name) {
            Ok(Some((_, rest))) => rest,
            _ => name,
        };
        let mut mailbox = store.open(plain, Access::ReadWrite)?;
        mailbox.expunge(ExpungeScope::AllDeleted)?;
        Ok(mailbox.close(Close::Keep)?)
    }

    /// Appends `messages` to the existing mailbox `name`, one at a time.
    pub fn append(
        &self,
        name: &str,
        messages: &mut dyn Iterator<Item = Result<AppendMessage, Error>>,
    ) -> Result<(), Error> {
        let store = self.local(name)?;
        // c-client's drivers refuse to append, under their name, to a mailbox in another
        // format.
        if let Ok(Some((format, rest))) = mailstore::name::driver_prefix(name)
            && let Ok(Some(found)) = store.format_of(rest)
            && found != format
            && found != mailstore::Format::Dummy
        {
            return Err(Error::WrongFormat {
                format,
                name: rest.to_owned(),
            });
        }
        // The store takes its own error type; a remote source's error is kept aside.
        let mut held = None;
        let mut local = messages.map_while(|m| match m {
            Ok(m) => Some(Ok(m)),
            Err(Error::Local(e)) => Some(Err(e)),
            Err(other) => {
                held = Some(other);
                None
            }
        });
        let r = store.append(name, &mut local);
        drop(local);
        if let Some(e) = held {
            return Err(e);
        }
        r.map(drop).map_err(Error::Local)
    }
}

/// One message read from a source, ready to append elsewhere.
pub type Message = AppendMessage;

/// An open mailbox.
#[derive(Debug)]
pub enum Opened {
    /// A mailbox of the local store.
    Local {
        /// The session.
        mailbox: Box<dyn Mailbox>,
        /// What c-client calls the stream's mailbox: its file for a local name.
        label: String,
    },
}

impl Opened {
    /// How c-client names the open mailbox (its file, for local names).
    pub fn label(&self) -> &str {
        match self {
            Opened::Local { label, .. } => label,
        }
    }

    /// How many messages it has.
    pub fn count(&self) -> usize {
        match self {
            Opened::Local { mailbox, .. } => mailbox.messages().len(),
        }
    }

    /// Its keywords.
    pub fn keywords(&self) -> Vec<String> {
        match self {
            Opened::Local { mailbox, .. } => {
                mailbox.keywords().iter().map(|k| k.to_string()).collect()
            }
        }
    }

    /// Message `seq` with its flags (not \Recent), keywords (unless `with_keywords` is
    /// false) and internal date.
    pub fn message(&mut self, seq: SeqNo, keywords: KeywordCopy) -> Result<Message, Error> {
        match self {
            Opened::Local { mailbox, .. } => {
                let info = mailbox
                    .messages()
                    .get(seq.index())
                    .cloned()
                    .ok_or(mailstore::Error::NoSuchMessage(seq.get()))?;
                let data = mailbox.fetch(seq, Part::Whole)?;
                let keywords = match keywords {
                    KeywordCopy::Keep => {
                        let table = mailbox.keywords();
                        info.keywords
                            .iter()
                            .filter_map(|k| table.get(k).cloned())
                            .collect()
                    }
                    KeywordCopy::Drop => Vec::new(),
                };
                Ok(AppendMessage {
                    data,
                    flags: info.flags.intersect(Flags::SETTABLE),
                    keywords,
                    date: Some(info.internal_date),
                })
            }
        }
    }

    /// The messages matching `criteria`.
    pub fn search(&mut self, criteria: &Criteria) -> Result<Vec<SeqNo>, Error> {
        match self {
            Opened::Local { mailbox, .. } => Ok(criteria.search(&mut **mailbox)?),
        }
    }

    /// Flags messages `seqs` \Deleted and expunges every deleted message; returns how
    /// many went.
    pub fn delete_and_expunge(&mut self, seqs: &[SeqNo]) -> Result<usize, Error> {
        match self {
            Opened::Local { mailbox, .. } => {
                mailbox.set_flags(seqs, FlagOp::Add, Flags::DELETED, &[])?;
                Ok(mailbox.expunge(ExpungeScope::AllDeleted)?.len())
            }
        }
    }

    /// Closes it.
    pub fn close(self) -> Result<(), Error> {
        match self {
            Opened::Local { mailbox, .. } => Ok(mailbox.close(Close::Keep)?),
        }
    }
}

/// Whether a message read for copying carries its keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeywordCopy {
    /// With its keywords.
    Keep,
    /// Without (`-ignore`).
    Drop,
}
