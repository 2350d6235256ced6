//! Locking, as c-client does it, so that our processes and UW's (and the MTA, procmail,
//! mutt) can use the same mailboxes at the same time.
//!
//! Three kinds of lock, each in its own module (panda-inventory.md §5):
//!
//! - [`dotlock`]: `<mailbox>.lock` files, the spool convention every UNIX mail program
//!   honours; held only while a mailbox file is read or written;
//! - `flock(2)` on the mailbox file itself, shared to read and exclusive to write (taken
//!   with `std::fs::File::lock`, which is `flock` on UNIX);
//! - [`instance`]: `/tmp/.<dev>.<ino>`, the lock that says which process has a mailbox open
//!   read-write, with the holder's PID in it;
//! - and [`kod`], the kiss of death: how a second read-write opener asks the holder of the
//!   instance lock to let go;
//! - [`mlock`]: the client side of the setgid-`mail` helper that makes dot-locks in a spool
//!   directory we may not write.

use std::path::PathBuf;
use std::time::Duration;

pub mod dotlock;
pub mod instance;
pub mod kod;
pub mod mlock;

/// Tunables of the locking protocol; the defaults are c-client's.
#[derive(Clone, Debug)]
pub struct LockSettings {
    /// How long a dot-lock may be held before it is broken (c-client `dot-lock-file-timeout`,
    /// 5 minutes).
    pub dotlock_timeout: Duration,
    /// How long to wait between attempts to take a dot-lock (1 second).
    pub dotlock_retry: Duration,
    /// Mode of dot-lock files (c-client `lock-protection`, 0666).
    pub dotlock_mode: u32,
    /// Whether "Mailbox vulnerable" warnings are given (c-client `disable-lock-warning`).
    pub warnings: LockWarnings,
    /// Where instance locks live (`/tmp`; must be the same for every user and mode 1777).
    pub tmp_dir: PathBuf,
    /// This host's name, for hitching-post files.
    pub hostname: String,
    /// How many times a read-write opener tries for the instance lock after sending the kiss
    /// of death (c-client KODRETRY, 15).
    pub kod_attempts: u32,
    /// The wait between those attempts (1 second).
    pub kod_interval: Duration,
    /// The helper that makes a dot-lock when the spool directory refuses us (`mlock`).
    pub helper: LockHelper,
}

/// The setgid-`mail` program asked to make a dot-lock when the directory of a mailbox does
/// not let us (`EACCES`; c-client's LOCKPGM, FAQ 7.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockHelper {
    /// The first of [`mlock::PLACES`] that exists (the default).
    Search,
    /// This program.
    Program(PathBuf),
    /// No helper: without permission to make the lock, go on with `flock(2)` alone.
    Disabled,
}

impl LockHelper {
    /// The program to run, if there is one.
    pub fn program(&self) -> Option<PathBuf> {
        match self {
            LockHelper::Search => mlock::PLACES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file()),
            LockHelper::Program(p) => Some(p.clone()),
            LockHelper::Disabled => None,
        }
    }
}

/// Whether lock problems that do not stop the operation are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockWarnings {
    /// Report them (the default).
    Show,
    /// Keep quiet (c-client `set disable-lock-warning`).
    Hide,
}

impl Default for LockSettings {
    fn default() -> Self {
        LockSettings {
            dotlock_timeout: Duration::from_secs(5 * 60),
            dotlock_retry: Duration::from_secs(1),
            dotlock_mode: 0o666,
            warnings: LockWarnings::Show,
            tmp_dir: PathBuf::from("/tmp"),
            hostname: nix::unistd::gethostname()
                .ok()
                .and_then(|h| h.into_string().ok())
                .unwrap_or_else(|| "localhost".to_owned()),
            kod_attempts: 15,
            kod_interval: Duration::from_secs(1),
            helper: LockHelper::Search,
        }
    }
}
