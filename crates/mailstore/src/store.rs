//! One user's mail store: the operations on mailboxes by name.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Format, StoreConfig, UserKind};
use crate::driver::dummy::DummyMailbox;
use crate::driver::mbox::MboxMailbox;
use crate::driver::unix::{self, Quiet, UnixMailbox};
use crate::driver::{self as drivers, Found, Layout, SpoolInStatus, SpoolInbox, find, snarf};
use crate::error::{Error, IoContext, Result};
use crate::lock::dotlock::{DotLock, DotLockOutcome};
use crate::mailbox::{AppendMessage, AppendOutcome, Mailbox};
use crate::name::{self, Location, Target};
use crate::types::{Access, Status, Uid, UidValidity};

/// One user's mail store.
#[derive(Clone, Debug)]
pub struct Store {
    cfg: Arc<StoreConfig>,
}

impl Store {
    /// The store configured by `cfg`.
    pub fn new(cfg: StoreConfig) -> Self {
        Store { cfg: Arc::new(cfg) }
    }

    pub(crate) fn from_arc(cfg: Arc<StoreConfig>) -> Self {
        Store { cfg }
    }

    /// The configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.cfg
    }

    /// Resolves a name (reading, never writing, the filesystem: see [`name`]).
    pub fn resolve(&self, name: &str) -> Result<Location> {
        name::resolve(&self.cfg, name)
    }

    /// Refuses a change when the user is anonymous, whose store is read-only.
    pub(crate) fn writable(&self) -> Result<()> {
        match self.cfg.user_kind {
            UserKind::Anonymous => Err(Error::AnonymousReadOnly),
            UserKind::Named => Ok(()),
        }
    }

    /// The configuration for mailbox `loc`: in a shared namespace, new files and
    /// directories take the namespace's modes (panda-inventory.md §4.4).
    fn config_for(&self, loc: &Location) -> Arc<StoreConfig> {
        match loc.shared_namespace() {
            Some(ns) => {
                let mut c = (*self.cfg).clone();
                c.mailbox_mode = ns.file_mode();
                c.dir_mode = ns.dir_mode();
                Arc::new(c)
            }
            None => Arc::clone(&self.cfg),
        }
    }

    /// The format mailbox `name` is in; `None` if it does not exist. A directory is
    /// [`Format::Dummy`].
    pub fn format_of(&self, name: &str) -> Result<Option<Format>> {
        let loc = self.resolve(name)?;
        Ok(match find(&self.cfg, &loc)? {
            Found::Unix(_) => Some(Format::Unix),
            Found::Driver { format, .. } => Some(format),
            Found::Mbox { .. } => Some(Format::Mbox),
            Found::Empty(_) | Found::Directory(_) => Some(Format::Dummy),
            Found::Missing(_) if loc.is_inbox() => Some(Format::Dummy),
            Found::Missing(_) => None,
            Found::Unknown(_) => Err(Error::UnknownFormat { name: loc.name })?,
        })
    }

    /// Opens mailbox `name`. Asking for read-write may give read-only when another process
    /// has the mailbox (see [`Mailbox::access`]); the anonymous user always gets read-only.
    pub fn open(&self, name: &str, access: Access) -> Result<Box<dyn Mailbox>> {
        let access = match self.cfg.user_kind {
            UserKind::Anonymous => Access::ReadOnly,
            UserKind::Named => access,
        };
        let loc = self.resolve(name)?;
        let found = find(&self.cfg, &loc)?;
        open_found(&self.config_for(&loc), &loc, found, access)
    }

    /// The counts of mailbox `name` (IMAP STATUS, `mailutil check`), read without
    /// changing it.
    pub fn status(&self, name: &str) -> Result<Status> {
        let loc = self.resolve(name)?;
        match find(&self.cfg, &loc)? {
            Found::Unix(path) => {
                unix::open::status_quietly(&self.cfg, &loc.name, &path, Format::Unix)
            }
            Found::Driver {
                format,
                path,
                spool,
            } => {
                let d = driver_of(format)?;
                let own = d.status(&self.cfg, &loc.name, &path)?;
                Ok(match spool {
                    // INBOX in the home directory: the spool's mail may count too.
                    Some(spool) if d.spool_in_status() == SpoolInStatus::Counted => {
                        snarf::status_with_spool(&own, snarf::spool_status(&self.cfg, &spool))
                    }
                    _ => own,
                })
            }
            Found::Mbox { mbox, spool } => {
                let m = unix::open::status_quietly(&self.cfg, "INBOX", &mbox, Format::Mbox)?;
                Ok(snarf::status_with_spool(
                    &m,
                    snarf::spool_status(&self.cfg, &spool),
                ))
            }
            found @ (Found::Empty(_) | Found::Missing(_))
                if loc.is_inbox() || matches!(found, Found::Empty(_)) =>
            {
                Ok(Status {
                    messages: 0,
                    recent: 0,
                    unseen: 0,
                    uid_next: Uid::MIN,
                    uid_validity: UidValidity::new(crate::clock::new_uid_validity())
                        .unwrap_or(UidValidity::MIN),
                })
            }
            Found::Directory(_) => Err(Error::NotSelectable { name: loc.name }),
            Found::Unknown(_) => Err(Error::UnknownFormat { name: loc.name }),
            _ => Err(Error::NoSuchMailbox { name: loc.name }),
        }
    }

    /// Creates mailbox `name` (in the configured format, or the one `#driver.NAME/` says),
    /// making the directories above it. A name ending in `/` makes just a directory.
    pub fn create(&self, name: &str) -> Result<()> {
        self.create_with_keywords(name, &[])
    }

    /// As [`create`](Self::create), with keywords defined from the start.
    pub fn create_with_keywords(&self, name: &str, keywords: &[String]) -> Result<()> {
        self.writable()?;
        let (format, rest) = match name::driver_prefix(name)? {
            Some((f, rest)) => (f, rest),
            // Names in the MH namespace are MH mailboxes (c-client's mh claims them).
            None if drivers::mh::name_path(&self.cfg, name)?.is_some() => (Format::Mh, name),
            None => (self.cfg.create_format, name),
        };
        let loc = self.resolve(rest)?;
        if loc.is_inbox() {
            return Err(Error::Inbox { action: "create" });
        }
        let Target::File(path) = &loc.target else {
            return Err(Error::Inbox { action: "create" });
        };
        let cfg = self.config_for(&loc);
        let dir_only = path.as_os_str().to_string_lossy().ends_with('/');
        if dir_only {
            // As c-client: a directory that is there already is a node that exists.
            if fs::symlink_metadata(path).is_ok() {
                return Err(Error::NodeExists { node: path.clone() });
            }
            return make_dirs(&cfg, path);
        }
        if let Some(parent) = path.parent() {
            make_dirs(&cfg, parent)?;
        }
        if fs::symlink_metadata(path).is_ok() {
            return Err(Error::NodeExists { node: path.clone() });
        }
        match format {
            Format::Unix => unix::open::create(&cfg, path, keywords),
            f if drivers::driver(f).is_some() => driver_of(f)?.create(&cfg, path, keywords),
            Format::Dummy => fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map(drop)
                .map_err(|e| Error::node(path, e)),
            other => Err(Error::UnsupportedFormat {
                format: format!("{} for a mailbox other than INBOX", other.name()),
            }),
        }
    }

    /// Deletes mailbox `name`: the file (when no other process has it open read-write),
    /// or an empty directory. INBOX cannot be deleted.
    pub fn delete(&self, name: &str) -> Result<()> {
        self.writable()?;
        let loc = self.resolve(name)?;
        if loc.is_inbox() {
            return Err(Error::Inbox { action: "delete" });
        }
        refuse_namespace_root(&loc)?;
        match find(&self.cfg, &loc)? {
            Found::Unix(path) => with_file_exclusive(&self.cfg, &loc.name, &path, |p| {
                fs::remove_file(p).ctx("delete mailbox", p)
            }),
            Found::Driver { format, path, .. } => {
                driver_of(format)?.delete(&self.cfg, &loc.name, &path)
            }
            Found::Directory(path) => fs::remove_dir(&path).map_err(|e| Error::Io {
                op: "delete mailbox",
                path,
                source: e,
            }),
            Found::Empty(path) | Found::Unknown(path) => {
                fs::remove_file(&path).ctx("delete mailbox", &path)
            }
            Found::Missing(_) | Found::Mbox { .. } => Err(Error::NoSuchMailbox { name: loc.name }),
        }
    }

    /// Renames mailbox `from` to `to`, making the directories above `to`. Renaming INBOX
    /// moves its messages to `to` and leaves INBOX empty (RFC 3501 §6.3.5).
    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.writable()?;
        let src = self.resolve(from)?;
        let dst = self.resolve(to)?;
        refuse_namespace_root(&src)?;
        refuse_namespace_root(&dst)?;
        let Target::File(dst_path) = &dst.target else {
            return Err(Error::AlreadyExists { name: dst.name });
        };
        if dst_path.as_os_str().to_string_lossy().ends_with('/') {
            return Err(Error::invalid_name(
                to,
                "a mailbox cannot be renamed to a directory name",
            ));
        }
        if !matches!(find(&self.cfg, &dst)?, Found::Missing(_)) {
            return Err(Error::AlreadyExists { name: dst.name });
        }
        let dst_cfg = self.config_for(&dst);
        let make_parent = || -> Result<()> {
            match dst_path.parent() {
                Some(p) => make_dirs(&dst_cfg, p),
                None => Ok(()),
            }
        };
        match find(&self.cfg, &src)? {
            Found::Unix(path) => with_file_exclusive(&self.cfg, &src.name, &path, |p| {
                make_parent()?;
                move_file(p, dst_path)
            }),
            Found::Driver {
                format,
                path,
                spool: None,
            } => {
                make_parent()?;
                driver_of(format)?.rename(&self.cfg, &src.name, &path, dst_path)
            }
            Found::Driver {
                format,
                path,
                spool: Some(_),
            } => {
                // INBOX in the home directory: its messages go to `to`, INBOX stays.
                make_parent()?;
                let d = driver_of(format)?;
                d.rename(&self.cfg, "INBOX", &path, dst_path)?;
                d.create(&self.cfg, &path, &[])
            }
            Found::Mbox { mbox, .. } => {
                with_file_exclusive(&self.cfg, "INBOX", &mbox, |p| {
                    make_parent()?;
                    move_file(p, dst_path)
                })?;
                unix::open::create(&self.cfg, &mbox, &[])
            }
            Found::Directory(path) | Found::Empty(path) | Found::Unknown(path) => {
                if src.is_inbox() {
                    return Err(Error::NoSuchMailbox { name: src.name });
                }
                make_parent()?;
                move_file(&path, dst_path)
            }
            Found::Missing(_) => Err(Error::NoSuchMailbox { name: src.name }),
        }
    }

    /// Appends messages to mailbox `name`, which must exist (INBOX is created if need be).
    /// `#driver.NAME/` chooses the format of a mailbox that is empty.
    pub fn append(
        &self,
        name: &str,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        self.writable()?;
        let (format, rest) = match name::driver_prefix(name)? {
            Some((f, rest)) => (Some(f), rest),
            None => (None, name),
        };
        let format = format.or(Some(self.cfg.empty_format));
        let loc = self.resolve(rest)?;
        let cfg = self.config_for(&loc);
        let found = find(&self.cfg, &loc)?;
        // The spool INBOX, empty or not there yet, takes the format asked for when that
        // format keeps INBOX in the spool (mmdf: c-client's EMPTYPROTO append); it is
        // written in place, never replaced (the spool directory may not be the user's).
        let spool_driver = format
            .and_then(drivers::driver)
            .filter(|d| d.spool_inbox() == SpoolInbox::Yes);
        if let (Found::Empty(path) | Found::Missing(path), Some(d)) = (&found, spool_driver)
            && loc.is_inbox()
        {
            if matches!(found, Found::Missing(_)) {
                if let Some(parent) = path.parent() {
                    make_dirs(&self.cfg, parent)?;
                }
                match d.create(&self.cfg, path, &[]) {
                    Ok(()) | Err(Error::NodeExists { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            return d.append(&cfg, &loc.name, path, msgs);
        }
        match found {
            Found::Driver { format, path, .. } => {
                driver_of(format)?.append(&cfg, &loc.name, &path, msgs)
            }
            // An empty file takes the format `#driver.` asks for (c-client's EMPTYPROTO:
            // unix otherwise).
            Found::Empty(path)
                if format.is_some_and(|f| {
                    drivers::driver(f).is_some_and(|d| d.layout() == Layout::File)
                }) =>
            {
                let d = driver_of(format.unwrap_or(Format::Unix))?;
                fs::remove_file(&path).ctx("replace empty mailbox", &path)?;
                d.create(&cfg, &path, &[])?;
                d.append(&cfg, &loc.name, &path, msgs)
            }
            Found::Unix(path) | Found::Empty(path) => {
                unix::append::append(&self.cfg, &loc.name, &path, msgs)
            }
            Found::Mbox { mbox, .. } => unix::append::append(&self.cfg, "INBOX", &mbox, msgs),
            Found::Missing(path) if loc.is_inbox() => {
                if let Some(parent) = path.parent() {
                    make_dirs(&self.cfg, parent)?;
                }
                match unix::open::create(&self.cfg, &path, &[]) {
                    Ok(()) | Err(Error::NodeExists { .. }) => {}
                    Err(e) => return Err(e),
                }
                unix::append::append(&self.cfg, &loc.name, &path, msgs)
            }
            Found::Missing(_) => Err(Error::NoSuchMailbox { name: loc.name }),
            Found::Directory(_) => Err(Error::NotSelectable { name: loc.name }),
            Found::Unknown(_) => Err(Error::UnknownFormat { name: loc.name }),
        }
    }
}

impl Store {
    /// The file (or directory) that INBOX is now and its format, for delivery agents that
    /// check what they deliver to before and after (tmail, dmail): a home-directory
    /// format's `~/INBOX`, `~/mbox`, or the spool file. The format is `None` when nothing
    /// is there yet (the path is then the spool file that an append would make) and
    /// [`Format::Dummy`] for an empty file.
    pub fn inbox_file(&self) -> Result<(PathBuf, Option<Format>)> {
        let loc = self.resolve("INBOX")?;
        Ok(match find(&self.cfg, &loc)? {
            Found::Unix(p) => (p, Some(Format::Unix)),
            Found::Driver { format, path, .. } => (path, Some(format)),
            Found::Mbox { mbox, .. } => (mbox, Some(Format::Mbox)),
            Found::Empty(p) => (p, Some(Format::Dummy)),
            Found::Missing(p) => (p, None),
            Found::Directory(_) => return Err(Error::NotSelectable { name: loc.name }),
            Found::Unknown(_) => return Err(Error::UnknownFormat { name: loc.name }),
        })
    }
}

/// Whether a copy brings keywords along.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyKeywords {
    /// Keywords are copied (defined in the destination as needed).
    Keep,
    /// Keywords are left behind (`mailutil -ig`).
    Drop,
}

impl Store {
    /// Copies messages `seqs` of open mailbox `source` to mailbox `dest`, with their flags
    /// (not `\Recent`), keywords and internal dates (IMAP COPY, `mailutil copy`). The
    /// messages are read one at a time, so a copy of any size runs in little memory; if
    /// one cannot be read, nothing is copied.
    pub fn copy(
        &self,
        source: &mut dyn Mailbox,
        seqs: &[crate::types::SeqNo],
        dest: &str,
        keywords: CopyKeywords,
    ) -> Result<AppendOutcome> {
        let table = source.keywords().to_vec();
        let mut next = seqs.iter();
        let mut messages = std::iter::from_fn(|| {
            let &seq = next.next()?;
            let Some(info) = source.messages().get(seq.index()).cloned() else {
                return Some(Err(Error::NoSuchMessage(seq.get())));
            };
            Some(source.fetch(seq, crate::mailbox::Part::Whole).map(|data| {
                AppendMessage {
                    data,
                    flags: info.flags.intersect(crate::types::Flags::SETTABLE),
                    keywords: match keywords {
                        CopyKeywords::Keep => info
                            .keywords
                            .iter()
                            .filter_map(|k| table.get(k).cloned())
                            .collect(),
                        CopyKeywords::Drop => Vec::new(),
                    },
                    date: Some(info.internal_date),
                }
            }))
        });
        self.append(dest, &mut messages)
    }
}

/// Refuses to delete or rename the directory of a shared namespace (`#public/`), which
/// is its account's home.
fn refuse_namespace_root(loc: &Location) -> Result<()> {
    match loc.shared_namespace() {
        Some(ns) if loc.name.len() == ns.prefix().len() => Err(Error::invalid_name(
            &loc.name,
            "a namespace itself cannot be deleted or renamed",
        )),
        _ => Ok(()),
    }
}

/// Opens what [`find`] found.
pub(crate) fn open_found(
    cfg: &Arc<StoreConfig>,
    loc: &Location,
    found: Found,
    access: Access,
) -> Result<Box<dyn Mailbox>> {
    match found {
        Found::Driver {
            format,
            path,
            spool,
        } => driver_of(format)?.open(Arc::clone(cfg), &loc.name, &path, spool.as_deref(), access),
        Found::Unix(path) => Ok(Box::new(UnixMailbox::open(
            Arc::clone(cfg),
            &loc.name,
            &path,
            Format::Unix,
            access,
            Quiet::No,
        )?)),
        Found::Mbox { mbox, spool } => Ok(Box::new(MboxMailbox::open(
            Arc::clone(cfg),
            &mbox,
            &spool,
            access,
        )?)),
        Found::Empty(_) => Ok(Box::new(DummyMailbox::open(
            Arc::clone(cfg),
            loc.clone(),
            access,
        ))),
        Found::Missing(_) if loc.is_inbox() => Ok(Box::new(DummyMailbox::open(
            Arc::clone(cfg),
            loc.clone(),
            access,
        ))),
        Found::Missing(_) => Err(Error::NoSuchMailbox {
            name: loc.name.clone(),
        }),
        Found::Directory(_) => Err(Error::NotSelectable {
            name: loc.name.clone(),
        }),
        Found::Unknown(_) => Err(Error::UnknownFormat {
            name: loc.name.clone(),
        }),
    }
}

/// Runs `f` on a mailbox file nobody has open read-write, holding it exclusively (c-client
/// takes the instance lock without the kiss of death, then the file lock).
pub(crate) fn with_file_exclusive<T>(
    cfg: &StoreConfig,
    name: &str,
    path: &Path,
    f: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let lock = unix::open::instance_lock_alone(cfg, name, path)?;
    let _dot = match DotLock::acquire(path, &cfg.locks, &*cfg.notify)? {
        DotLockOutcome::Held(l) => Some(l),
        DotLockOutcome::Unavailable => None,
    };
    let file = fs::File::open(path).ctx("open", path)?;
    file.lock().ctx("flock", path)?;
    let r = f(path);
    let _ = file.unlock();
    drop(lock);
    r
}

/// The driver of `format`, or an error saying it is not supported here.
fn driver_of(format: Format) -> Result<&'static dyn drivers::Driver> {
    drivers::driver(format).ok_or_else(|| Error::UnsupportedFormat {
        format: format.name().to_owned(),
    })
}

/// Moves a file or directory; across filesystems, a file is copied (with its mode) and the
/// original removed.
pub(crate) fn move_file(from: &Path, to: &Path) -> Result<()> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(nix::libc::EXDEV) && from.is_file() => {
            fs::copy(from, to).ctx("copy", to)?;
            let f = fs::File::open(to).ctx("open", to)?;
            f.sync_all().ctx("sync", to)?;
            fs::remove_file(from).ctx("remove", from)
        }
        Err(e) => Err(Error::io("rename", from, e)),
    }
}

/// Makes directory `path` and those above it, mode `dir_mode`; a file in the way is an
/// error naming it.
fn make_dirs(cfg: &StoreConfig, path: &Path) -> Result<()> {
    let trimmed: PathBuf = path.components().collect();
    match fs::metadata(&trimmed) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(Error::NodeExists { node: trimmed });
        }
        Err(_) => {}
    }
    if let Some(parent) = trimmed.parent()
        && !parent.as_os_str().is_empty()
    {
        make_dirs(cfg, parent)?;
    }
    match fs::DirBuilder::new().mode(cfg.dir_mode).create(&trimmed) {
        Ok(()) => {
            let _ = fs::set_permissions(&trimmed, fs::Permissions::from_mode(cfg.dir_mode));
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && trimmed.is_dir() => Ok(()),
        Err(e) => Err(Error::node(&trimmed, e)),
    }
}
