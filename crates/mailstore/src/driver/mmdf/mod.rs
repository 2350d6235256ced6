//! The MMDF mailbox format: the UNIX format with each message between two lines of four
//! `^A` bytes, read and written as UW c-client's `mmdf` driver does.
//!
//! ```text
//! ^A^A^A^A                                       <- opens the pseudo-message
//! From MAILER-DAEMON Thu Nov 26 07:08:35 2026
//! …                                              <- as in a UNIX file (X-IMAP: …)
//! with the data reset to initial values.
//! ^A^A^A^A                                       <- closes it
//! ^A^A^A^A                                       <- opens a message
//! From alice@example.com Wed Dec  2 05:53:22 1992 -0700
//! Status: RO                                     <- the same status block as unix
//! …
//! body; a line starting "From " is not escaped
//! ^A^A^A^A                                       <- closes it: the text runs up to here
//! ```
//!
//! Everything else — the status headers, the pseudo-message, UIDs and keywords, the
//! single read-write session with its instance lock and kiss of death, rewrites in place —
//! is the UNIX driver's ([`crate::driver::unix`]), which frames messages this way for
//! [`Format::Mmdf`] ([`Framing::Mmdf`]). c-client's `mmdf.c` is likewise `unix.c` with
//! the delimiter.
//!
//! Two differences from what UW writes, neither seen by a reader: UW's append leaves an
//! empty line before the closing delimiter (which its own parser then counts as part of
//! the message, so each UW copy grows a message by a line); ours does not. A message whose
//! opening delimiter has no `From ` line after it gets the epoch as internal date (UW:
//! the file's modification time).
//!
//! INBOX is the spool file when that file is in this format (as in c-client, where
//! `mmdf` comes before `unix` in the driver order and both read INBOX as the spool):
//! sessions, appends, deliveries and the snarf of a home-directory INBOX then use the
//! mmdf framing, with the spool's usual locks (dot-lock, flock, `/tmp/.<dev>.<ino>`, kiss
//! of death).
//!
//! Sources: panda-inventory.md §3.3; c-client `mmdf.c`; files written by UW's `mailutil`
//! (`#driver.mmdf/`).

use std::fs;
use std::path::Path;
use std::sync::Arc;

use crate::config::{Format, StoreConfig};
use crate::driver::unix::{self, Framing, MMDF_DELIMITER, Quiet, UnixMailbox};
use crate::driver::{Driver, Layout, SpoolInbox};
use crate::error::{IoContext, Result};
use crate::mailbox::{AppendMessage, AppendOutcome, Mailbox};
use crate::types::{Access, Status};

/// The mmdf driver.
pub(crate) const MMDF: MmdfDriver = MmdfDriver;

/// The mmdf driver (stateless).
#[derive(Debug)]
pub(crate) struct MmdfDriver;

impl Driver for MmdfDriver {
    fn format(&self) -> Format {
        Format::Mmdf
    }

    fn layout(&self) -> Layout {
        Layout::File
    }

    fn spool_inbox(&self) -> SpoolInbox {
        SpoolInbox::Yes
    }

    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> std::io::Result<bool> {
        if !meta.is_file() || meta.len() < MMDF_DELIMITER.len() as u64 {
            return Ok(false);
        }
        let file = fs::File::open(path)?;
        unix::open::starts_with_mmdf_delimiter(&file).map_err(std::io::Error::other)
    }

    fn create(&self, cfg: &StoreConfig, path: &Path, keywords: &[String]) -> Result<()> {
        unix::open::create_framed(cfg, path, keywords, Framing::Mmdf)
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        _spool: Option<&Path>,
        access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        Ok(Box::new(UnixMailbox::open(
            cfg,
            name,
            path,
            Format::Mmdf,
            access,
            Quiet::No,
        )?))
    }

    fn append(
        &self,
        cfg: &Arc<StoreConfig>,
        name: &str,
        path: &Path,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        unix::append::append_in(cfg, name, path, Format::Mmdf, msgs)
    }

    fn status(&self, cfg: &Arc<StoreConfig>, name: &str, path: &Path) -> Result<Status> {
        // Quietly, as for unix: no notices, no kiss of death.
        unix::open::status_quietly(cfg, name, path, Format::Mmdf)
    }

    fn delete(&self, cfg: &StoreConfig, name: &str, path: &Path) -> Result<()> {
        // As for unix: not while a session has it read-write, and under its dot-lock and
        // flock, so a delivery in progress finishes first.
        crate::store::with_file_exclusive(cfg, name, path, |p| {
            fs::remove_file(p).ctx("delete mailbox", p)
        })
    }

    fn rename(&self, cfg: &StoreConfig, name: &str, from: &Path, to: &Path) -> Result<()> {
        // As for unix.
        crate::store::with_file_exclusive(cfg, name, from, |p| crate::store::move_file(p, to))
    }
}
