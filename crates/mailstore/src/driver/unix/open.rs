//! Opening a UNIX mailbox: sniffing the format, creating, the instance lock and the kiss
//! of death, the per-operation file lock.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::thread;

use super::format::{self, PseudoKind};
use super::{Model, Quiet, UnixMailbox};
use crate::config::{Format, StoreConfig, UidMode};
use crate::driver::common;
use crate::error::{Error, IoContext, Result};
use crate::lock::dotlock::{DotLock, DotLockOutcome};
use crate::lock::instance::{Attempt, InstanceLock, Share, Wait};
use crate::lock::kod::{self, Claim, Killable};
use crate::mailbox::Mailbox;
use crate::notify::Level;
use crate::types::{Access, Status};

/// What a look at a file says about its format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniff {
    /// A UNIX mailbox.
    Unix,
    /// An empty file (the `dummy` format's).
    Empty,
    /// Something else.
    Other,
}

/// Whether the file at `path` is a UNIX mailbox (c-client `unix_valid`): after leading
/// white space that ends with a LF, a valid `From ` line. Reading does not disturb the
/// file's "new mail" mark.
pub fn sniff(path: &Path) -> io::Result<Sniff> {
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        return Ok(Sniff::Other);
    }
    if meta.len() == 0 {
        return Ok(Sniff::Empty);
    }
    let mut f = common::open_noatime(path)?;
    let mut buf = vec![0u8; 1023];
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    let buf = &buf[..n];
    let skip = buf
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .count();
    let ends_lf = skip == 0 || buf[skip - 1] == b'\n';
    Ok(if ends_lf && format::from_line(&buf[skip..]).is_some() {
        Sniff::Unix
    } else {
        Sniff::Other
    })
}

/// Whether an open file starts with the mmdf delimiter line (c-client `mmdf_isvalid`).
pub fn starts_with_mmdf_delimiter(file: &File) -> Result<bool> {
    use std::os::unix::fs::FileExt;
    let mut head = [0u8; 5];
    let mut n = 0;
    while n < head.len() {
        match file.read_at(&mut head[n..], n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("read", "mailbox", e)),
        }
    }
    Ok(head[..n] == *super::MMDF_DELIMITER)
}

/// Creates an empty UNIX mailbox at `path` (which must not exist): a file with the
/// pseudo-message holding a new UIDVALIDITY and `keywords`, or an empty file when UIDs are
/// disabled. Parent directories are made by the caller.
pub fn create(cfg: &StoreConfig, path: &Path, keywords: &[String]) -> Result<()> {
    create_framed(cfg, path, keywords, super::Framing::FromLine)
}

/// Creates an empty mailbox of `framing` (unix or mmdf) at `path`, as [`create`] does.
pub fn create_framed(
    cfg: &StoreConfig,
    path: &Path,
    keywords: &[String],
    framing: super::Framing,
) -> Result<()> {
    let file = common::create_mailbox_file(cfg, path)?;
    if cfg.uids == UidMode::Disabled {
        return Ok(());
    }
    let now = crate::clock::now(&cfg.tz);
    let mut out = Vec::new();
    format::write_pseudo_message(
        &mut out,
        &now,
        &cfg.hostname,
        crate::clock::new_uid_validity(),
        0,
        keywords,
        PseudoKind::Create,
    );
    format::frame_pseudo(&mut out, framing);
    common::initialize_mailbox_file(&file, path, &out)
}

/// The counts IMAP STATUS reports for the UNIX-format (`format`: unix, mbox or mmdf)
/// mailbox in file `path`, read quietly: no notices, no kiss of death.
pub(crate) fn status_quietly(
    cfg: &Arc<StoreConfig>,
    name: &str,
    path: &Path,
    format: Format,
) -> Result<Status> {
    let mb = UnixMailbox::open(
        Arc::clone(cfg),
        name,
        path,
        format,
        Access::ReadOnly,
        Quiet::Yes,
    )?;
    Ok(mb.status())
}

/// The instance lock of mailbox file `path`, taken exclusively without waiting: had only
/// while no session has mailbox `name` read-write (c-client's delete and rename, which
/// do not send the kiss of death).
pub(crate) fn instance_lock_alone(
    cfg: &StoreConfig,
    name: &str,
    path: &Path,
) -> Result<InstanceLock> {
    let meta = fs::metadata(path).ctx("stat", path)?;
    match InstanceLock::acquire(
        &cfg.locks.tmp_dir,
        (meta.dev(), meta.ino()),
        Share::Exclusive,
        Wait::NoWait,
        &*cfg.notify,
    )? {
        Attempt::Locked(l) => Ok(l),
        Attempt::Busy { .. } => Err(Error::InUse {
            name: name.to_owned(),
        }),
    }
}

impl UnixMailbox {
    /// Opens the UNIX mailbox in file `path` under `name`. Asking for read-write may give
    /// read-only (with a notice saying why) when another process has the mailbox; a quiet
    /// open then fails instead.
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        format: Format,
        want: Access,
        quiet: Quiet,
    ) -> Result<Self> {
        let meta = fs::metadata(path).ctx("open", path)?;
        let id = (meta.dev(), meta.ino());
        let mut instance = None;
        if want == Access::ReadWrite {
            instance = take_instance_lock(&cfg, path, id, quiet)?;
            if instance.is_none() && quiet == Quiet::Yes {
                return Err(Error::Lock {
                    path: path.to_owned(),
                    what: "mailbox is open read-write by another process".into(),
                });
            }
        }
        let access = if instance.is_some() {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        };
        let file = match access {
            Access::ReadWrite => OpenOptions::new().read(true).write(true).open(path),
            Access::ReadOnly => File::open(path),
        }
        .ctx("open", path)?;
        let claim = instance.as_ref().map(|_| {
            Claim::new(
                id,
                match quiet {
                    Quiet::No => Killable::Yes,
                    Quiet::Yes => Killable::No,
                },
            )
        });
        let mut mb = UnixMailbox {
            cfg,
            name: name.to_owned(),
            path: path.to_owned(),
            format,
            file,
            id,
            access,
            quiet,
            instance,
            claim,
            model: Model::default(),
            stamp: None,
            pending: Vec::new(),
            broken: false,
        };
        mb.refresh(Share::Shared)?;
        mb.pending.clear();
        if mb.model.infos.is_empty() && quiet == Quiet::No {
            mb.cfg.notify.notice(Level::Info, "Mailbox is empty");
        }
        Ok(mb)
    }

    /// Locks the mailbox file for one operation: the dot-lock (when the directory allows
    /// it), then `flock` shared to read or exclusive to write.
    pub(crate) fn lock_file(&self, share: Share) -> Result<Locked> {
        let dot = match DotLock::acquire(&self.path, &self.cfg.locks, &*self.cfg.notify)? {
            DotLockOutcome::Held(l) => Some(l),
            DotLockOutcome::Unavailable => None,
        };
        let mut locked = self.flock_file(share)?;
        locked.dot = dot;
        Ok(locked)
    }

    /// Locks the mailbox file with `flock` only (for reading without the dot-lock). A
    /// second descriptor for the same open file holds it: the lock is the open file's,
    /// and the guard then borrows nothing from the session.
    pub(crate) fn flock_file(&self, share: Share) -> Result<Locked> {
        let file = self.file.try_clone().ctx("dup", &self.path)?;
        match share {
            Share::Shared => file.lock_shared(),
            Share::Exclusive => file.lock(),
        }
        .ctx("flock", &self.path)?;
        Ok(Locked { file, dot: None })
    }

    /// Whether somebody asked this session to let go of the mailbox.
    pub(crate) fn kiss_of_death(&self) -> bool {
        self.claim.as_ref().is_some_and(Claim::requested)
    }

    /// Gives up read-write access: pending changes are written first.
    pub(crate) fn let_go(&mut self) -> Result<()> {
        if self.access == Access::ReadOnly {
            return Ok(());
        }
        let written = self.checkpoint();
        self.claim = None;
        self.instance = None;
        self.access = Access::ReadOnly;
        // Reopen read-only so that nothing here can write any more.
        self.file = File::open(&self.path).ctx("open", &self.path)?;
        written
    }
}

/// The mailbox file locked for one operation; unlocked when dropped.
#[derive(Debug)]
pub(crate) struct Locked {
    file: File,
    dot: Option<DotLock>,
}

impl Drop for Locked {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Tries for the instance lock, sending the kiss of death to its holder when allowed.
fn take_instance_lock(
    cfg: &StoreConfig,
    path: &Path,
    id: (u64, u64),
    quiet: Quiet,
) -> Result<Option<InstanceLock>> {
    let attempts = match quiet {
        Quiet::No => cfg.locks.kod_attempts.max(1),
        Quiet::Yes => 1,
    };
    let notify = &*cfg.notify;
    let mut asked = false;
    for attempt in 0..attempts {
        match InstanceLock::acquire(
            &cfg.locks.tmp_dir,
            id,
            Share::Exclusive,
            Wait::NoWait,
            notify,
        )? {
            Attempt::Locked(mut lock) => {
                // Our PID at once, so that nobody signals a dead holder's; the token a
                // crashed writer left stays for its journal.
                lock.write_pid(match quiet {
                    Quiet::No => Some(std::process::id()),
                    Quiet::Yes => None,
                })?;
                if nix::unistd::access(path, nix::unistd::AccessFlags::W_OK).is_err() {
                    notify.notice(
                        Level::Warn,
                        "Can't get write access to mailbox, access is readonly",
                    );
                    return Ok(None);
                }
                return Ok(Some(lock));
            }
            Attempt::Busy { pid } => {
                if quiet == Quiet::Yes {
                    break;
                }
                if !asked {
                    asked = true;
                    let sent = match pid {
                        Some(p) if p as u32 == std::process::id() => kod::ask_in_process(id),
                        Some(p) => kod::ask_process(p),
                        None => false,
                    };
                    match (sent, pid) {
                        (true, Some(p)) => notify.notice(
                            Level::Warn,
                            &format!("Trying to get mailbox lock from process {p}"),
                        ),
                        // A holder without a PID is a quiet append (tmail, dmail, COPY),
                        // done in a moment: wait for it as for a holder asked to go.
                        // c-client gives up at once, and a session opened while mail
                        // pours in would be read-only (and lose its UIDVALIDITY to the
                        // first appender that can number the messages).
                        (_, None) => {}
                        _ => break,
                    }
                }
                if attempt + 1 < attempts {
                    thread::sleep(cfg.locks.kod_interval);
                }
            }
        }
    }
    if quiet == Quiet::No {
        notify.notice(
            Level::Warn,
            "Mailbox is open by another process, access is readonly",
        );
    }
    Ok(None)
}
