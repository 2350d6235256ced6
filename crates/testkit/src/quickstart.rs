//! pandad's quick start, as the README's first command runs it, for one test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{free_port, listening, stop, wait_until};

/// `pandad --quickstart` in a temporary data directory, on four loopback ports chosen at
/// run time: user `demo` (password in [`QuickStart::password`]), a self-signed
/// certificate. Stopped when dropped.
#[derive(Debug)]
pub struct QuickStart {
    child: Child,
    dir: tempfile::TempDir,
    /// IMAP with STARTTLS.
    pub imap: u16,
    /// IMAP over TLS.
    pub imaps: u16,
    /// POP3 with STLS.
    pub pop3: u16,
    /// POP3 over TLS.
    pub pop3s: u16,
    /// The demo user's password.
    pub password: String,
}

impl QuickStart {
    /// Starts the program `pandad` and waits until every port takes connections.
    pub fn start(pandad: &Path) -> QuickStart {
        let dir = tempfile::tempdir().unwrap();
        let ports = [free_port(), free_port(), free_port(), free_port()];
        let mut child = Command::new(pandad)
            .arg("--quickstart")
            .arg("--data-dir")
            .arg(dir.path().join("qs"))
            .args(["--imap-port", &ports[0].to_string()])
            .args(["--imaps-port", &ports[1].to_string()])
            .args(["--pop3-port", &ports[2].to_string()])
            .args(["--pop3s-port", &ports[3].to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pw = dir.path().join("qs/demo-password");
        wait_until(
            &mut child,
            "pandad",
            Duration::from_secs(60),
            || pw.exists() && listening(&ports),
            String::new,
        );
        let password = std::fs::read_to_string(pw).unwrap().trim().to_owned();
        QuickStart {
            child,
            dir,
            imap: ports[0],
            imaps: ports[1],
            pop3: ports[2],
            pop3s: ports[3],
            password,
        }
    }

    /// The temporary directory holding the data directory `qs`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` in the data directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join("qs").join(rel)
    }

    /// The daemon's process.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for QuickStart {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
