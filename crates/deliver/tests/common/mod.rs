//! Shared pieces of the delivery tests: accounts made for the test and removed after it,
//! the programs under test (ours and UW's), and reading what was delivered.
//!
//! The tests need root (tmail becomes the recipient; mlock must be setgid `mail`) and UW's
//! tools (Debian's uw-mailutils and mlock): in CI (`CI=true`) their absence fails the test,
//! elsewhere the test says why it did nothing.

#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use nix::unistd::Uid;
use testkit::Account;

/// UW's programs.
pub const UW_TMAIL: &str = "/usr/bin/tmail";
pub const UW_DMAIL: &str = "/usr/bin/dmail";
pub const UW_MAILUTIL: &str = "/usr/bin/mailutil";
pub const UW_MLOCK: &str = "/usr/bin/mlock";

/// Whether the test can run here (see the module documentation).
pub fn can_run(test: &str) -> bool {
    testkit::needs(test, testkit::is_root(), "the delivery tests need root")
        && testkit::needs(
            test,
            [UW_TMAIL, UW_DMAIL, UW_MAILUTIL, UW_MLOCK]
                .iter()
                .all(|p| Path::new(p).exists()),
            "UW's tmail, dmail, mailutil and mlock (Debian uw-mailutils, mlock) are needed",
        )
        && testkit::needs(
            test,
            Command::new("useradd").arg("--help").output().is_ok(),
            "useradd is needed",
        )
}

/// An account made for one test, removed (with its home and spool file) when dropped.
#[derive(Debug)]
pub struct TestUser(Account);

impl TestUser {
    /// A new account whose name starts with `prefix` (a few letters), without a spool file.
    pub fn new(prefix: &str) -> TestUser {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "pd{prefix}{}x{}",
            std::process::id() % 100_000,
            N.fetch_add(1, Ordering::SeqCst)
        );
        let user = TestUser(Account::add(&name));
        let _ = fs::remove_file(user.spool());
        user
    }

    /// Makes the spool file as the system's tools do: the user's, group `mail`, 0660.
    pub fn make_spool(&self) {
        let p = self.spool();
        let _ = fs::remove_file(&p);
        fs::write(&p, b"").unwrap();
        let mail = nix::unistd::Group::from_name("mail").unwrap().unwrap();
        nix::unistd::chown(&p, Some(self.uid), Some(mail.gid)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o660)).unwrap();
    }

    /// UW's `mailutil create MAILBOX`, run as this user; it must succeed.
    pub fn uw_create(&self, mailbox: &str) {
        let out = self
            .command(UW_MAILUTIL)
            .args(["create", mailbox])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    /// UW's `mailutil check MAILBOX`, run as this user: its standard output.
    pub fn uw_check(&self, mailbox: &str) -> String {
        let out = self
            .command(UW_MAILUTIL)
            .args(["check", mailbox])
            .output()
            .unwrap();
        testkit::text(&out)
    }
}

impl std::ops::Deref for TestUser {
    type Target = Account;

    fn deref(&self) -> &Account {
        &self.0
    }
}

/// Our programs.
pub fn ours(program: &str) -> PathBuf {
    let tmail = PathBuf::from(env!("CARGO_BIN_EXE_tmail"));
    tmail.with_file_name(program)
}

/// Runs `cmd` with `input` on standard input.
pub fn feed(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// The exit code and the lines on standard error of a delivery, without the lock
/// warnings UW gives where it has no working mlock (ours uses one).
pub fn outcome(o: &Output) -> (Option<i32>, Vec<String>) {
    let lines = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| !l.starts_with("Mailbox vulnerable"))
        .map(str::to_owned)
        .collect();
    (o.status.code(), lines)
}

/// A copy of our `mlock`, setgid `mail`, in a directory everybody may enter.
pub fn setgid_mlock(dir: &Path) -> PathBuf {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    let p = dir.join("mlock");
    fs::copy(ours("mlock"), &p).unwrap();
    let mail = nix::unistd::Group::from_name("mail").unwrap().unwrap();
    nix::unistd::chown(&p, Some(Uid::from_raw(0)), Some(mail.gid)).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o2755)).unwrap();
    assert_eq!(fs::metadata(&p).unwrap().mode() & 0o7777, 0o2755);
    p
}

/// A message with a unique Message-ID and some lines that begin with `From `.
pub fn message(id: &str, body_lines: usize) -> Vec<u8> {
    let mut m = format!(
        "From sender@example.org Thu Nov 26 00:00:00 2026\n\
         From: Sender <sender@example.org>\nTo: rcpt\nSubject: test {id}\n\
         Message-ID: <{id}@deliver.test>\n\n"
    );
    for i in 0..body_lines {
        if i % 7 == 3 {
            m.push_str(&format!("From the body, line {i} of {id}\n"));
        } else {
            m.push_str(&format!("line {i} of {id}: the quick brown fox jumps\n"));
        }
    }
    m.into_bytes()
}
