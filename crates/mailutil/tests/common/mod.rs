//! Shared pieces of the oracle tests (and of the `mbox_open` bench, which includes this
//! module by path): UW c-client's `mailutil` and ours run as a test account, our store
//! seeing that account's files, a fixture mailbox whose every message is known
//! ([`fixture`]), and mailboxes read with our store into records that compare
//! ([`compare`]).

#![allow(dead_code)]

mod compare;
mod fixture;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use mailstore::config::StoreConfig;
use mailstore::notify::{Level, Notify};
use mailstore::{AppendMessage, Flags, SeqNo, Store};

// The bench, which includes this module too, compares no mailboxes.
#[allow(unused_imports)]
pub use compare::*;
pub use fixture::*;

/// The account UW's mailutil runs as (Debian's c-client refuses absolute paths, so it works
/// with names relative to this account's home).
pub const USER: &str = "pandatest";

/// UW c-client's mailutil.
pub const UW_MAILUTIL: &str = "/usr/bin/mailutil";

/// Our mailutil, where the test account can run it.
pub fn ours() -> String {
    runnable(Path::new(env!("CARGO_BIN_EXE_mailutil")))
}

/// A copy of executable `exe` that the test account can run (the build tree may be in a
/// home directory it cannot enter).
///
/// Each build of an executable is copied once, into a directory named after its size and
/// modification time, under a lock within the process (the tests of one file run in
/// parallel threads) and through a rename between processes, so no copy is ever seen
/// half-written.
pub fn runnable(exe: &Path) -> String {
    static COPIES: Mutex<BTreeMap<PathBuf, String>> = Mutex::new(BTreeMap::new());
    let mut copies = COPIES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(copy) = copies.get(exe) {
        return copy.clone();
    }
    // One copy per build of the program, shared by every test process (a directory
    // per process would leave one behind each run).
    let meta = fs::metadata(exe).unwrap();
    let stamp = format!("{}-{}-{}", meta.len(), meta.mtime(), meta.mtime_nsec());
    let root = std::env::temp_dir().join("panda-test-bin");
    let dir = root.join(stamp);
    fs::create_dir_all(&dir).unwrap();
    for d in [&root, &dir] {
        fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let dst = dir.join(exe.file_name().unwrap());
    if !dst.exists() {
        let tmp = dir.join(format!(
            ".{}.{}",
            exe.file_name().unwrap().to_string_lossy(),
            std::process::id()
        ));
        fs::copy(exe, &tmp).unwrap();
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).unwrap();
        fs::rename(&tmp, &dst).unwrap();
    }
    let copy = dst.to_string_lossy().into_owned();
    copies.insert(exe.to_owned(), copy.clone());
    copy
}

/// Whether the oracle can run here. In CI (`CI=true`) a missing oracle fails the test;
/// elsewhere the test says why it did nothing.
pub fn oracle_available(test: &str) -> bool {
    testkit::needs(
        test,
        Path::new(UW_MAILUTIL).exists(),
        "UW mailutil (Debian package uw-mailutils) is not installed",
    ) && testkit::needs(
        test,
        testkit::is_root(),
        "the UW oracle tests need root to run UW's mailutil as a test user",
    )
}

/// The test account's home, made once.
pub fn home() -> PathBuf {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        if nix::unistd::User::from_name(USER).ok().flatten().is_none() {
            let out = Command::new("useradd")
                .args(["-m", "-s", "/bin/sh", USER])
                .output()
                .expect("useradd");
            assert!(
                out.status.success(),
                "useradd: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let user = nix::unistd::User::from_name(USER).unwrap().unwrap();
        fs::create_dir_all(&user.dir).unwrap();
        nix::unistd::chown(&user.dir, Some(user.uid), Some(user.gid)).unwrap();
        fs::set_permissions(&user.dir, fs::Permissions::from_mode(0o755)).unwrap();
        user.dir
    })
    .clone()
}

/// A fresh directory for one test, under the test account's home; its name relative to the
/// home is returned too.
pub fn workdir(test: &str) -> (PathBuf, String) {
    let rel = format!("t-{test}");
    let dir = home().join(&rel);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    give(&dir);
    (dir, rel)
}

/// The command that runs `program args…` as the test account, in its home, with UTC as its
/// time zone.
pub fn user_command(program: &str, args: &[&str]) -> Command {
    let home = home();
    let mut command = Command::new("runuser");
    command
        .args(["-u", USER, "--", "env"])
        .arg(format!("HOME={}", home.display()))
        .arg(format!("MAIL={}/INBOX-spool", home.display()))
        .arg("TZ=UTC")
        .args(["sh", "-c", "cd \"$HOME\" && exec \"$0\" \"$@\""])
        .arg(program)
        .args(args);
    command
}

/// Runs `program args…` as the test account, in its home.
pub fn as_user(program: &str, args: &[&str]) -> Output {
    user_command(program, args).output().expect("runuser")
}

/// Runs UW's mailutil; panics with its output unless it succeeds.
pub fn uw(args: &[&str]) -> String {
    succeeded("UW mailutil", args, as_user(UW_MAILUTIL, args))
}

/// Runs UW's mailutil and returns its exit status with what it printed.
pub fn uw_status(args: &[&str]) -> (bool, String) {
    let out = as_user(UW_MAILUTIL, args);
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Runs our mailutil as the test account; panics with its output unless it succeeds.
pub fn our_mailutil(args: &[&str]) -> String {
    succeeded("our mailutil", args, as_user(&ours(), args))
}

/// What `who` printed, run with `args`; a panic with all it said unless it succeeded.
fn succeeded(who: &str, args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "{who} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Gives a file to the test account.
pub fn give(path: &Path) {
    let user = nix::unistd::User::from_name(USER).unwrap().unwrap();
    nix::unistd::chown(path, Some(user.uid), Some(user.gid)).unwrap();
}

/// Writes file `path` and gives it to the test account.
pub fn put(path: &Path, contents: impl AsRef<[u8]>) {
    fs::write(path, contents).unwrap();
    give(path);
}

/// Collects notices.
#[derive(Debug, Default)]
pub struct Notes(pub Mutex<Vec<String>>);

impl Notify for Notes {
    fn notice(&self, _level: Level, text: &str) {
        self.0.lock().unwrap().push(text.to_owned());
    }
}

/// Our store, seeing the test account's files (this process is root).
pub fn store() -> Store {
    let home = home();
    let mut cfg = StoreConfig::new(USER, &home);
    cfg.spool = home.join("INBOX-spool");
    cfg.notify = Arc::new(Notes::default());
    cfg.tz = jiff::tz::TimeZone::UTC;
    // This process is root: it must not leave root's files in the account's home.
    cfg.state_dir = None;
    Store::new(cfg)
}

/// Our store in a process run as the test account (by [`user_command`]): its home is
/// `$HOME`, and it keeps its state as that account's sessions do.
pub fn account_store() -> Store {
    let home = PathBuf::from(std::env::var("HOME").unwrap());
    let mut cfg = StoreConfig::new(USER, &home);
    cfg.spool = home.join("INBOX-spool");
    Store::new(cfg)
}

/// Sequence number `n` (from 1).
pub fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

/// A message to append as it is: no flags, no keywords, the time of the append as its
/// internal date.
pub fn append_message(data: impl Into<Vec<u8>>) -> AppendMessage {
    AppendMessage {
        data: data.into(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: None,
    }
}

/// Writes each of `texts` as a one-message UNIX mailbox `src{i}` in `dir` (`rel` relative
/// to the test account's home) and starts a thread in which UW's mailutil appends them to
/// `mailbox`, one run for each, in order.
pub fn spawn_uw_appends(
    dir: &Path,
    rel: &str,
    mailbox: &str,
    texts: &[String],
) -> std::thread::JoinHandle<()> {
    for (i, text) in texts.iter().enumerate() {
        put(&dir.join(format!("src{i}")), text);
    }
    let (rel, mailbox, n) = (rel.to_owned(), mailbox.to_owned(), texts.len());
    std::thread::spawn(move || {
        for i in 0..n {
            uw(&["append", &format!("{rel}/src{i}"), &mailbox]);
        }
    })
}
