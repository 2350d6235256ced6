//! An open mailbox: what a session does with the mailbox it has selected.

use std::fmt;

use rfc822::DateTime;

use crate::config::Format;
use crate::error::Result;
use crate::types::{Access, Flags, Keyword, MessageInfo, SeqNo, Status, Uid, UidValidity};

/// Which part of a message to read; every part comes with CRLF line ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The header, with the empty line that ends it (IMAP `RFC822.HEADER`).
    Header,
    /// The body (IMAP `RFC822.TEXT`).
    Text,
    /// Header and body (IMAP `RFC822`).
    Whole,
}

/// How a flag change applies (IMAP `FLAGS`, `+FLAGS`, `-FLAGS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagOp {
    /// The message gets exactly these flags and keywords (`\Recent` is kept).
    Replace,
    /// These are added.
    Add,
    /// These are removed.
    Remove,
}

/// Which deleted messages an expunge removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpungeScope<'a> {
    /// Every message flagged `\Deleted`.
    AllDeleted,
    /// Messages flagged `\Deleted` whose UID is in the list (IMAP `UID EXPUNGE`).
    Uids(&'a [Uid]),
}

impl ExpungeScope<'_> {
    /// Whether the expunge removes message `m`: flagged `\Deleted`, and in the scope.
    pub(crate) fn selects(&self, m: &MessageInfo) -> bool {
        m.flags.contains(Flags::DELETED)
            && match self {
                ExpungeScope::AllDeleted => true,
                ExpungeScope::Uids(uids) => uids.contains(&m.uid),
            }
    }
}

/// How to leave a mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// Write what is pending and leave (IMAP `UNSELECT`, `LOGOUT`).
    Keep,
    /// Expunge deleted messages first (IMAP `CLOSE`).
    Expunge,
}

/// Something that changed in an open mailbox since the session last looked, in the order
/// it is to be told to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The message with this sequence number is gone; later numbers move down by one.
    Expunged(SeqNo),
    /// The mailbox now has this many messages (new mail arrived).
    Exists(u32),
    /// This many messages are `\Recent`.
    Recent(u32),
    /// The flags of this message changed.
    Flags(SeqNo),
    /// Another process asked for the mailbox and this session let it have it: the mailbox
    /// is now open read-only (UW's imapd ends the session: "Killed (lost mailbox lock)").
    LostWriteAccess,
}

/// A message to append.
#[derive(Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// The message as a client gives it (CRLF or LF line ends).
    pub data: Vec<u8>,
    /// Its flags (`\Recent` is ignored).
    pub flags: Flags,
    /// Its keywords.
    pub keywords: Vec<Keyword>,
    /// Its internal date; none means now.
    pub date: Option<DateTime>,
}

impl fmt::Debug for AppendMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppendMessage")
            .field("len", &self.data.len())
            .field("flags", &self.flags)
            .field("keywords", &self.keywords)
            .field("date", &self.date)
            .finish()
    }
}

/// What an append tells about the new messages (IMAP `APPENDUID`, RFC 4315).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The destination's UIDVALIDITY and the new messages' UIDs, in order, when known: a
    /// UNIX mailbox open read-write by another process assigns them itself later.
    pub uids: Option<(UidValidity, Vec<Uid>)>,
}

/// An open mailbox.
///
/// Sequence numbers given to its methods are those of [`Mailbox::messages`] at the time
/// of the call; they change only when [`Mailbox::poll`] or [`Mailbox::expunge`] report it.
pub trait Mailbox: Send + fmt::Debug {
    /// The name it was opened by (INBOX in canonical form).
    fn name(&self) -> &str;

    /// Its format.
    fn format(&self) -> Format;

    /// Whether this session may change it.
    fn access(&self) -> Access;

    /// Its UIDVALIDITY.
    fn uid_validity(&self) -> UidValidity;

    /// The UID the next message will get.
    fn uid_next(&self) -> Uid;

    /// The keywords defined in it; [`crate::KeywordSet`] positions refer to this list.
    fn keywords(&self) -> &[Keyword];

    /// Whether new keywords can still be defined (IMAP `\*` in PERMANENTFLAGS).
    fn can_create_keywords(&self) -> bool;

    /// Its messages, in order.
    fn messages(&self) -> &[MessageInfo];

    /// Reads a part of message `seq`.
    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>>;

    /// Changes flags and keywords of messages `seqs` (new keywords are defined as needed).
    fn set_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()>;

    /// Removes deleted messages; returns the sequence numbers removed, each as it was at the
    /// moment of its removal (the order IMAP `EXPUNGE` responses need).
    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>>;

    /// Appends messages to this mailbox through this session. An error from `msgs` stops
    /// the append and takes back what it wrote.
    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome>;

    /// Writes pending flag changes to disk (IMAP `CHECK`).
    fn check(&mut self) -> Result<()>;

    /// Looks for changes made by other processes (new mail, a request to let go of the
    /// mailbox, a rewrite by another session) and reports them.
    fn poll(&mut self) -> Result<Vec<Change>>;

    /// Whether another process (or session) has asked this session to let go of the
    /// mailbox (the kiss of death); cheap, no I/O. The session lets go at its next
    /// [`Mailbox::poll`].
    fn asked_to_let_go(&self) -> bool {
        false
    }

    /// Closes the mailbox, writing what is pending.
    fn close(self: Box<Self>, how: Close) -> Result<()>;

    /// The cache of data of kind `kind` (a short file-name-safe word, such as
    /// `bodystructure`) derived from this mailbox's messages; see [`crate::derived`].
    fn derived(&self, kind: &str) -> crate::derived::Derived {
        let _ = kind;
        crate::derived::Derived::memory(self.uid_validity())
    }

    /// The counts IMAP STATUS reports, from the open mailbox.
    fn status(&self) -> Status {
        let msgs = self.messages();
        Status {
            messages: msgs.len() as u32,
            recent: msgs
                .iter()
                .filter(|m| m.flags.contains(Flags::RECENT))
                .count() as u32,
            unseen: msgs
                .iter()
                .filter(|m| !m.flags.contains(Flags::SEEN))
                .count() as u32,
            uid_next: self.uid_next(),
            uid_validity: self.uid_validity(),
        }
    }
}
