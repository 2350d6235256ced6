//! The one place `mailutil` touches mailboxes: by name, on the local store, or on an IMAP
//! or POP3 server for `{host…}mailbox` names (through the `client` crate, connections kept
//! per server for the run: see [`crate::remote`]).
//!
//! Commands speak only to [`Mailboxes`] (list, create, delete, rename, status, open,
//! append) and to an [`Opened`] mailbox (messages with flags, keywords and internal
//! dates; flag, expunge, search), whose `Remote` variant wraps a `client::Session`.

use mailstore::name::{Location, Target};
use mailstore::{AppendMessage, Close, ExpungeScope, FlagOp, Flags, Mailbox, Part, SeqNo, Store};

pub use mailstore::Access;

use client::{ClientError, RemoteName, Session};

use crate::criteria::Criteria;
use crate::remote::{self, Pool};

/// An error from a mailbox operation.
#[derive(Debug)]
pub enum Error {
    /// From the local store.
    Local(mailstore::Error),
    /// A `{host}mailbox` name whose server could not be reached or logged in to (the
    /// name itself may be malformed).
    Connect(ClientError),
    /// What the server refused (its words), or the connection failing afterwards.
    Remote(ClientError),
    /// A command that cannot span two servers, or a server and the local store.
    AcrossServers,
    /// What a POP3 server cannot do (c-client's words).
    Pop3(&'static str),
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
            Error::Connect(e) | Error::Remote(e) => remote_words(e),
            Error::AcrossServers => "mailboxes are on different servers".into(),
            Error::Pop3(words) => (*words).into(),
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
                | Error::Connect(_)
                | Error::Remote(_)
                | Error::Pop3(_)
        )
    }

    /// Whether the mailbox was missing (c-client's `[TRYCREATE]`).
    pub fn is_missing(&self) -> bool {
        match self {
            Error::Local(mailstore::Error::NoSuchMailbox { .. }) => true,
            Error::Remote(ClientError::Server(text)) => text
                .get(..11)
                .is_some_and(|t| t.eq_ignore_ascii_case("[TRYCREATE]")),
            _ => false,
        }
    }
}

/// A client error in c-client's words: the server's text as it sent it, a refused login
/// as the prompt ended it (`Login aborted`).
fn remote_words(e: &ClientError) -> String {
    match e {
        ClientError::Prompt(io) => io.to_string(),
        other => other.to_string(),
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

pub use client::is_remote;

/// The counts `check` prints.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    /// Messages.
    pub messages: u32,
    /// \Recent ones.
    pub recent: u32,
    /// Ones without \Seen.
    pub unseen: u32,
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

/// Where mailboxes are: the user's local store, and the servers remote names point to.
#[derive(Debug)]
pub struct Mailboxes {
    store: Store,
    servers: Pool,
}

/// Which side a name is on.
enum Side<'a> {
    Local(&'a Store),
    Remote(RemoteName),
}

impl Mailboxes {
    /// The local `store`, and remote names reached through `servers`.
    pub fn new(store: Store, servers: Pool) -> Self {
        Mailboxes { store, servers }
    }

    fn side(&self, name: &str) -> Result<Side<'_>, Error> {
        if is_remote(name) {
            let r = RemoteName::parse(name).map_err(|e| Error::Connect(e.into()))?;
            Ok(Side::Remote(r))
        } else {
            Ok(Side::Local(&self.store))
        }
    }

    fn local(&self, name: &str) -> Result<&Store, Error> {
        match self.side(name)? {
            Side::Local(s) => Ok(s),
            Side::Remote(_) => Err(Error::AcrossServers),
        }
    }

    /// Runs `f` on a session on `name`'s server, kept for the next use afterwards (unless
    /// the connection failed).
    fn with_session<T>(
        &self,
        name: &RemoteName,
        f: impl FnOnce(&mut Session) -> Result<T, ClientError>,
    ) -> Result<T, Error> {
        let mut session = self.servers.take(name).map_err(Error::Connect)?;
        let r = f(&mut session);
        match &r {
            Err(ClientError::Io(_) | ClientError::Closed(_) | ClientError::Protocol(_)) => {}
            _ => self.servers.give_back(session),
        }
        r.map_err(Error::Remote)
    }

    /// Connects to (and logs in to) the server of the remote name `name`, keeping the
    /// connection for what follows, as c-client's "half-open" streams; nothing for a
    /// local name.
    pub fn connect(&self, name: &str) -> Result<(), Error> {
        match self.side(name)? {
            Side::Local(_) => Ok(()),
            Side::Remote(r) => self.with_session(&r, |_| Ok(())),
        }
    }

    /// How a name shows in messages: a remote name in its canonical spelling
    /// (`{host:port/imap/user="NAME"}MAILBOX`, as c-client names its streams, the user
    /// typed at the prompt included), a local one as given.
    pub fn shown_name(&self, name: &str) -> String {
        match self.side(name) {
            // c-client's POP3 status names the mailbox as it was given.
            Ok(Side::Remote(r)) if r.service == client::Service::Pop3 => name.to_owned(),
            Ok(Side::Remote(r)) => self.servers.canonical(&r).to_string(),
            _ => name.to_owned(),
        }
    }

    /// Logs out of every server.
    pub fn finish(&self) {
        self.servers.close_all();
    }

    /// The counts of mailbox `name`.
    pub fn status(&self, name: &str) -> Result<Counts, Error> {
        match self.side(name)? {
            Side::Local(store) => {
                let s = store.status(name)?;
                Ok(Counts {
                    messages: s.messages,
                    recent: s.recent,
                    unseen: s.unseen,
                })
            }
            Side::Remote(r) => self.with_session(&r, |s| {
                let st = s.status(&r.mailbox)?;
                Ok(Counts {
                    messages: st.messages,
                    recent: st.recent,
                    unseen: st.unseen,
                })
            }),
        }
    }

    /// Creates mailbox `name`, with `keywords` defined from the start.
    pub fn create(&self, name: &str, keywords: &[String]) -> Result<(), Error> {
        match self.side(name)? {
            Side::Local(store) => Ok(store.create_with_keywords(name, keywords)?),
            Side::Remote(r) => {
                self.with_session(&r, |s| s.create(&r.mailbox))?;
                if keywords.is_empty() {
                    Ok(())
                } else {
                    self.define_keywords(name, keywords)
                }
            }
        }
    }

    /// Deletes mailbox `name`.
    pub fn delete(&self, name: &str) -> Result<(), Error> {
        match self.side(name)? {
            Side::Local(store) => Ok(store.delete(name)?),
            Side::Remote(r) => self.with_session(&r, |s| s.delete(&r.mailbox)),
        }
    }

    /// Renames mailbox `from` to `to` (both local, or both on one server).
    pub fn rename(&self, from: &str, to: &str) -> Result<(), Error> {
        match (self.side(from)?, self.side(to)?) {
            (Side::Local(store), Side::Local(_)) => Ok(store.rename(from, to)?),
            (Side::Remote(a), Side::Remote(b)) if a.server() == b.server() => {
                self.with_session(&a, |s| s.rename(&a.mailbox, &b.mailbox))
            }
            _ => Err(Error::AcrossServers),
        }
    }

    /// LIST `reference` `pattern`. A remote reference lists on its server, and the names
    /// come back with the server's `{…}` in front, as c-client gives them.
    pub fn list(&self, reference: &str, pattern: &str) -> Result<Vec<Listed>, Error> {
        match self.side(reference)? {
            Side::Local(store) => Ok(store
                .list(reference, pattern)?
                .into_iter()
                .map(|e| Listed {
                    name: e.name,
                    delimiter: e.delimiter,
                    selectable: !e.attributes.contains(mailstore::Attributes::NO_SELECT),
                })
                .collect()),
            Side::Remote(r) => {
                let items =
                    self.with_session(&r, |s| s.list(remote::mailbox_part(reference), pattern))?;
                let prefix = self.servers.canonical(&r).server();
                Ok(items
                    .into_iter()
                    .map(|i| Listed {
                        selectable: !i
                            .attributes
                            .iter()
                            .any(|a| a.eq_ignore_ascii_case("\\Noselect")),
                        name: if i.name.is_empty() {
                            String::new()
                        } else {
                            format!("{prefix}{}", i.name)
                        },
                        delimiter: i.delimiter,
                    })
                    .collect())
            }
        }
    }

    /// Opens mailbox `name`.
    pub fn open(&self, name: &str, access: Access) -> Result<Opened, Error> {
        let store = match self.side(name)? {
            Side::Local(store) => store,
            Side::Remote(r) => return self.open_remote(&r, access),
        };
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

    /// SELECTs (or EXAMINEs) `name` on a session kept for this mailbox until it closes,
    /// and reads every message's flags, date and size.
    fn open_remote(&self, name: &RemoteName, access: Access) -> Result<Opened, Error> {
        if name.service == client::Service::Pop3 && access == Access::ReadOnly {
            return Err(Error::Pop3("Read-only POP3 access not available"));
        }
        let mut session = self.servers.take(name).map_err(Error::Connect)?;
        let access = match access {
            Access::ReadWrite => client::Access::ReadWrite,
            Access::ReadOnly => client::Access::ReadOnly,
        };
        let read = |s: &mut Session| -> Result<_, ClientError> {
            let selected = s.select(&name.mailbox, access)?;
            let messages = if selected.exists > 0 {
                s.fetch_meta("1:*")?
            } else {
                Vec::new()
            };
            Ok((selected, messages))
        };
        // c-client names a stream opened read-only with /readonly.
        let mut shown = self.servers.canonical(name);
        if access == client::Access::ReadOnly && !shown.has(client::Flag::ReadOnly) {
            shown.flags.push(client::Flag::ReadOnly);
        }
        let label = shown.to_string();
        match read(&mut session) {
            Ok((selected, messages)) => {
                // The keywords the mailbox has: what it can keep permanently, and any a
                // message carries.
                let mut keywords: Vec<String> = Vec::new();
                let all = selected.permanent_flags.iter().chain(
                    messages
                        .iter()
                        .flat_map(|m: &client::MessageMeta| m.flags.iter()),
                );
                for f in all {
                    if !f.starts_with('\\') && !keywords.iter().any(|k| k.eq_ignore_ascii_case(f)) {
                        keywords.push(f.clone());
                    }
                }
                Ok(Opened::Remote(Box::new(RemoteMailbox {
                    session: Some(session),
                    servers: self.servers.clone(),
                    label,
                    selection: Selection::Selected,
                    messages,
                    keywords,
                })))
            }
            // c-client keeps the connection as a "half-open" stream of no messages when
            // the server refuses the SELECT: the refusal is told, and a copy goes on with
            // an empty source (creating its destination), a prune finds nothing.
            Err(ClientError::Server(text)) => {
                eprintln!("{text}");
                Ok(Opened::Remote(Box::new(RemoteMailbox {
                    session: Some(session),
                    servers: self.servers.clone(),
                    label,
                    selection: Selection::HalfOpen,
                    messages: Vec::new(),
                    keywords: Vec::new(),
                })))
            }
            Err(e) => Err(Error::Remote(e)),
        }
    }

    /// The keywords mailbox `name` has defined (none if it cannot be read); None for a
    /// remote mailbox, whose server decides which keywords it takes.
    pub fn keywords_of(&self, name: &str) -> Option<Vec<String>> {
        let store = match self.side(name) {
            Ok(Side::Local(store)) => store,
            Ok(Side::Remote(_)) => return None,
            Err(_) => return Some(Vec::new()),
        };
        let name = match mailstore::name::driver_prefix(name) {
            Ok(Some((_, rest))) => rest,
            _ => name,
        };
        Some(match store.open(name, Access::ReadOnly) {
            Ok(m) => {
                let k = m.keywords().iter().map(|k| k.to_string()).collect();
                let _ = m.close(Close::Keep);
                k
            }
            Err(_) => Vec::new(),
        })
    }

    /// Whether a new mailbox `name` takes any keyword (a server decides for itself; a new
    /// local one has none defined).
    pub fn takes_new_keywords(&self, name: &str) -> bool {
        is_remote(name)
    }

    /// Defines `keywords` in the existing mailbox `name` as c-client's mailutil does for
    /// `-kwcopy`: by appending a placeholder message that has them all and \Deleted, then
    /// expunging, which takes any message already \Deleted in `name` with it.
    pub fn define_keywords(&self, name: &str, keywords: &[String]) -> Result<(), Error> {
        let data = b"From: mailutil\r\nSubject: keywords\r\n\r\nPlaceholder, expunged at once.\r\n"
            .to_vec();
        if let Side::Remote(r) = self.side(name)? {
            let mut flags = keywords.to_vec();
            flags.push("\\Deleted".into());
            return self.with_session(&r, |s| {
                s.append(&r.mailbox, &flags, None, &data)?;
                s.select(&r.mailbox, client::Access::ReadWrite)?;
                s.expunge()
            });
        }
        let store = self.local(name)?;
        let keywords = keywords
            .iter()
            .map(|k| mailstore::Keyword::new(k))
            .collect::<Result<Vec<_>, _>>()?;
        let placeholder = AppendMessage {
            data,
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
        let store = match self.side(name)? {
            Side::Local(store) => store,
            Side::Remote(r) => return self.append_remote(&r, messages),
        };
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

    /// APPENDs each message to `name` on its server, with its flags, keywords and date.
    fn append_remote(
        &self,
        name: &RemoteName,
        messages: &mut dyn Iterator<Item = Result<AppendMessage, Error>>,
    ) -> Result<(), Error> {
        let mut session = self.servers.take(name).map_err(Error::Connect)?;
        let mut result = Ok(());
        for m in messages {
            let m = match m {
                Ok(m) => m,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let flags = remote::flags_to_imap(m.flags, &m.keywords);
            let date = m.date.as_ref().map(rfc822::DateTime::internal_form);
            if let Err(e) = session.append(&name.mailbox, &flags, date.as_deref(), &m.data) {
                result = Err(Error::Remote(e));
                break;
            }
        }
        match &result {
            Err(Error::Remote(
                ClientError::Io(_) | ClientError::Closed(_) | ClientError::Protocol(_),
            )) => {}
            _ => self.servers.give_back(session),
        }
        result
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
    /// A mailbox selected on a server.
    Remote(Box<RemoteMailbox>),
}

/// A mailbox selected on a server, with what was read of its messages when it opened.
#[derive(Debug)]
pub struct RemoteMailbox {
    /// The connection, given back to the pool at close.
    session: Option<Session>,
    servers: Pool,
    /// The canonical name.
    label: String,
    selection: Selection,
    messages: Vec<client::MessageMeta>,
    keywords: Vec<String>,
}

/// Whether the server selected the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    /// It did.
    Selected,
    /// It refused; the connection stands, with no mailbox and no messages.
    HalfOpen,
}

impl RemoteMailbox {
    fn session(&mut self) -> Result<&mut Session, Error> {
        self.session
            .as_mut()
            .ok_or_else(|| Error::Remote(ClientError::Closed("connection lost".into())))
    }

    /// Runs `f` on the session; a broken connection is not kept.
    fn run<T>(
        &mut self,
        f: impl FnOnce(&mut Session) -> Result<T, ClientError>,
    ) -> Result<T, Error> {
        let r = f(self.session()?);
        if matches!(
            r,
            Err(ClientError::Io(_) | ClientError::Closed(_) | ClientError::Protocol(_))
        ) {
            self.session = None;
        }
        r.map_err(Error::Remote)
    }
}

impl Opened {
    /// How c-client names the open mailbox (its file, for local names; the canonical name
    /// for remote ones).
    pub fn label(&self) -> &str {
        match self {
            Opened::Local { label, .. } => label,
            Opened::Remote(r) => &r.label,
        }
    }

    /// Whether it is a local mailbox (whose expunges the store reports).
    pub fn is_local(&self) -> bool {
        matches!(self, Opened::Local { .. })
    }

    /// How many messages it has.
    pub fn count(&self) -> usize {
        match self {
            Opened::Local { mailbox, .. } => mailbox.messages().len(),
            Opened::Remote(r) => r.messages.len(),
        }
    }

    /// Its keywords.
    pub fn keywords(&self) -> Vec<String> {
        match self {
            Opened::Local { mailbox, .. } => {
                mailbox.keywords().iter().map(|k| k.to_string()).collect()
            }
            Opened::Remote(r) => r.keywords.clone(),
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
            Opened::Remote(r) => {
                let meta = r
                    .messages
                    .get(seq.index())
                    .cloned()
                    .ok_or(mailstore::Error::NoSuchMessage(seq.get()))?;
                let data = r.run(|s| s.fetch_message(meta.seq))?;
                let (flags, mut kw) = remote::flags_from_imap(&meta.flags);
                if keywords == KeywordCopy::Drop {
                    kw.clear();
                }
                Ok(AppendMessage {
                    data,
                    flags: flags.intersect(Flags::SETTABLE),
                    keywords: kw,
                    date: remote::parse_internal_date(&meta.internal_date),
                })
            }
        }
    }

    /// The messages matching `criteria` (on a server, by its SEARCH).
    pub fn search(&mut self, criteria: &Criteria) -> Result<Vec<SeqNo>, Error> {
        match self {
            Opened::Local { mailbox, .. } => Ok(criteria.search(&mut **mailbox)?),
            Opened::Remote(r) if r.selection == Selection::HalfOpen => Ok(Vec::new()),
            Opened::Remote(r) => {
                let text = criteria.to_imap();
                let mut found = r.run(|s| s.search(&text))?;
                found.sort_unstable();
                found.dedup();
                Ok(found
                    .into_iter()
                    .filter_map(|n| SeqNo::from_index(usize::try_from(n).ok()?.checked_sub(1)?))
                    .collect())
            }
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
            Opened::Remote(r) if r.selection == Selection::HalfOpen => Ok(0),
            Opened::Remote(r) => {
                let numbers: Vec<u32> = seqs.iter().map(|s| s.get()).collect();
                let set = remote::sequence_set(&numbers);
                let before = r.messages.len();
                let left = r.run(|s| {
                    if !set.is_empty() {
                        s.store_flags(&set, client::StoreMode::Add, &["\\Deleted".into()])?;
                    }
                    s.expunge()?;
                    match s.search("ALL") {
                        Ok(all) => Ok(all.len()),
                        // POP3 deletes at QUIT: those flagged now are as good as gone.
                        Err(ClientError::Unsupported { .. }) => {
                            Ok(before.saturating_sub(numbers.len()))
                        }
                        Err(e) => Err(e),
                    }
                })?;
                Ok(before.saturating_sub(left))
            }
        }
    }

    /// Closes it. A remote mailbox is left selected, not CLOSEd (which would expunge), and
    /// its connection kept for the next use of the server.
    pub fn close(self) -> Result<(), Error> {
        match self {
            Opened::Local { mailbox, .. } => Ok(mailbox.close(Close::Keep)?),
            Opened::Remote(mut r) => {
                if let Some(s) = r.session.take() {
                    r.servers.give_back(s);
                }
                Ok(())
            }
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
