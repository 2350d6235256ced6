//! The traditional UNIX mailbox format ("mbox", "Berkeley format"), read and written as UW
//! and Panda c-client do, so that our processes, UW's, the MTA, procmail and mutt can share
//! one file.
//!
//! # The format
//!
//! A mailbox is one file. Each message begins with a `From ` line whose date is in
//! `ctime(3)` form (exactly the forms [`format::from_line`] accepts; FAQ 6.12), followed by
//! the message with LF line ends, and one empty line. Body lines that would look like a
//! `From ` line are stored with a `>` in front:
//!
//! ```text
//! From MAILER-DAEMON Thu Nov 26 03:16:15 2026              <- pseudo-message (hidden)
//! Date: 26 Nov 2026 03:16:15 +0000
//! From: Mail System Internal Data <MAILER-DAEMON@host>
//! Subject: DON'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA
//! X-IMAP: 1795662975 0000000002 $Label1 Junk              <- UIDVALIDITY, last UID, keywords
//! Status: RO
//!
//! This text is part of the internal format of your mail folder, and is not
//! …
//!
//! From alice@example.com Wed Dec  2 05:53:22 1992 -0700    <- a message
//! From: alice@example.com
//! Subject: hello
//! Status: RO                                               <- R seen, O not new
//! X-Status: FA                                             <- D F A T
//! X-Keywords: $Label1                                      <- padded with spaces
//! X-UID: 1
//!
//! Hi.
//! >From the body, escaped.
//!
//! ```
//!
//! The *status block* (`Status:`, `X-Status:`, `X-Keywords:`, `X-UID:`) ends the header; it is
//! padded to a constant size (50 bytes, 80 when it carries `X-IMAPbase:`) so that flag
//! changes rarely change the message's size. A file that c-client created starts with the
//! *pseudo-message*, never shown to clients, which keeps UIDVALIDITY, the last UID and the
//! keyword table; a file without one keeps them in an `X-IMAPbase:` line in the first
//! message. Mail delivered by the MTA has no status block: it is new (`\Recent`), and gets
//! its UID from the next read-write session, which writes the block.
//!
//! # Sessions
//!
//! One process at a time has a UNIX mailbox read-write: the holder of its instance lock
//! (`/tmp/.<dev>.<ino>`, [`crate::lock::instance`]). Others open it read-only, or ask the
//! holder to let go (the kiss of death, [`crate::lock::kod`]). Other programs may append at
//! any time under the dot-lock, and the holder picks new mail up when it polls. The holder
//! writes flag changes and expunges by rewriting the file in place, journaled so that a
//! crash loses nothing ([`crate::journal`]).
//!
//! Sources: panda-inventory.md §3.1, §5; FAQ 6.12–6.14, 7.11, 7.14, 7.19; c-client
//! `unix.c`, `env_unix.c`, `pseudo.c`, as described in `docs/reference/c-client-unix-driver.md`
//! and `docs/reference/c-client-naming-locking.md`.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{Format, StoreConfig};
use crate::lock::instance::InstanceLock;
use crate::lock::kod;
use crate::mailbox::Change;
use crate::types::{Access, Keyword, MessageInfo, Uid};

pub mod append;
pub mod expunge;
pub mod format;
pub(crate) mod index;
pub mod open;
pub mod scan;
pub mod sync;

#[cfg(test)]
pub(crate) mod tests;

/// How messages are framed in the file: the one thing in which the mmdf format differs
/// from unix (panda-inventory.md §3.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framing {
    /// A `From ` line starts each message; one empty line separates it from the next.
    #[default]
    FromLine,
    /// A line of four `^A` before and after each message ([`MMDF_DELIMITER`]); a `From `
    /// line may follow the first (c-client always writes one). There is no separator.
    Mmdf,
}

impl Framing {
    /// The framing of a format's files.
    pub fn of(format: Format) -> Framing {
        match format {
            Format::Mmdf => Framing::Mmdf,
            _ => Framing::FromLine,
        }
    }
}

/// The line that opens and closes each message of an mmdf file.
pub const MMDF_DELIMITER: &[u8] = b"\x01\x01\x01\x01\n";

/// Where one message lies in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Msg {
    /// Offset of the `From ` line (in mmdf, of the delimiter before it).
    start: u64,
    /// Length of the `From ` line (in mmdf, with the delimiter before it).
    from_len: u32,
    /// Fingerprint of the `From ` line.
    from_hash: u32,
    /// Length of the stored header (internal headers and the empty line included).
    header_len: u32,
    /// Length of the header lines a client sees, as stored.
    kept_len: u32,
    /// Length of the body, separator excluded.
    body_len: u64,
    /// Length of the separator after the body (in mmdf, the closing delimiter).
    sep_len: u8,
    /// Its `Status:` says `O` on disk (the message is no longer new to the next reader).
    old_on_disk: bool,
    /// Its status block on disk no longer says what this session knows (flags changed, or
    /// a UID assigned); `\Recent` messages also need their block written, to say `O`.
    dirty: bool,
}

impl Msg {
    fn body_start(&self) -> u64 {
        self.start + u64::from(self.from_len) + u64::from(self.header_len)
    }

    fn end(&self) -> u64 {
        self.body_start() + self.body_len + u64::from(self.sep_len)
    }
}

/// What identifies the file's contents as this session last saw them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    ctime: (i64, i64),
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: m.len(),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// How an open was asked for, beyond read-write or read-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quiet {
    /// An interactive session: it writes its PID, sends the kiss of death when it wants
    /// the mailbox, and gives the mailbox up when asked.
    No,
    /// A short internal use (an append, a copy): one try for the lock, no PID, no kiss of
    /// death either way (c-client's silent streams).
    Yes,
}

/// What a session knows of the mailbox's contents.
#[derive(Debug, Default)]
pub(crate) struct Model {
    infos: Vec<MessageInfo>,
    msgs: Vec<Msg>,
    keywords: Vec<Keyword>,
    uid_validity: u32,
    uid_last: u32,
    /// The file has a pseudo-message, and where it ends.
    pseudo: Option<u64>,
    /// UIDVALIDITY, the last UID or the keyword table changed since they were written.
    base_dirty: bool,
    /// The UID of the message whose header carries `X-IMAPbase:` on disk.
    base_holder: Option<Uid>,
    /// Flags or `\Recent` to write.
    dirty: bool,
    /// UIDs were assigned: write them at the next poll (c-client's "double dirty").
    ddirty: bool,
    /// Bytes of the file accounted for (messages and what precedes them).
    parsed_len: u64,
    /// The UID of the last message taken in (UIDs must ascend).
    prev_uid: u32,
    /// A message (or the pseudo-message) has been read from the file.
    seen_any: bool,
    /// The UIDVALIDITY before a reparse, which a new one must differ from.
    old_validity: u32,
    /// The whole file has been read once: what is read now was added since.
    opened: bool,
}

/// An open UNIX mailbox.
#[derive(Debug)]
pub struct UnixMailbox {
    cfg: Arc<StoreConfig>,
    name: String,
    path: PathBuf,
    format: Format,
    file: File,
    id: (u64, u64),
    access: Access,
    quiet: Quiet,
    instance: Option<InstanceLock>,
    claim: Option<kod::Claim>,
    model: Model,
    stamp: Option<Stamp>,
    /// Changes found while doing something else, told at the next poll.
    pending: Vec<Change>,
    /// A change to the file failed half-way: nothing more may be done through this
    /// session (the next open finishes the change from its journal).
    broken: bool,
}

impl UnixMailbox {
    /// The changes found so far and not yet told, emptied.
    pub(crate) fn take_pending(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.pending)
    }

    /// How the session holds the mailbox.
    pub(crate) fn access_mode(&self) -> Access {
        self.access
    }

    /// The store configuration.
    pub(crate) fn config(&self) -> Arc<StoreConfig> {
        Arc::clone(&self.cfg)
    }

    /// The open file, its path and its device and inode.
    pub(crate) fn file_parts(&self) -> (&File, &std::path::Path, (u64, u64)) {
        (&self.file, &self.path, self.id)
    }

    /// Notes the file as it is now as seen (after this session changed it itself).
    pub(crate) fn restamp(&mut self) -> crate::error::Result<()> {
        let meta = self
            .file
            .metadata()
            .map_err(|e| crate::error::Error::io("stat", &self.path, e))?;
        self.stamp = Some(Stamp::of(&meta));
        Ok(())
    }
}

impl crate::mailbox::Mailbox for UnixMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        self.format
    }

    fn access(&self) -> Access {
        self.access
    }

    fn uid_validity(&self) -> crate::types::UidValidity {
        // `ingest` always sets a UIDVALIDITY; the fallback only keeps this total.
        crate::types::UidValidity::new(self.model.uid_validity)
            .unwrap_or(crate::types::UidValidity::MIN)
    }

    fn uid_next(&self) -> Uid {
        Uid::new(self.model.uid_last.saturating_add(1)).unwrap_or(Uid::MAX)
    }

    fn keywords(&self) -> &[Keyword] {
        &self.model.keywords
    }

    fn can_create_keywords(&self) -> bool {
        self.access == Access::ReadWrite
            && self.cfg.uids == crate::config::UidMode::Sticky
            && self.model.keywords.len() < crate::types::MAX_KEYWORDS
    }

    fn messages(&self) -> &[MessageInfo] {
        &self.model.infos
    }

    fn fetch(
        &mut self,
        seq: crate::types::SeqNo,
        part: crate::mailbox::Part,
    ) -> crate::error::Result<Vec<u8>> {
        self.read_part(seq, part)
    }

    fn set_flags(
        &mut self,
        seqs: &[crate::types::SeqNo],
        op: crate::mailbox::FlagOp,
        flags: crate::types::Flags,
        keywords: &[Keyword],
    ) -> crate::error::Result<()> {
        self.change_flags(seqs, op, flags, keywords)
    }

    fn expunge(
        &mut self,
        scope: crate::mailbox::ExpungeScope<'_>,
    ) -> crate::error::Result<Vec<crate::types::SeqNo>> {
        self.expunge_deleted(scope)
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = crate::error::Result<crate::mailbox::AppendMessage>>,
    ) -> crate::error::Result<crate::mailbox::AppendOutcome> {
        self.append_messages(msgs)
    }

    fn check(&mut self) -> crate::error::Result<()> {
        self.checkpoint()
    }

    fn poll(&mut self) -> crate::error::Result<Vec<Change>> {
        self.poll_changes()
    }

    fn close(self: Box<Self>, how: crate::mailbox::Close) -> crate::error::Result<()> {
        (*self).close_session(how)
    }

    fn asked_to_let_go(&self) -> bool {
        self.access == Access::ReadWrite && self.kiss_of_death()
    }

    fn derived(&self, kind: &str) -> crate::derived::Derived {
        let (dev, ino) = self.id;
        let path = (self.cfg.uids == crate::config::UidMode::Sticky
            && kind.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| self.cfg.own_state_dir())
        .flatten()
        .map(|d| d.join(format!("{dev:x}.{ino:x}.{kind}")));
        crate::derived::Derived::load(path, crate::mailbox::Mailbox::uid_validity(self))
    }
}
