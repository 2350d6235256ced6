//! The mailbox instance lock: `/tmp/.<dev>.<ino>`.
//!
//! c-client names a lock after the device and inode of the mailbox file (lowercase hex, no
//! padding: `/tmp/.803.1a2b3c`), so that every path to the same file, and every user, finds
//! the same lock. The file is mode 0666 and is `flock`ed:
//!
//! - for `unix` and `mmdf` mailboxes, exclusively for as long as a session has the mailbox
//!   open read-write; the holder writes its PID (decimal, no newline) into the file so that
//!   a later opener can send it the kiss of death ([`super::kod`]);
//! - by rename and delete, exclusively and briefly, so that an open mailbox is not pulled
//!   away from its holder.
//!
//! The name is checked with `lstat` before use: a symbolic link or a second hard link on it
//! is a "SECURITY PROBLEM" (somebody may be trying to make us write elsewhere) and the lock
//! fails. After locking, the name must still be the file we locked, with one link;
//! otherwise the lock is taken again. On release, whoever finds no other sharer removes the
//! file.
//!
//! Source: panda-inventory.md §5.3; c-client `env_unix.c` (`lockname`, `lock_work`,
//! `unlockfd`, `chk_notsymlink`).

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::notify::{Level, Notify};

/// A held instance lock; dropping it releases the lock (and removes the file when nobody
/// else holds it).
#[derive(Debug)]
pub struct InstanceLock {
    file: File,
    path: PathBuf,
    pid: Option<u32>,
    /// The token after the PID: a rewrite journal depends on it (see [`crate::journal`]).
    token: Option<u64>,
}

/// How the instance lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Share {
    /// Others may hold it shared too.
    Shared,
    /// Nobody else may hold it.
    Exclusive,
}

/// Whether to wait for a lock held by somebody else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Block until it is free.
    Block,
    /// Fail at once.
    NoWait,
}

/// The result of asking for an instance lock.
#[derive(Debug)]
pub enum Attempt {
    /// The lock is ours.
    Locked(InstanceLock),
    /// Somebody holds it; their PID, if they wrote one.
    Busy {
        /// The holder's process ID.
        pid: Option<i32>,
    },
}

impl InstanceLock {
    /// The lock name for a file with device `dev` and inode `ino`.
    pub fn name(tmp_dir: &Path, dev: u64, ino: u64) -> PathBuf {
        tmp_dir.join(format!(".{dev:x}.{ino:x}"))
    }

    /// Asks for the instance lock of the file with device `dev` and inode `ino`.
    pub fn acquire(
        tmp_dir: &Path,
        (dev, ino): (u64, u64),
        share: Share,
        wait: Wait,
        notify: &dyn Notify,
    ) -> Result<Attempt> {
        let path = Self::name(tmp_dir, dev, ino);
        loop {
            let file = match open_lock_file(&path, notify)? {
                Some(f) => f,
                None => continue,
            };
            let locked = match (share, wait) {
                (Share::Exclusive, Wait::Block) => file.lock().map_err(TryLockError::Error),
                (Share::Shared, Wait::Block) => file.lock_shared().map_err(TryLockError::Error),
                (Share::Exclusive, Wait::NoWait) => file.try_lock(),
                (Share::Shared, Wait::NoWait) => file.try_lock_shared(),
            };
            match locked {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Ok(Attempt::Busy {
                        pid: read_pid(&file),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(Error::io("flock", &path, e)),
            }
            // The name must still be this file, with one link; if somebody removed or
            // replaced it meanwhile, start again.
            let same = match (fs::symlink_metadata(&path), file.metadata()) {
                (Ok(l), Ok(f)) => {
                    !l.file_type().is_symlink()
                        && l.dev() == f.dev()
                        && l.ino() == f.ino()
                        && l.nlink() == 1
                }
                _ => false,
            };
            if !same {
                continue;
            }
            let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o666));
            let token = read_token(&file);
            return Ok(Attempt::Locked(InstanceLock {
                file,
                path,
                pid: None,
                token,
            }));
        }
    }

    /// Records `pid` as the holder, so that a later opener can ask it to let go; `None` for
    /// a holder that cannot be asked (c-client's silent streams, used for COPY and APPEND).
    /// The file then holds the bare decimal PID, or nothing (and the token, if any).
    pub fn write_pid(&mut self, pid: Option<u32>) -> Result<()> {
        self.pid = pid;
        self.write_content()
    }

    /// Adds `token` after the PID (separated by a NUL, where c-client stops reading), or
    /// removes it. A rewrite journal is tied to the token ([`crate::journal`]).
    pub(crate) fn set_token(&mut self, token: Option<u64>) -> Result<()> {
        self.token = token;
        self.write_content()
    }

    /// The token in the lock file when it was locked (or set since).
    pub(crate) fn token(&self) -> Option<u64> {
        self.token
    }

    fn write_content(&mut self) -> Result<()> {
        let mut text = self.pid.map(|p| p.to_string()).unwrap_or_default();
        if let Some(t) = self.token {
            text.push('\0');
            text.push_str(&format!("{t:x}"));
        }
        let r = (|| -> io::Result<()> {
            self.file.seek(SeekFrom::Start(0))?;
            self.file.write_all(text.as_bytes())?;
            self.file.set_len(text.len() as u64)?;
            self.file.sync_data()
        })();
        r.map_err(|e| Error::io("write", &self.path, e))
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        // If nobody else shares the lock, the file goes (unless a journal still needs its
        // token); then the lock is released (closing the file does that).
        if self.token.is_none() && self.file.try_lock().is_ok() {
            let still_ours = match (fs::symlink_metadata(&self.path), self.file.metadata()) {
                (Ok(l), Ok(f)) => l.dev() == f.dev() && l.ino() == f.ino(),
                _ => false,
            };
            if still_ours {
                let _ = fs::remove_file(&self.path);
            }
        }
        let _ = self.file.unlock();
    }
}

/// Opens (or creates, mode 0666) the lock file, refusing symbolic and hard links. `None`
/// means a race with another process: try again.
fn open_lock_file(path: &Path, notify: &dyn Notify) -> Result<Option<File>> {
    let existing = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            notify.notice(
                Level::Critical,
                &format!(
                    "SECURITY PROBLEM: symbolic link on lock name: {}",
                    path.display()
                ),
            );
            return Err(Error::Lock {
                path: path.to_owned(),
                what: "symbolic link on lock name".into(),
            });
        }
        Ok(m) if m.nlink() > 1 => {
            notify.notice(
                Level::Critical,
                &format!(
                    "SECURITY PROBLEM: hard link to lock name: {}",
                    path.display()
                ),
            );
            return Err(Error::Lock {
                path: path.to_owned(),
                what: "hard link to lock name".into(),
            });
        }
        Ok(_) => true,
        Err(_) => false,
    };
    let mut opts = OpenOptions::new();
    opts.read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .mode(0o666);
    if !existing {
        opts.create_new(true);
    }
    if !existing && let Some(f) = create_open_to_all(path) {
        return Ok(f);
    }
    match opts.open(path) {
        Ok(f) => {
            if !existing {
                let _ = f.set_permissions(fs::Permissions::from_mode(0o666));
            }
            Ok(Some(f))
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound && existing => Ok(None),
        Err(e) => {
            if let Some(dir) = path.parent()
                && fs::metadata(dir).is_ok_and(|m| m.mode() & 0o7777 != 0o1777)
            {
                notify.notice(
                    Level::Warn,
                    &format!(
                        "Can't lock for write: {} must have 1777 protection",
                        dir.display()
                    ),
                );
            }
            Err(Error::io("open lock file", path, e))
        }
    }
}

/// Creates the lock file already mode 0666 whatever the umask: made under another name,
/// then renamed into place only if nothing is there. Otherwise another user's process
/// (UW's, waiting for the mbx parse/append permission) could find it unreadable for a
/// moment and fail. `None` where the file system cannot do this (the caller creates the
/// file directly); `Some(None)` when somebody else created it first.
fn create_open_to_all(path: &Path) -> Option<Option<File>> {
    static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}.{serial}", std::process::id()));
    let temp = PathBuf::from(name);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .mode(0o666)
        .open(&temp)
        .ok()?;
    let placed = f
        .set_permissions(fs::Permissions::from_mode(0o666))
        .map_err(|_| nix::errno::Errno::EIO)
        .and_then(|()| {
            nix::fcntl::renameat2(
                nix::fcntl::AT_FDCWD,
                &temp,
                nix::fcntl::AT_FDCWD,
                path,
                nix::fcntl::RenameFlags::RENAME_NOREPLACE,
            )
        });
    match placed {
        Ok(()) => Some(Some(f)),
        Err(nix::errno::Errno::EEXIST) => {
            let _ = fs::remove_file(&temp);
            Some(None)
        }
        Err(_) => {
            let _ = fs::remove_file(&temp);
            None
        }
    }
}

/// Reading from the start of a file whatever its current position.
trait ReadAtStart {
    fn read_at_start(self, buf: &mut [u8]) -> io::Result<usize>;
}

impl ReadAtStart for &File {
    fn read_at_start(self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        self.read_at(buf, 0)
    }
}

/// The token after the NUL in a lock file, if any.
fn read_token(file: &File) -> Option<u64> {
    let mut buf = [0u8; 1023];
    let n = file.read_at_start(&mut buf).ok()?;
    let content = &buf[..n];
    let nul = content.iter().position(|&b| b == 0)?;
    let hex = std::str::from_utf8(&content[nul + 1..]).ok()?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

/// The PID a holder wrote into the lock file (leading decimal digits).
fn read_pid(file: &File) -> Option<i32> {
    let mut buf = [0u8; 1023];
    let n = file.read_at_start(&mut buf).ok()?;
    let digits: &[u8] = &buf[..n];
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..len])
        .ok()?
        .parse::<i32>()
        .ok()
        .filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Silent;

    fn take(dir: &Path, share: Share) -> Attempt {
        InstanceLock::acquire(dir, (0x803, 0x1a2b3c), share, Wait::NoWait, &Silent).unwrap()
    }

    #[test]
    fn name_is_dev_and_inode_in_hex() {
        assert_eq!(
            InstanceLock::name(Path::new("/tmp"), 0x803, 0x1a2b3c),
            PathBuf::from("/tmp/.803.1a2b3c")
        );
    }

    #[test]
    fn exclusive_holder_is_found_with_its_pid() {
        let dir = tempfile::tempdir().unwrap();
        let Attempt::Locked(mut held) = take(dir.path(), Share::Exclusive) else {
            panic!()
        };
        held.write_pid(Some(4242)).unwrap();
        assert_eq!(fs::read(held.path()).unwrap(), b"4242");
        held.set_token(Some(0xabc)).unwrap();
        assert_eq!(fs::read(held.path()).unwrap(), b"4242\0abc");
        assert_eq!(held.token(), Some(0xabc));
        held.set_token(None).unwrap();
        let md = fs::metadata(held.path()).unwrap();
        assert_eq!(md.mode() & 0o777, 0o666);
        match take(dir.path(), Share::Exclusive) {
            Attempt::Busy { pid } => assert_eq!(pid, Some(4242)),
            Attempt::Locked(_) => panic!("two exclusive holders"),
        }
        held.write_pid(None).unwrap();
        assert_eq!(held.token(), None);
        assert!(matches!(
            take(dir.path(), Share::Shared),
            Attempt::Busy { pid: None }
        ));
        let path = held.path().to_owned();
        drop(held);
        assert!(!path.exists(), "lock file left behind");
        assert!(matches!(
            take(dir.path(), Share::Exclusive),
            Attempt::Locked(_)
        ));
    }

    #[test]
    fn a_token_outlives_its_holder_and_reaches_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let Attempt::Locked(mut held) = take(dir.path(), Share::Exclusive) else {
            panic!()
        };
        held.write_pid(Some(77)).unwrap();
        held.set_token(Some(0x5eed)).unwrap();
        let path = held.path().to_owned();
        drop(held);
        assert!(
            path.exists(),
            "the token was thrown away with the lock file"
        );
        let Attempt::Locked(mut next) = take(dir.path(), Share::Exclusive) else {
            panic!()
        };
        assert_eq!(next.token(), Some(0x5eed));
        next.write_pid(Some(78)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"78\x005eed");
        next.set_token(None).unwrap();
        drop(next);
        assert!(!path.exists());
    }

    #[test]
    fn shared_holders_keep_the_file_until_the_last_goes() {
        let dir = tempfile::tempdir().unwrap();
        let Attempt::Locked(a) = take(dir.path(), Share::Shared) else {
            panic!()
        };
        let Attempt::Locked(b) = take(dir.path(), Share::Shared) else {
            panic!()
        };
        let path = a.path().to_owned();
        drop(a);
        assert!(path.exists());
        drop(b);
        assert!(!path.exists());
    }

    #[test]
    fn links_on_the_lock_name_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let name = InstanceLock::name(dir.path(), 0x803, 0x1a2b3c);
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &name).unwrap();
        assert!(
            InstanceLock::acquire(
                dir.path(),
                (0x803, 0x1a2b3c),
                Share::Exclusive,
                Wait::NoWait,
                &Silent
            )
            .is_err()
        );
        assert!(!dir.path().join("elsewhere").exists());
        fs::remove_file(&name).unwrap();
        fs::write(dir.path().join("target"), b"").unwrap();
        fs::hard_link(dir.path().join("target"), &name).unwrap();
        assert!(
            InstanceLock::acquire(
                dir.path(),
                (0x803, 0x1a2b3c),
                Share::Exclusive,
                Wait::NoWait,
                &Silent
            )
            .is_err()
        );
    }
}
