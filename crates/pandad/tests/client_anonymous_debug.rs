//! The client's `/anonymous` and `/debug` switches against `pandad` with virtual users:
//! anonymous access while the `anonymous_newsgroups` file exists (read-only, no password
//! asked) and none without it; the `/debug` trace on standard error shows the commands
//! and the server's answers, never the password.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use client::{ClientError, ClientOptions, FixedPrompt, RemoteName, Session};
use common::NoPassword;
use testkit::free_port;

const PASSWORD: &str = "Debug-Secret-9q";

/// Set for the copy of the test that connects with `/debug`: "IMAP-PORT POP3-PORT".
const DEBUG_PORTS: &str = "PANDA_CLIENT_DEBUG_PORTS";

#[test]
fn anonymous_while_the_file_exists() {
    let dir = tempfile::tempdir().unwrap();
    let d = Pandad::start(dir.path());
    let name = RemoteName::parse(&format!("{{127.0.0.1:{}/anonymous}}", d.imap)).unwrap();
    let mut s = Session::connect(&name, &ClientOptions::default(), &mut NoPassword).unwrap();
    // Anonymous users create nothing.
    let e = s.create("anonymous-made").unwrap_err();
    assert!(matches!(e, ClientError::Server(_)), "{e:?}");
    s.logout().unwrap();
    assert!(!dir.path().join("data/anonymous/anonymous-made").exists());

    // Without the file there is no anonymous access.
    std::fs::remove_file(&d.anonymous_file).unwrap();
    let e = Session::connect(&name, &ClientOptions::default(), &mut NoPassword).unwrap_err();
    assert!(matches!(e, ClientError::Server(_)), "{e:?}");
    drop(d);
    let log = std::fs::read_to_string(dir.path().join("pandad.log")).unwrap();
    assert!(log.to_ascii_lowercase().contains("anonymous"), "{log}");
}

#[test]
fn debug_traces_commands_but_never_the_password() {
    // The same test, run again by itself so that its standard error can be read.
    if std::env::var_os(DEBUG_PORTS).is_some() {
        return connect_with_debug();
    }
    let dir = tempfile::tempdir().unwrap();
    let d = Pandad::start(dir.path());
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "debug_traces_commands_but_never_the_password"])
        .args(["--nocapture", "--test-threads=1"])
        .env(DEBUG_PORTS, format!("{} {}", d.imap, d.pop3))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    for shown in [
        "< * OK",
        "> A0001 LOGIN \"demo\" <secret>",
        "LIST",
        "LOGOUT",
        "> USER demo",
        "> PASS <secret>",
        "> STAT",
        "> QUIT",
    ] {
        assert!(
            stderr.contains(shown),
            "{shown:?} not in the trace:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains(PASSWORD),
        "the password is in the trace:\n{stderr}"
    );
}

/// The client sessions with `/debug`, in the copy of the test whose trace is read.
fn connect_with_debug() {
    let ports = std::env::var(DEBUG_PORTS).expect("run it via the outer test");
    let (imap, pop3) = ports.split_once(' ').unwrap();
    for name in [
        format!("{{127.0.0.1:{imap}/notls/debug/user=demo}}"),
        format!("{{127.0.0.1:{pop3}/pop3/notls/debug/user=demo}}"),
    ] {
        let name = RemoteName::parse(&name).unwrap();
        let mut prompt = FixedPrompt::new("demo", PASSWORD);
        let mut s = Session::connect(&name, &ClientOptions::default(), &mut prompt).unwrap();
        s.list("", "*").unwrap();
        s.status("INBOX").unwrap();
        s.logout().unwrap();
    }
}

/// `pandad` with a virtual user `demo`, plaintext passwords allowed, and anonymous access
/// while `anonymous_file` exists.
struct Pandad {
    child: Child,
    imap: u16,
    pop3: u16,
    anonymous_file: PathBuf,
}

impl Pandad {
    fn start(dir: &Path) -> Pandad {
        let hash = sysuser::crypt::hash(PASSWORD.as_bytes(), "$y$").unwrap();
        std::fs::write(dir.join("users"), format!("demo:{hash}\n")).unwrap();
        let anonymous_file = dir.join("anonymous.newsgroups");
        std::fs::write(&anonymous_file, "").unwrap();
        let (imap, pop3) = (free_port(), free_port());
        let config = dir.join("panda.toml");
        std::fs::write(
            &config,
            format!(
                "hostname = \"localhost\"\n\
                 accounts = \"virtual\"\n\
                 data_dir = \"data\"\n\
                 users = \"users\"\n\
                 plaintext = \"always\"\n\
                 anonymous_newsgroups = \"{}\"\n\
                 c_client_cf = \"none.cf\"\n\
                 alert_file = \"none.alert\"\n\
                 nologin_file = \"none.nologin\"\n\
                 [[listen]]\n\
                 address = \"127.0.0.1:{imap}\"\n\
                 protocol = \"imap\"\n\
                 [[listen]]\n\
                 address = \"127.0.0.1:{pop3}\"\n\
                 protocol = \"pop3\"\n",
                anonymous_file.display()
            ),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pandad"))
            .args(["--config".as_ref(), config.as_os_str()])
            .args(["--log", "stderr"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("pandad.log")).unwrap())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while [imap, pop3]
            .iter()
            .any(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_err())
        {
            assert!(Instant::now() < deadline, "pandad did not start");
            assert!(child.try_wait().unwrap().is_none(), "pandad exited");
            std::thread::sleep(Duration::from_millis(50));
        }
        Pandad {
            child,
            imap,
            pop3,
            anonymous_file,
        }
    }
}

impl Drop for Pandad {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
