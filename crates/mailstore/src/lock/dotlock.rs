//! `<mailbox>.lock` files, the traditional UNIX spool lock that mail delivery agents,
//! `mail`, mutt, procmail and c-client all honour.
//!
//! The lock is a file named after the mailbox with `.lock` appended, made exclusively so
//! that two processes never both believe they made it. Exclusive creation is done the way
//! that works on NFS (c-client's `crexcl`): create a unique "hitching post"
//! `<lock>.<time>.<pid>.<hostname>`, `link(2)` it to the lock name, and judge success by the
//! hitching post's link count being 2 (the return of `link` is not trusted: over NFS it may
//! report failure after succeeding). Where `link` is not supported (`EPERM`), a plain
//! `O_EXCL` create is used.
//!
//! Waiting: one attempt a second; every 15 seconds a warning
//! `Mailbox <f> is locked, will override in N seconds...`. A lock whose ctime is older
//! than the timeout (5 minutes) is stale and is broken at once; a lock still held when the
//! timeout runs out is seized with `Mailbox vulnerable - seizing N second old lock`.
//! The lock is made mode 0666 and is held only while the mailbox file is read or written,
//! never for a whole session.
//!
//! The lock file holds `<pid> <hostname>` of its maker (the form liblockfile reads: a
//! decimal PID first). A lock made on this host by a process that no longer exists is
//! broken at once rather than after the timeout; locks without that content (c-client's
//! are empty) wait the full timeout, as c-client waits.
//!
//! A spool directory that we may not create files in (`EACCES`; Debian's `/var/mail` is
//! `root:mail 2775`) is dot-locked through the setgid helper `mlock` ([`super::mlock`]),
//! ours or UW's, as c-client does. Without one (or when it fails), c-client warns
//! `Mailbox vulnerable - directory D must have 1777 protection` and relies on `flock(2)`
//! alone, and so do we.
//!
//! Source: panda-inventory.md §5.1–5.2; c-client `env_unix.c` (`dotlock_lock`),
//! `crx_nfs.c` (`crexcl`).

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::mlock::{HelperLock, HelperOutcome};
use super::{LockSettings, LockWarnings};
use crate::error::{Error, Result};
use crate::notify::{Level, Notify};

/// A held `.lock` file; dropping it removes the file (if it is still ours).
#[derive(Debug)]
pub struct DotLock {
    path: PathBuf,
    /// Device and inode of the lock file we made, so that we never remove a lock that
    /// somebody seized from us after a timeout.
    id: Option<(u64, u64)>,
    /// The `mlock` process holding the lock for us, when we could not make it ourselves:
    /// it removes the lock when this is dropped.
    helper: Option<HelperLock>,
}

/// What happened when a dot-lock was asked for.
#[derive(Debug)]
pub enum DotLockOutcome {
    /// The lock is held.
    Held(DotLock),
    /// The directory does not let us create the lock (or something else went wrong that
    /// waiting cannot cure); the caller goes on with `flock(2)` alone, as c-client does.
    Unavailable,
}

/// The outcome of one exclusive-create attempt.
enum Attempt {
    Made,
    Busy,
    Failed(io::Error),
}

impl DotLock {
    /// The lock name for mailbox file `mailbox`.
    pub fn path_for(mailbox: &Path) -> PathBuf {
        let mut s = mailbox.as_os_str().to_owned();
        s.push(".lock");
        PathBuf::from(s)
    }

    /// Takes the dot-lock of `mailbox`, waiting and finally seizing as described in the
    /// module documentation.
    pub fn acquire(
        mailbox: &Path,
        settings: &LockSettings,
        notify: &dyn Notify,
    ) -> Result<DotLockOutcome> {
        let lock = Self::path_for(mailbox);
        let timeout = settings.dotlock_timeout;
        let started = SystemTime::now();
        let mut last_warning: Option<u64> = None;
        loop {
            refuse_symlink(&lock, notify)?;
            if is_stale(&lock, timeout) || owner_is_gone(&lock, &settings.hostname) {
                break;
            }
            match create_exclusive(&lock, &settings.hostname) {
                Attempt::Made => {
                    chmod(&lock, settings.dotlock_mode);
                    return Ok(DotLockOutcome::Held(Self::adopt(lock)));
                }
                Attempt::Busy => {}
                Attempt::Failed(e) => {
                    return Ok(through_helper(mailbox, lock, &e, settings, notify));
                }
            }
            let waited = started.elapsed().unwrap_or_default();
            if waited >= timeout {
                break;
            }
            let left = (timeout - waited).as_secs_f64().ceil() as u64;
            let step = waited.as_secs() / 15;
            if last_warning != Some(step) {
                last_warning = Some(step);
                notify.notice(
                    Level::Warn,
                    &format!(
                        "Mailbox {} is locked, will override in {} seconds...",
                        mailbox.display(),
                        left
                    ),
                );
            }
            thread::sleep(settings.dotlock_retry);
        }
        refuse_symlink(&lock, notify)?;
        if let Ok(md) = fs::symlink_metadata(&lock) {
            let age = age_of(&md);
            if age < timeout && !owner_is_gone(&lock, &settings.hostname) {
                notify.notice(
                    Level::Warn,
                    &format!(
                        "Mailbox vulnerable - seizing {} second old lock",
                        age.as_secs()
                    ),
                );
            }
        }
        let _ = fs::remove_file(&lock);
        match OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .mode(settings.dotlock_mode)
            .open(&lock)
        {
            Ok(mut f) => {
                use std::io::Write;
                let _ = f.write_all(
                    format!("{} {}\n", std::process::id(), settings.hostname).as_bytes(),
                );
                chmod(&lock, settings.dotlock_mode);
                notify.notice(
                    Level::Info,
                    &format!("Mailbox {} lock overridden", mailbox.display()),
                );
                Ok(DotLockOutcome::Held(Self::adopt(lock)))
            }
            Err(e) => Ok(through_helper(mailbox, lock, &e, settings, notify)),
        }
    }

    fn adopt(path: PathBuf) -> Self {
        let id = fs::symlink_metadata(&path).ok().map(|m| (m.dev(), m.ino()));
        DotLock {
            path,
            id,
            helper: None,
        }
    }

    /// Whether the lock is held by the `mlock` helper on our behalf.
    pub fn by_helper(&self) -> bool {
        self.helper.is_some()
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DotLock {
    fn drop(&mut self) {
        if let Some(helper) = self.helper.take() {
            // The helper removes the lock, and has when this returns.
            drop(helper);
            return;
        }
        let ours = match fs::symlink_metadata(&self.path) {
            Ok(m) => self.id.is_none_or(|id| id == (m.dev(), m.ino())),
            Err(_) => false,
        };
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Refuses a lock name that is a symbolic link: somebody may be trying to make us write
/// through it.
pub(crate) fn refuse_symlink(lock: &Path, notify: &dyn Notify) -> Result<()> {
    match fs::symlink_metadata(lock) {
        Ok(m) if m.file_type().is_symlink() => {
            notify.notice(
                Level::Critical,
                &format!(
                    "SECURITY PROBLEM: symbolic link on lock name: {}",
                    lock.display()
                ),
            );
            Err(Error::Lock {
                path: lock.to_owned(),
                what: "symbolic link on lock name".into(),
            })
        }
        _ => Ok(()),
    }
}

fn is_stale(lock: &Path, timeout: Duration) -> bool {
    fs::symlink_metadata(lock).is_ok_and(|m| age_of(&m) >= timeout)
}

/// Whether the lock names a process on this host that no longer exists.
fn owner_is_gone(lock: &Path, hostname: &str) -> bool {
    let Ok(text) = fs::read_to_string(lock) else {
        return false;
    };
    let mut parts = text.split_whitespace();
    let (Some(pid), Some(host)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    host == hostname
        && pid > 0
        && nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None)
            == Err(nix::errno::Errno::ESRCH)
}

fn age_of(md: &fs::Metadata) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    Duration::from_secs(now.saturating_sub(md.ctime()).max(0) as u64)
}

fn chmod(path: &Path, mode: u32) {
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
}

/// c-client's `crexcl`: NFS-safe exclusive creation through a hitching post.
fn create_exclusive(lock: &Path, hostname: &str) -> Attempt {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut hitch = lock.as_os_str().to_owned().into_vec();
    hitch.extend_from_slice(format!(".{now}.{}.{hostname}", std::process::id()).as_bytes());
    let hitch = PathBuf::from(OsString::from_vec(hitch));
    let owner = format!("{} {hostname}\n", std::process::id());
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o666)
        .open(&hitch)
    {
        Ok(mut f) => {
            use std::io::Write;
            let _ = f.write_all(owner.as_bytes());
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Attempt::Busy,
        Err(e) => return Attempt::Failed(e),
    }
    let linked = fs::hard_link(&hitch, lock);
    let made = fs::metadata(&hitch).is_ok_and(|m| m.nlink() == 2);
    let outcome = if made {
        Attempt::Made
    } else {
        match linked {
            Err(e) if e.raw_os_error() == Some(nix::libc::EPERM) => {
                // A filesystem without hard links (and so not NFS): plain O_EXCL is safe.
                match OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o666)
                    .open(lock)
                {
                    Ok(_) => Attempt::Made,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Attempt::Busy,
                    Err(e) => Attempt::Failed(e),
                }
            }
            _ => Attempt::Busy,
        }
    };
    let _ = fs::remove_file(&hitch);
    outcome
}

/// The directory refused us the lock (`e`): when that is for want of permission and there
/// is a helper, asks it to make the lock (c-client does so for `EACCES` only).
fn through_helper(
    mailbox: &Path,
    lock: PathBuf,
    e: &io::Error,
    settings: &LockSettings,
    notify: &dyn Notify,
) -> DotLockOutcome {
    if e.kind() == io::ErrorKind::PermissionDenied
        && let Some(program) = settings.helper.program()
        && let Ok(HelperOutcome::Held(helper)) = HelperLock::take(&program, mailbox)
    {
        return DotLockOutcome::Held(DotLock {
            path: lock,
            id: None,
            helper: Some(helper),
        });
    }
    unavailable(&lock, e, settings, notify)
}

fn unavailable(
    lock: &Path,
    e: &io::Error,
    settings: &LockSettings,
    notify: &dyn Notify,
) -> DotLockOutcome {
    if settings.warnings == LockWarnings::Show {
        let text = if e.kind() == io::ErrorKind::PermissionDenied {
            let dir = lock.parent().unwrap_or(Path::new("/"));
            format!(
                "Mailbox vulnerable - directory {} must have 1777 protection",
                dir.display()
            )
        } else {
            format!(
                "Mailbox vulnerable - error creating {}: {e}",
                lock.display()
            )
        };
        notify.notice(Level::Warn, &text);
    }
    DotLockOutcome::Unavailable
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Debug, Default)]
    struct Collect(Mutex<Vec<(Level, String)>>);

    impl Notify for Collect {
        fn notice(&self, level: Level, text: &str) {
            self.0.lock().unwrap().push((level, text.to_owned()));
        }
    }

    fn fast() -> LockSettings {
        LockSettings {
            dotlock_timeout: Duration::from_secs(2),
            dotlock_retry: Duration::from_millis(50),
            ..LockSettings::default()
        }
    }

    #[test]
    fn lock_is_made_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("INBOX");
        let n = Collect::default();
        let DotLockOutcome::Held(lock) = DotLock::acquire(&mbox, &fast(), &n).unwrap() else {
            panic!("no lock");
        };
        let lp = dir.path().join("INBOX.lock");
        assert_eq!(lock.path(), lp);
        let md = fs::metadata(&lp).unwrap();
        assert_eq!(md.permissions().mode() & 0o777, 0o666);
        assert_eq!(md.nlink(), 1, "hitching post left behind");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(lock);
        assert!(!lp.exists());
        assert!(n.0.lock().unwrap().is_empty());
    }

    #[test]
    fn held_lock_is_waited_for_then_seized() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("m");
        let lp = DotLock::path_for(&mbox);
        fs::write(&lp, b"").unwrap();
        // Its holder keeps it fresh, so it is never stale: it must be seized.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (lp2, stop2) = (lp.clone(), Arc::clone(&stop));
        let toucher = thread::spawn(move || {
            while !stop2.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = fs::set_permissions(&lp2, fs::Permissions::from_mode(0o644));
                thread::sleep(Duration::from_millis(100));
            }
        });
        let settings = LockSettings {
            dotlock_timeout: Duration::from_secs(3),
            ..fast()
        };
        let n = Arc::new(Collect::default());
        let outcome = DotLock::acquire(&mbox, &settings, &*n).unwrap();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        toucher.join().unwrap();
        let DotLockOutcome::Held(lock) = outcome else {
            panic!("no lock");
        };
        let notes = n.0.lock().unwrap().clone();
        assert!(
            notes[0]
                .1
                .ends_with("is locked, will override in 3 seconds..."),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|(_, t)| t.starts_with("Mailbox vulnerable - seizing")),
            "{notes:?}"
        );
        assert!(notes.iter().any(|(_, t)| t.ends_with("lock overridden")));
        drop(lock);
    }

    #[test]
    fn stale_lock_is_overridden_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("m");
        fs::write(DotLock::path_for(&mbox), b"").unwrap();
        let settings = LockSettings {
            dotlock_timeout: Duration::ZERO,
            ..fast()
        };
        let n = Collect::default();
        let DotLockOutcome::Held(_l) = DotLock::acquire(&mbox, &settings, &n).unwrap() else {
            panic!("no lock");
        };
        let notes = n.0.lock().unwrap().clone();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].1.ends_with("lock overridden"));
    }

    #[test]
    fn released_lock_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("m");
        let lp = DotLock::path_for(&mbox);
        fs::write(&lp, b"").unwrap();
        let lp2 = lp.clone();
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            fs::remove_file(lp2).unwrap();
        });
        let settings = LockSettings {
            dotlock_timeout: Duration::from_secs(30),
            ..fast()
        };
        let n = Collect::default();
        let DotLockOutcome::Held(_lock) = DotLock::acquire(&mbox, &settings, &n).unwrap() else {
            panic!("no lock");
        };
        t.join().unwrap();
        assert!(
            !n.0.lock()
                .unwrap()
                .iter()
                .any(|(_, t)| t.contains("vulnerable")),
            "seized instead of waiting"
        );
    }

    #[test]
    fn lock_of_a_dead_process_on_this_host_is_broken_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("m");
        let settings = LockSettings {
            dotlock_timeout: Duration::from_secs(300),
            ..fast()
        };
        // A process that has exited: its PID is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        fs::write(
            DotLock::path_for(&mbox),
            format!("{pid} {}\n", settings.hostname),
        )
        .unwrap();
        let n = Collect::default();
        let t = std::time::Instant::now();
        let DotLockOutcome::Held(lock) = DotLock::acquire(&mbox, &settings, &n).unwrap() else {
            panic!("no lock");
        };
        assert!(t.elapsed() < Duration::from_secs(5));
        let content = fs::read_to_string(lock.path()).unwrap();
        assert_eq!(
            content,
            format!("{} {}\n", std::process::id(), settings.hostname)
        );
        // A live process's lock, or another host's, is waited for.
        drop(lock);
        fs::write(
            DotLock::path_for(&mbox),
            format!("{pid} elsewhere.example\n"),
        )
        .unwrap();
        assert!(!owner_is_gone(
            &DotLock::path_for(&mbox),
            &settings.hostname
        ));
        fs::write(
            DotLock::path_for(&mbox),
            format!("{} {}\n", std::process::id(), settings.hostname),
        )
        .unwrap();
        assert!(!owner_is_gone(
            &DotLock::path_for(&mbox),
            &settings.hostname
        ));
    }

    #[test]
    fn symlink_on_lock_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("m");
        std::os::unix::fs::symlink("/etc/passwd", DotLock::path_for(&mbox)).unwrap();
        let n = Collect::default();
        let err = DotLock::acquire(&mbox, &fast(), &n).unwrap_err();
        assert!(err.to_string().contains("symbolic link"));
        assert_eq!(n.0.lock().unwrap()[0].0, Level::Critical);
    }

    #[test]
    fn seized_lock_is_not_removed_by_its_former_owner() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("m");
        let n = Collect::default();
        let DotLockOutcome::Held(old) = DotLock::acquire(&mbox, &fast(), &n).unwrap() else {
            panic!("no lock");
        };
        // Someone seizes it: a new file under the same name.
        let fresh = dir.path().join("fresh");
        fs::write(&fresh, b"").unwrap();
        fs::rename(&fresh, old.path()).unwrap();
        let p = old.path().to_owned();
        drop(old);
        assert!(p.exists());
    }
}
