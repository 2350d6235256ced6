//! What the system-user tests share: root and the shadow tools, test accounts made with
//! `useradd` and removed after, files put in place for a test.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::unistd::{Uid, User};

/// Whether the test can run: root and the shadow tools; in CI their absence fails.
pub fn can_run(test: &str) -> bool {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !Uid::effective().is_root() {
        assert!(!ci, "{test}: needs root");
        eprintln!("{test}: skipped: needs root");
        return false;
    }
    for tool in [
        "useradd", "userdel", "chpasswd", "chage", "usermod", "groupadd", "groupdel", "date",
    ] {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(!ci, "{test}: {tool} is not installed");
            eprintln!("{test}: skipped: {tool} is not installed");
            return false;
        }
    }
    true
}

pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {out:?}");
}

/// Test accounts, removed with their homes and spools when dropped (even on failure).
pub struct TestUsers(pub Vec<String>);

impl TestUsers {
    pub fn add(&mut self, name: &str, password: &str) -> User {
        let _ = Command::new("userdel").args(["-r", name]).output();
        run(Command::new("useradd").args(["-m", "-s", "/bin/sh", name]));
        self.0.push(name.to_owned());
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        chpasswd
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{name}:{password}\n").as_bytes())
            .unwrap();
        assert!(chpasswd.wait().unwrap().success());
        User::from_name(name).unwrap().unwrap()
    }
}

impl Drop for TestUsers {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = Command::new("userdel").args(["-r", "-f", name]).output();
            let _ = std::fs::remove_file(Path::new("/var/mail").join(name));
        }
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
