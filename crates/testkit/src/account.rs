//! System accounts made for one test with the shadow tools and removed after it.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::unistd::{Gid, Uid, User};

use crate::run;

/// An account made with `useradd -m` (any earlier one of that name removed first), removed
/// with its home, spool file and spool lock when dropped, even when the test fails.
#[derive(Debug)]
pub struct Account {
    /// The login name.
    pub name: String,
    /// Its user id.
    pub uid: Uid,
    /// Its primary group.
    pub gid: Gid,
    /// Its home directory (made).
    pub home: PathBuf,
}

impl Account {
    /// Makes the account `name`, with `/bin/sh` as its shell.
    pub fn add(name: &str) -> Account {
        let _ = Command::new("userdel").args(["-r", "-f", name]).output();
        run(Command::new("useradd").args(["-m", "-s", "/bin/sh", name]));
        let u = User::from_name(name).unwrap().unwrap();
        Account {
            name: name.to_owned(),
            uid: u.uid,
            gid: u.gid,
            home: u.dir,
        }
    }

    /// Sets its password with `chpasswd`.
    pub fn set_password(&self, password: &str) {
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        chpasswd
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{}:{password}\n", self.name).as_bytes())
            .unwrap();
        assert!(chpasswd.wait().unwrap().success());
    }

    /// Its spool file, `/var/mail/<name>`.
    pub fn spool(&self) -> PathBuf {
        Path::new("/var/mail").join(&self.name)
    }

    /// A command running `program` as this user, in its home, with its `HOME`, `USER` and
    /// `LOGNAME` (and no `MAIL`).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.uid(self.uid.as_raw())
            .gid(self.gid.as_raw())
            .current_dir(&self.home)
            .env("HOME", &self.home)
            .env("USER", &self.name)
            .env("LOGNAME", &self.name)
            .env_remove("MAIL");
        c
    }

    /// Gives `path` to this user.
    pub fn own(&self, path: &Path) {
        nix::unistd::chown(path, Some(self.uid), Some(self.gid)).unwrap();
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.spool());
        let _ = std::fs::remove_file(format!("{}.lock", self.spool().display()));
        let _ = Command::new("userdel")
            .args(["-r", "-f", &self.name])
            .output();
    }
}
