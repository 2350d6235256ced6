//! What pandad's tests share: the files in `tests/support`, the quick-start daemon; for the
//! system-user tests, root and the shadow tools, test accounts made with `useradd` and
//! removed after, files put in place for a test. What other crates' tests need too is in
//! the `testkit` crate.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use client::{Prompt, Secret};
use nix::unistd::User;
use testkit::{Account, QuickStart};

/// `name` in `tests/support` (the Python clients and helpers the tests run).
pub fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// pandad's quick start, as built for these tests.
pub fn quick_start() -> QuickStart {
    QuickStart::start(Path::new(env!("CARGO_BIN_EXE_pandad")))
}

/// The real, effective, saved and file-system user ids of process `pid`.
pub fn uids(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A prompt that fails the test if it is asked anything.
pub struct NoPassword;

impl Prompt for NoPassword {
    fn user(&mut self, server: &str) -> std::io::Result<String> {
        panic!("user name asked for {server}")
    }

    fn password(&mut self, server: &str, user: &str) -> std::io::Result<Secret> {
        panic!("password of {user} asked for {server}")
    }
}

/// Whether the test can run: root and the shadow tools; in CI their absence fails.
pub fn can_run(test: &str) -> bool {
    testkit::needs(test, testkit::is_root(), "needs root")
        && [
            "useradd", "userdel", "chpasswd", "chage", "usermod", "groupadd", "groupdel", "date",
        ]
        .iter()
        .all(|tool| testkit::have(tool, test))
}

/// Test accounts, removed with their homes and spools when dropped (even on failure).
pub struct TestUsers(pub Vec<Account>);

impl TestUsers {
    pub fn add(&mut self, name: &str, password: &str) -> User {
        let account = Account::add(name);
        account.set_password(password);
        self.0.push(account);
        User::from_name(name).unwrap().unwrap()
    }
}

/// A file put in place for the test and taken away after (the previous one restored).
pub struct PlacedFile {
    path: PathBuf,
    before: Option<Vec<u8>>,
}

impl PlacedFile {
    pub fn new(path: &Path, text: &str) -> Self {
        let before = std::fs::read(path).ok();
        std::fs::write(path, text).unwrap();
        PlacedFile {
            path: path.to_owned(),
            before,
        }
    }
}

impl Drop for PlacedFile {
    fn drop(&mut self) {
        match &self.before {
            Some(b) => {
                let _ = std::fs::write(&self.path, b);
            }
            None => {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}
