//! `mlock`: makes `<mailbox>.lock` for a process that may not create files in the
//! mailbox's directory (UW's `mlock`, FAQ 7.10). Installed setgid `mail`, so that it can
//! write a spool directory such as Debian's `/var/mail` (`root:mail 2775`); it refuses to
//! run otherwise.
//!
//! `mlock FD PATH`: `FD` is a descriptor the caller left open on the mailbox and `PATH`
//! its name; both must be the same regular file, so that a caller can lock only a mailbox
//! it could open. The lock is made as every dot-lock is ([`mailstore::lock::dotlock`]:
//! hitching post and `link`, waiting and breaking stale locks). Then one byte on standard
//! output says how it went — `+` the lock is held, `-` it could not be made (exit
//! `EX_CANTCREAT`), `?` something that should not happen (logged) — and the lock is kept
//! until a byte (or end of file) arrives on standard input, when it is removed, if it is
//! still the one made. The protocol is c-client's; [`mailstore::lock::mlock`] is its other
//! side.

use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::ExitCode;

use mailstore::lock::dotlock::{DotLock, DotLockOutcome};
use mailstore::lock::{LockHelper, LockSettings, LockWarnings};
use mailstore::notify::Silent;
use nix::unistd::{self, Group};
use server::log::{Level, Log, Syslog};

use crate::sysexits::Exit;

const HELP: &str = "usage: mlock fd path

Makes path.lock for the caller, which has path open on descriptor fd, when the caller may
not create files in its directory. Says + on standard output once the lock is held (- if
it cannot be made, ? on error), and removes the lock when a byte or end of file arrives on
standard input. Run by mail programs (c-client, tmail, imapd), not by people; installed
setgid mail.
";

/// Runs mlock with the process's arguments.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--help") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    ExitCode::from(run(&args))
}

/// Gives up: logs why, says `?`, and returns the exit status.
fn die(msg: &str, code: u8) -> u8 {
    if Path::new("/dev/log").exists() {
        Syslog::new("mlock").line(Level::Info, &format!("({code}) {msg}"));
    }
    let _ = std::io::stdout().write_all(b"?");
    let _ = std::io::stdout().flush();
    code
}

fn errno(e: &std::io::Error) -> u8 {
    e.raw_os_error()
        .and_then(|n| u8::try_from(n).ok())
        .unwrap_or(Exit::OsErr.code())
}

fn run(args: &[String]) -> u8 {
    let usage = Exit::Usage.code();
    let mail = Group::from_name("mail").ok().flatten();
    if mail.is_none_or(|g| g.gid != unistd::getegid()) {
        return die("not setgid mail", usage);
    }
    let [fd, path] = args else {
        return die("invalid arguments", usage);
    };
    if fd.is_empty() || !fd.bytes().all(|b| b.is_ascii_digit()) {
        return die("invalid fd", usage);
    }
    // The inherited descriptor, looked at through /proc (the file it is open on).
    let open = match std::fs::metadata(format!("/proc/self/fd/{fd}"))
        .or_else(|_| std::fs::metadata(format!("/dev/fd/{fd}")))
    {
        Ok(m) => m,
        Err(e) => return die("fstat failure", errno(&e)),
    };
    if !open.is_file() {
        return die("fd not regular file", usage);
    }
    let named = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => return die("lstat failure", errno(&e)),
    };
    if !named.is_file() {
        return die("name not regular file", usage);
    }
    if (named.dev(), named.ino()) != (open.dev(), open.ino()) {
        return die("fd and name different", usage);
    }
    let mailbox = Path::new(path);
    if std::fs::symlink_metadata(DotLock::path_for(mailbox)).is_ok_and(|m| !m.is_file()) {
        return die("existing lock not regular file", Exit::NoPerm.code());
    }
    let settings = LockSettings {
        dotlock_mode: 0o664,
        warnings: LockWarnings::Hide,
        // Never ask ourselves.
        helper: LockHelper::Disabled,
        ..LockSettings::default()
    };
    let lock = match DotLock::acquire(mailbox, &settings, &Silent) {
        Ok(DotLockOutcome::Held(lock)) => lock,
        Ok(DotLockOutcome::Unavailable) | Err(_) => {
            let _ = std::io::stdout().write_all(b"-");
            let _ = std::io::stdout().flush();
            return Exit::CantCreat.code();
        }
    };
    let mut out = std::io::stdout();
    let _ = out.write_all(b"+");
    let _ = out.flush();
    let mut byte = [0u8; 1];
    let _ = std::io::stdin().read(&mut byte);
    drop(lock);
    0
}
