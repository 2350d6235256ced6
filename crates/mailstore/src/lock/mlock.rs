//! The client side of `mlock`, the setgid-`mail` program that makes `<mailbox>.lock` for
//! a process that may not create files in the spool directory (Debian's `/var/mail` is
//! `root:mail 2775`; FAQ 7.10, panda-inventory.md §5.2 and §6.4).
//!
//! The protocol is c-client's (`dotlock_lock` in `env_unix.c`, and UW's `mlock.c`):
//!
//! - the helper is run with two arguments, the number of a file descriptor it inherits that
//!   is open on the mailbox, and the mailbox's absolute path; it checks that both are the
//!   same regular file;
//! - on its standard output it writes one byte: `+` once it holds the lock, `-` when it
//!   gave up (exit `EX_CANTCREAT`), `?` on an error that should not happen (logged);
//! - it then waits for one byte (or end of file) on its standard input, removes the lock
//!   and exits.
//!
//! So the lock is held for as long as we keep the helper's standard input open; dropping a
//! [`HelperLock`] writes the byte, closes the pipe and waits for the helper to finish, so
//! that the lock is gone when the drop returns. UW's `mlock` and ours speak the same
//! protocol and either serves either side.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

/// Where c-client builds look for the helper (LOCKPGM), Debian's package first.
pub const PLACES: [&str; 4] = [
    "/usr/bin/mlock",
    "/usr/sbin/mlock",
    "/usr/libexec/mlock",
    "/etc/mlock",
];

/// What the helper said.
#[derive(Debug)]
pub enum HelperOutcome {
    /// It holds the lock until the value is dropped.
    Held(HelperLock),
    /// It could not make the lock (`-`, `?`, or nothing); the byte it wrote, if any.
    Refused(Option<u8>),
}

/// A dot-lock held by a helper process on our behalf.
#[derive(Debug)]
pub struct HelperLock {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl HelperLock {
    /// Asks `program` to lock `mailbox`, which must exist: blocks until the helper has the
    /// lock or gives up (it waits for a busy lock as a dot-lock waits, up to 5 minutes).
    pub fn take(program: &Path, mailbox: &Path) -> io::Result<HelperOutcome> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
            .open(mailbox)?;
        Self::take_with(program, &file, mailbox)
    }

    /// As [`take`](Self::take), with the mailbox already open as `file`.
    pub fn take_with(program: &Path, file: &File, mailbox: &Path) -> io::Result<HelperOutcome> {
        // The descriptor the helper inherits: a duplicate, which (unlike the files std
        // opens) is not closed on exec.
        let inherited = nix::unistd::dup(file).map_err(io::Error::from)?;
        let spawned = Command::new(program)
            .arg(inherited.as_raw_fd().to_string())
            .arg(mailbox)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        drop(inherited);
        let mut child = spawned?;
        let stdin = child.stdin.take();
        let mut answer = [0u8; 1];
        let got = match child.stdout.as_mut() {
            Some(out) => out.read(&mut answer).unwrap_or(0),
            None => 0,
        };
        if got == 1 && answer[0] == b'+' {
            return Ok(HelperOutcome::Held(HelperLock { child, stdin }));
        }
        drop(stdin);
        let _ = child.wait();
        Ok(HelperOutcome::Refused((got == 1).then_some(answer[0])))
    }
}

impl Drop for HelperLock {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"+");
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A helper speaking the protocol: checks that the descriptor it was given is open,
    /// makes the lock, says `+`, and removes the lock when told.
    fn script(dir: &Path, body: &str) -> std::path::PathBuf {
        let p = dir.join("helper");
        fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn helper_holds_the_lock_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("INBOX");
        fs::write(&mbox, b"").unwrap();
        let helper = script(
            dir.path(),
            "[ -e /proc/self/fd/$1 ] || { printf '?'; exit 64; }\n\
             : > \"$2.lock\"; printf +; head -c 1 >/dev/null; rm -f \"$2.lock\"",
        );
        let HelperOutcome::Held(lock) = HelperLock::take(&helper, &mbox).unwrap() else {
            panic!("helper refused");
        };
        assert!(dir.path().join("INBOX.lock").exists());
        drop(lock);
        assert!(!dir.path().join("INBOX.lock").exists());
    }

    #[test]
    fn helper_refusal_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mbox = dir.path().join("INBOX");
        fs::write(&mbox, b"").unwrap();
        let helper = script(dir.path(), "printf -; exit 73");
        assert!(matches!(
            HelperLock::take(&helper, &mbox).unwrap(),
            HelperOutcome::Refused(Some(b'-'))
        ));
        let silent = script(dir.path(), "exit 1");
        assert!(matches!(
            HelperLock::take(&silent, &mbox).unwrap(),
            HelperOutcome::Refused(None)
        ));
    }
}
