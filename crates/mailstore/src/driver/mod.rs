//! Mailbox formats, and how the store tells which one a name is in.
//!
//! c-client asks each linked driver in turn whether a name is in its format (`mail_valid`);
//! the first to say yes owns it. The order matters for INBOX: `mbox` (INBOX is `~/mbox`
//! when that file exists) comes before `unix` (INBOX is the spool file), and `dummy` comes
//! last, owning what is not a mailbox yet: an empty file, a missing INBOX, a directory
//! (panda-inventory.md §3.0, §4.2). Two drivers read INBOX as the spool file, `mmdf` and
//! `unix`, in that order: a spool file in MMDF format is an `mmdf` INBOX, with the locks
//! of a `unix` one.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Format, MboxInbox, StoreConfig};
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{AppendMessage, AppendOutcome, Close, Mailbox};
use crate::name::{Location, Target};
use crate::types::{Access, Status};

pub(crate) mod common;
pub mod dummy;
pub mod maildir;
pub mod mbox;
pub mod mbx;
pub mod mh;
pub mod mix;
pub mod mmdf;
pub mod mtx;
pub mod mx;
pub mod news;
pub mod phile;
pub mod snarf;
pub mod tenex;
pub mod unix;

use unix::open::{Sniff, sniff};

/// A mailbox format reached through the driver table: everything but `unix`, `mbox` and
/// `dummy`, which the store knows by name (they share the UNIX file format and the
/// spool).
///
/// A driver is stateless: it says whether a file or directory is in its format, and
/// makes, opens, appends to, deletes and renames mailboxes of that format by path.
pub(crate) trait Driver: Sync + fmt::Debug {
    /// The format.
    fn format(&self) -> Format;

    /// Whether its mailboxes are files or directories.
    fn layout(&self) -> Layout;

    /// Where it stands against `unix` in format detection (c-client's driver order).
    fn position(&self) -> Position {
        Position::BeforeUnix
    }

    /// Whether INBOX may be `~/INBOX` in this format, taking new mail from the spool
    /// (FAQ 4.5: mix, mbx, tenex, mtx).
    fn home_inbox(&self) -> HomeInbox {
        HomeInbox::No
    }

    /// Whether INBOX may be the spool file in this format (mmdf: c-client's `mmdf_file`
    /// maps INBOX to the spool as `unix_file` does).
    fn spool_inbox(&self) -> SpoolInbox {
        SpoolInbox::No
    }

    /// Whether STATUS of INBOX kept in this format in the home directory adds the counts
    /// of the mail still waiting in the spool (c-client's `mbx_status`, `tenex_status`
    /// and `mtx_status` do, when INBOX has no recent message; mix and mx use
    /// `mail_status_default`, which does not).
    fn spool_in_status(&self) -> SpoolInStatus {
        SpoolInStatus::Ignored
    }

    /// Whether `path` (a non-empty file, or a directory, as `meta` says) is a mailbox in
    /// this format. Reads as little as it can.
    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> io::Result<bool>;

    /// Makes a new, empty mailbox at `path`, which does not exist (its parent does),
    /// with `keywords` defined.
    fn create(&self, cfg: &StoreConfig, path: &Path, keywords: &[String]) -> Result<()>;

    /// Opens the mailbox at `path`, named `name`. For INBOX kept in this format in the
    /// home directory, `spool` is the system spool, whose mail a read-write session
    /// moves in (see [`snarf`]).
    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        spool: Option<&Path>,
        access: Access,
    ) -> Result<Box<dyn Mailbox>>;

    /// Appends to the mailbox at `path`, whether or not sessions have it open.
    fn append(
        &self,
        cfg: &Arc<StoreConfig>,
        name: &str,
        path: &Path,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        let mut mb = self.open(Arc::clone(cfg), name, path, None, Access::ReadWrite)?;
        let out = mb.append(msgs)?;
        mb.close(Close::Keep)?;
        Ok(out)
    }

    /// The counts IMAP STATUS reports, read without changing the mailbox.
    fn status(&self, cfg: &Arc<StoreConfig>, name: &str, path: &Path) -> Result<Status> {
        let mb = self.open(Arc::clone(cfg), name, path, None, Access::ReadOnly)?;
        let status = mb.status();
        mb.close(Close::Keep)?;
        Ok(status)
    }

    /// Deletes the mailbox at `path`. A directory format removes its own files and then
    /// the directory if nothing else is in it (a mailbox with children keeps them).
    fn delete(&self, cfg: &StoreConfig, name: &str, path: &Path) -> Result<()>;

    /// Renames the mailbox at `from` to `to` (which does not exist; its parent does).
    fn rename(&self, cfg: &StoreConfig, name: &str, from: &Path, to: &Path) -> Result<()> {
        let _ = (cfg, name);
        crate::store::move_file(from, to)
    }

    /// For a directory format: whether `entry`, in the directory of one of its mailboxes,
    /// is the format's own (so LIST does not show it as a mailbox).
    fn own_entry(&self, entry: &str) -> bool {
        let _ = entry;
        false
    }
}

/// Whether a format's mailboxes are files or directories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One file.
    File,
    /// A directory, which may also hold other mailboxes (dual use).
    Directory,
}

/// Where a driver stands against `unix` in format detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    /// Asked before `unix` (every format with a signature of its own).
    BeforeUnix,
    /// Asked after `unix` (`phile`, which takes any file).
    AfterUnix,
}

/// Whether INBOX may live in the home directory in a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HomeInbox {
    /// It may not.
    No,
    /// `~/INBOX` in this format is INBOX.
    Yes,
}

/// Whether INBOX may be the spool file in a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SpoolInbox {
    /// It may not.
    No,
    /// A spool file in this format is INBOX.
    Yes,
}

/// Whether STATUS of a home-directory INBOX counts the spool's mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SpoolInStatus {
    /// Only INBOX's own messages are counted.
    Ignored,
    /// The spool's are added when INBOX has no recent message.
    Counted,
}

/// The drivers, in c-client's order of format detection (panda-inventory.md §3.0:
/// mix mx mbx tenex mtx mh mmdf unix news phile; maildir, which c-client has not, with
/// the directory formats).
pub(crate) fn drivers() -> &'static [&'static dyn Driver] {
    &[
        &mix::Mix,
        &mx::MxDriver,
        &mbx::Mbx,
        &tenex::TENEX,
        &mtx::MTX,
        &mh::MhDriver,
        &maildir::Maildir,
        &mmdf::MMDF,
        &news::NewsDriver,
        &phile::Phile,
    ]
}

/// The directory format that claims directory `path`, if one does (errors reading it
/// count as no).
pub(crate) fn directory_driver(path: &Path, meta: &fs::Metadata) -> Option<&'static dyn Driver> {
    if !meta.is_dir() {
        return None;
    }
    drivers()
        .iter()
        .copied()
        .find(|d| d.layout() == Layout::Directory && d.sniff(path, meta).unwrap_or(false))
}

/// The driver of `format`, if it is in the table.
pub(crate) fn driver(format: Format) -> Option<&'static dyn Driver> {
    drivers().iter().copied().find(|d| d.format() == format)
}

/// What a mailbox name was found to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A UNIX mailbox in this file.
    Unix(PathBuf),
    /// A mailbox in a format of the driver table.
    Driver {
        /// Its format.
        format: Format,
        /// Its file or directory.
        path: PathBuf,
        /// For INBOX in the home directory: the spool it takes new mail from.
        spool: Option<PathBuf>,
    },
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
    // `~/INBOX` in a home-directory format (c-client asks mix, mbx, tenex and mtx before
    // unix, and they take INBOX to be `~/INBOX`).
    let home_inbox = cfg.home.join("INBOX");
    if let Ok(meta) = fs::metadata(&home_inbox) {
        for d in drivers() {
            if d.home_inbox() == HomeInbox::Yes
                && (meta.is_dir() == (d.layout() == Layout::Directory))
                && (meta.is_dir() || meta.len() > 0)
                && d.sniff(&home_inbox, &meta).ctx("read", &home_inbox)?
            {
                return Ok(Found::Driver {
                    format: d.format(),
                    path: home_inbox,
                    spool: Some(spool),
                });
            }
        }
    }
    let spool_kind = sniff_or_missing(&spool)?;
    if cfg.mbox_inbox == MboxInbox::Enabled {
        let mbox = cfg.mbox_file();
        let mbox_ok = matches!(sniff_or_missing(&mbox)?, Some(Sniff::Unix | Sniff::Empty));
        let spool_ok = matches!(spool_kind, None | Some(Sniff::Unix | Sniff::Empty));
        if mbox_ok && spool_ok {
            return Ok(Found::Mbox { mbox, spool });
        }
    }
    if spool_kind == Some(Sniff::Other)
        && let Some(format) = spool_driver_format(&spool)?
    {
        return Ok(Found::Driver {
            format,
            path: spool,
            spool: None,
        });
    }
    Ok(match spool_kind {
        Some(Sniff::Unix) => Found::Unix(spool),
        Some(Sniff::Empty) => Found::Empty(spool),
        None => Found::Missing(spool),
        Some(Sniff::Other) if spool.is_dir() => Found::Directory(spool),
        Some(Sniff::Other) => Found::Unknown(spool),
    })
}

/// The format of spool file `spool` when a driver of the table (mmdf) takes it as INBOX.
fn spool_driver_format(spool: &Path) -> Result<Option<Format>> {
    let meta = match fs::metadata(spool) {
        Ok(m) if m.is_file() && m.len() > 0 => m,
        _ => return Ok(None),
    };
    for d in drivers() {
        if d.spool_inbox() == SpoolInbox::Yes && d.sniff(spool, &meta).ctx("read", spool)? {
            return Ok(Some(d.format()));
        }
    }
    Ok(None)
}

/// The format of spool file `spool`: unix or a driver's that reads INBOX as the spool
/// (mmdf); `None` when it is empty, missing or in no such format.
pub(crate) fn spool_format(spool: &Path) -> Result<Option<Format>> {
    match sniff_or_missing(spool)? {
        Some(Sniff::Unix) => Ok(Some(Format::Unix)),
        Some(Sniff::Other) => spool_driver_format(spool),
        Some(Sniff::Empty) | None => Ok(None),
    }
}

fn find_file(path: &Path) -> Result<Found> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Missing(path.into())),
        Err(e) if e.raw_os_error() == Some(nix::libc::ENOTDIR) => {
            return Ok(Found::Missing(path.into()));
        }
        Err(e) => return Err(Error::io("stat", path, e)),
    };
    let claimed = |position: Position| -> Result<Option<Found>> {
        for d in drivers() {
            if d.position() == position
                && (meta.is_dir() == (d.layout() == Layout::Directory))
                && d.sniff(path, &meta).ctx("read", path)?
            {
                return Ok(Some(Found::Driver {
                    format: d.format(),
                    path: path.to_owned(),
                    spool: None,
                }));
            }
        }
        Ok(None)
    };
    if meta.is_dir() {
        return Ok(claimed(Position::BeforeUnix)?
            .or(claimed(Position::AfterUnix)?)
            .unwrap_or_else(|| Found::Directory(path.to_owned())));
    }
    if meta.len() == 0 {
        return Ok(Found::Empty(path.to_owned()));
    }
    if let Some(found) = claimed(Position::BeforeUnix)? {
        return Ok(found);
    }
    Ok(match sniff(path).map_err(|e| Error::io("read", path, e))? {
        Sniff::Unix => Found::Unix(path.to_owned()),
        Sniff::Empty => Found::Empty(path.to_owned()),
        Sniff::Other => claimed(Position::AfterUnix)?.unwrap_or(Found::Unknown(path.to_owned())),
    })
}

fn sniff_or_missing(path: &Path) -> Result<Option<Sniff>> {
    match sniff(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}
