//! The kiss of death: how a second read-write opener of a `unix` or `mmdf` mailbox asks the
//! holder to let go (FAQ 7.19).
//!
//! Only one process may have such a mailbox open read-write: the holder of the instance
//! lock ([`super::instance`]), whose PID is in the lock file. A new read-write opener that
//! finds the lock held sends that PID `SIGUSR2` once ("Trying to get mailbox lock from
//! process N"), then tries for the lock once a second for 15 seconds; if it still cannot
//! have it, it opens read-only ("Mailbox is open by another process, access is readonly").
//! The holder, on the signal, writes out what it has pending, releases the lock and either
//! carries on read-only or ends ("Killed (lost mailbox lock)").
//!
//! Within one process (the daemon runs many sessions in one), a signal would reach every
//! session and the process itself; so an opener that finds its own PID in the lock file
//! instead flags the session that holds it, through a registry kept here. A `SIGUSR2` from
//! another process reaches every holder in this process, which is what c-client's one
//! process per session amounts to for that process's sessions.
//!
//! Source: panda-inventory.md §5.4; c-client `unix.c` (`unix_open`), imapd `kodint`.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// How many `SIGUSR2` signals this process has received since [`install`].
static SIGNALS: AtomicU64 = AtomicU64::new(0);

/// Each read-write holder's flag, by the mailbox's (device, inode).
type Holders = Mutex<HashMap<(u64, u64), Arc<AtomicBool>>>;

/// The read-write holders in this process.
fn holders() -> &'static Holders {
    static HOLDERS: OnceLock<Holders> = OnceLock::new();
    HOLDERS.get_or_init(Default::default)
}

/// Makes this process receive the kiss of death: `SIGUSR2` no longer terminates it but
/// flags every read-write holder of a mailbox in it. Programs that open mailboxes
/// read-write call this once at start; calling it again does nothing.
pub fn install() -> io::Result<()> {
    static INSTALLED: OnceLock<io::Result<()>> = OnceLock::new();
    let r = INSTALLED.get_or_init(|| {
        let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGUSR2])?;
        std::thread::Builder::new()
            .name("kiss-of-death".into())
            .spawn(move || {
                for _ in signals.forever() {
                    SIGNALS.fetch_add(1, Ordering::SeqCst);
                }
            })?;
        Ok(())
    });
    match r {
        Ok(()) => Ok(()),
        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
    }
}

/// A read-write holder's registration: tells it when somebody wants the mailbox.
#[derive(Debug)]
pub struct Claim {
    key: (u64, u64),
    flag: Arc<AtomicBool>,
    signals_at_start: u64,
    /// Whether another process may ask: c-client's silent streams (COPY and APPEND) cannot
    /// be killed and do not write their PID.
    killable: Killable,
}

/// Whether a holder gives the mailbox up when asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Killable {
    /// It does (an interactive session).
    Yes,
    /// It does not (a short internal operation such as an append).
    No,
}

impl Claim {
    /// Registers a holder of the mailbox with device and inode `key`.
    pub fn new(key: (u64, u64), killable: Killable) -> Claim {
        let flag = Arc::new(AtomicBool::new(false));
        if let Ok(mut h) = holders().lock() {
            h.insert(key, Arc::clone(&flag));
        }
        Claim {
            key,
            flag,
            signals_at_start: SIGNALS.load(Ordering::SeqCst),
            killable,
        }
    }

    /// Whether somebody has asked this holder to let go.
    pub fn requested(&self) -> bool {
        self.killable == Killable::Yes
            && (self.flag.load(Ordering::SeqCst)
                || SIGNALS.load(Ordering::SeqCst) != self.signals_at_start)
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut h) = holders().lock()
            && h.get(&self.key).is_some_and(|f| Arc::ptr_eq(f, &self.flag))
        {
            h.remove(&self.key);
        }
    }
}

/// Asks a holder in this process to let go of the mailbox `key`; false if there is none.
pub fn ask_in_process(key: (u64, u64)) -> bool {
    match holders().lock() {
        Ok(h) => match h.get(&key) {
            Some(flag) => {
                flag.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        },
        Err(_) => false,
    }
}

/// Sends the kiss of death to process `pid`. Refused (false) for process 1 and below, and
/// when we are root: the PID comes from a file anyone may write, and root's signal would
/// reach any process.
pub fn ask_process(pid: i32) -> bool {
    if pid <= 1 || nix::unistd::geteuid().is_root() {
        return false;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGUSR2,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_process_request_reaches_the_holder() {
        let key = (1, 0xdead_beef);
        let c = Claim::new(key, Killable::Yes);
        assert!(!c.requested());
        assert!(ask_in_process(key));
        assert!(c.requested());
        drop(c);
        assert!(!ask_in_process(key));
    }

    #[test]
    fn unkillable_holders_ignore_requests() {
        let key = (2, 0xbeef);
        let c = Claim::new(key, Killable::No);
        assert!(ask_in_process(key));
        assert!(!c.requested());
    }

    #[test]
    fn nonsense_pids_are_not_signalled() {
        assert!(!ask_process(0));
        assert!(!ask_process(1));
        assert!(!ask_process(-5));
    }
}
