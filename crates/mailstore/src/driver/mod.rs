//! Mailbox formats, and how the store tells which one a name is in.
//!
//! c-client asks each linked driver in turn whether a name is in its format (`mail_valid`);
//! the first to say yes owns it. The order matters for INBOX: `mbox` (INBOX is `~/mbox`
//! when that file exists) comes before `unix` (INBOX is the spool file), and `dummy` comes
//! last, owning what is not a mailbox yet: an empty file, a missing INBOX, a directory
//! (panda-inventory.md §3.0, §4.2).

use std::io;
use std::path::{Path, PathBuf};

use crate::config::{MboxInbox, StoreConfig};
use crate::error::{Error, Result};
use crate::name::{Location, Target};

pub mod dummy;
pub mod mbox;
pub mod unix;

use unix::open::{Sniff, sniff};

/// What a mailbox name was found to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A UNIX mailbox in this file.
    Unix(PathBuf),
    /// INBOX kept in `~/mbox` (a UNIX mailbox, possibly empty) and fed from the spool.
    Mbox {
        /// `~/mbox`.
        mbox: PathBuf,
        /// The spool file.
        spool: PathBuf,
    },
    /// An empty file, or an INBOX that does not exist yet: a mailbox with no messages.
    Empty(PathBuf),
    /// A directory: it can hold mailboxes but is not one (`\NoSelect`).
    Directory(PathBuf),
    /// A file in no format we know.
    Unknown(PathBuf),
    /// Nothing by that name.
    Missing(PathBuf),
}

/// Finds what `loc` is.
pub(crate) fn find(cfg: &StoreConfig, loc: &Location) -> Result<Found> {
    match &loc.target {
        Target::Inbox => find_inbox(cfg),
        Target::File(p) => find_file(p),
    }
}

fn find_inbox(cfg: &StoreConfig) -> Result<Found> {
    let spool = cfg.spool.clone();
    let spool_kind = sniff_or_missing(&spool)?;
    if cfg.mbox_inbox == MboxInbox::Enabled {
        let mbox = cfg.mbox_file();
        let mbox_ok = matches!(sniff_or_missing(&mbox)?, Some(Sniff::Unix | Sniff::Empty));
        let spool_ok = matches!(spool_kind, None | Some(Sniff::Unix | Sniff::Empty));
        if mbox_ok && spool_ok {
            return Ok(Found::Mbox { mbox, spool });
        }
    }
    Ok(match spool_kind {
        Some(Sniff::Unix) => Found::Unix(spool),
        Some(Sniff::Empty) => Found::Empty(spool),
        None => Found::Missing(spool),
        Some(Sniff::Other) if spool.is_dir() => Found::Directory(spool),
        Some(Sniff::Other) => Found::Unknown(spool),
    })
}

fn find_file(path: &Path) -> Result<Found> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Ok(Found::Directory(path.to_owned())),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Missing(path.into())),
        Err(e) if e.raw_os_error() == Some(nix::libc::ENOTDIR) => {
            return Ok(Found::Missing(path.into()));
        }
        Err(e) => return Err(Error::io("stat", path, e)),
    }
    Ok(match sniff(path).map_err(|e| Error::io("read", path, e))? {
        Sniff::Unix => Found::Unix(path.to_owned()),
        Sniff::Empty => Found::Empty(path.to_owned()),
        Sniff::Other => Found::Unknown(path.to_owned()),
    })
}

fn sniff_or_missing(path: &Path) -> Result<Option<Sniff>> {
    match sniff(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}
