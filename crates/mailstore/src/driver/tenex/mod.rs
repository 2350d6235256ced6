//! The tenex and mtx mailbox formats: one file, each message preceded by a header line
//! with its internal date, its size and its flags; read and written as UW c-client's
//! `tenex` and `mtx` drivers do.
//!
//! # The format
//!
//! ```text
//!  2-Dec-1992 05:53:22 -0700,44;000000000015        <- date, size, keywords + flags (octal)
//! From: a@b                                         <- 44 bytes of message, no separator
//! Subject: one
//!
//! body line
//! From here
//!  1-Jan-2000 00:00:01 +0100,31;000000000042        <- the next message
//! …
//! ```
//!
//! The header line's grammar is in [`format`]. A tenex file has LF line ends throughout
//! (Columbia MM); an mtx file has CRLF (TOPS-20, PC Pine), and sizes count the bytes as
//! stored. The twelve flag digits at the end of the line are the keyword word (ten octal
//! digits, keyword *i* at bit 29 − *i*) and the system flags (two digits: `\Seen` 1,
//! `\Deleted` 2, `\Flagged` 4, `\Answered` 8, "old" 0x10, `\Draft` 0x20). A message not
//! yet "old" is `\Recent`; a read-write session makes it old when it first sees it.
//!
//! # What the format cannot do
//!
//! UIDs are not sticky: each session numbers the messages from 1 and takes the time it
//! opened as UIDVALIDITY, so there is no UIDPLUS. Keywords cannot be created: their list
//! is `set keywords` in `~/.mminit`, the same for every mailbox. A new mailbox is an empty
//! file (the `dummy` format's, until its first message arrives).
//!
//! # Sessions
//!
//! Several sessions may have a mailbox read-write at once (c-client's `tenex_open`): each
//! holds a shared `flock` on the file for its whole life, reads new messages under the
//! instance lock (`/tmp/.<dev>.<ino>`) shared, and appends under it exclusive. Flags are
//! rewritten in place (the twelve digits), so other sessions see them when they poll.
//! Expunge slides the kept messages down in place, and needs the file to itself: an
//! exclusive `flock`, impossible while another session has the mailbox open, in which case
//! nothing is expunged (c-client: "Can't expunge because mailbox is in use by another
//! process").
//!
//! `~/INBOX` in either format is INBOX; a read-write session moves the spool's new mail
//! into it ([`crate::driver::snarf`]).
//!
//! Sources: panda-inventory.md §3.0, §3.7, §5.3; c-client `tenex.c`, `mtx.c`; files written
//! by UW's `mailutil` (`#driver.tenex/`, `#driver.mtx/`).

use std::fs::{self, OpenOptions};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::config::{Format, StoreConfig};
use crate::driver::{Driver, HomeInbox, Layout, SpoolInStatus, common};
use crate::error::{IoContext, Result};
use crate::mailbox::{AppendMessage, AppendOutcome, Mailbox};
use crate::types::{Access, Keyword};

pub mod format;
mod mailbox;

pub use format::Variant;
pub use mailbox::TenexMailbox;

/// The tenex driver.
pub(crate) const TENEX: FlatDriver = FlatDriver(Variant::Tenex);

/// A driver for one of the two variants (the mtx driver is [`crate::driver::mtx`]).
#[derive(Debug)]
pub(crate) struct FlatDriver(pub(crate) Variant);

impl Driver for FlatDriver {
    fn format(&self) -> Format {
        match self.0 {
            Variant::Tenex => Format::Tenex,
            Variant::Mtx => Format::Mtx,
        }
    }

    fn layout(&self) -> Layout {
        Layout::File
    }

    fn home_inbox(&self) -> HomeInbox {
        HomeInbox::Yes
    }

    fn spool_in_status(&self) -> SpoolInStatus {
        SpoolInStatus::Counted
    }

    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> std::io::Result<bool> {
        if !meta.is_file() || meta.len() == 0 {
            return Ok(false);
        }
        let f = common::open_noatime(path)?;
        let mut head = Vec::with_capacity(256);
        f.take(256).read_to_end(&mut head)?;
        Ok(format::looks_valid(&head, self.0))
    }

    fn create(&self, cfg: &StoreConfig, path: &Path, _keywords: &[String]) -> Result<()> {
        // c-client makes an empty file: keywords come from ~/.mminit, not the mailbox.
        common::create_mailbox_file(cfg, path).map(drop)
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        spool: Option<&Path>,
        access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        Ok(Box::new(TenexMailbox::open(
            cfg, name, path, self.0, spool, access,
        )?))
    }

    fn append(
        &self,
        cfg: &Arc<StoreConfig>,
        _name: &str,
        path: &Path,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        // Without a session: opening one would make the mailbox's new messages old.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .ctx("open", path)?;
        let keywords = fixed_keywords(cfg);
        mailbox::append_to_file(cfg, &file, path, self.0, &keywords, msgs)?;
        Ok(AppendOutcome { uids: None })
    }

    fn delete(&self, _cfg: &StoreConfig, _name: &str, path: &Path) -> Result<()> {
        fs::remove_file(path).ctx("delete mailbox", path)
    }
}

/// The keywords of every tenex and mtx mailbox: `set keywords` in `~/.mminit`.
pub(crate) fn fixed_keywords(cfg: &StoreConfig) -> Vec<Keyword> {
    let text = fs::read(cfg.home.join(".mminit")).unwrap_or_default();
    format::mminit_keywords(&String::from_utf8_lossy(&text))
        .iter()
        .filter_map(|k| Keyword::new(k).ok())
        .collect()
}
