//! What the test suites of several crates share. A dev-dependency only, never shipped.
//!
//! - [`needs`], [`have`]: a test whose tool or privilege is missing says it skipped, except in
//!   CI (`CI=true`), where the absence fails it;
//! - [`free_port`], [`wait_until_listening`], [`stop`]: servers started by a test on loopback
//!   ports chosen at run time;
//! - [`QuickStart`]: pandad's quick start in a temporary directory;
//! - [`dovecot`]: Dovecot's imap served inetd-style on a loopback socket;
//! - [`Account`]: a system account made for one test and removed after it.
//!
//! A failure here is the calling test's failure, so these helpers unwrap freely.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
pub mod dovecot;
mod quickstart;

use std::net::TcpListener;
use std::process::{Child, Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use account::Account;
pub use quickstart::QuickStart;

/// Whether the test `test` can go on: `found` says whether `what` is there. In CI
/// (`CI=true`) a missing `what` fails the test; elsewhere the test says it skipped.
pub fn needs(test: &str, found: bool, what: &str) -> bool {
    if !found {
        assert!(!in_ci(), "{test}: {what}");
        eprintln!("{test}: skipped: {what}");
    }
    found
}

/// Whether `program` is on the `PATH`, as [`needs`] treats a missing one.
pub fn have(program: &str, test: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success());
    needs(test, found, &format!("{program} is not installed"))
}

/// Whether the tests run in CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// What a program wrote, standard output then standard error, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `cmd` and fails the test unless it succeeds.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", text(&out));
}

/// A loopback port nothing listens on, never the same twice in this process.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap();
    loop {
        let p = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&p) {
            given.push(p);
            return p;
        }
    }
}

/// Waits until `ready` holds, failing the test if `child` (called `name`) exits first or
/// nothing comes within `patience`; `exited` says what to add to the failure when it exits.
pub fn wait_until(
    child: &mut Child,
    name: &str,
    patience: Duration,
    mut ready: impl FnMut() -> bool,
    exited: impl Fn() -> String,
) {
    let deadline = Instant::now() + patience;
    while !ready() {
        assert!(Instant::now() < deadline, "{name} did not start");
        assert!(
            child.try_wait().unwrap().is_none(),
            "{name} exited at start-up{}",
            exited()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether something accepts connections on every one of the loopback `ports`.
pub fn listening(ports: &[u16]) -> bool {
    ports
        .iter()
        .all(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok())
}

/// Waits until `child` (called `name`) accepts connections on all the loopback `ports`.
pub fn wait_until_listening(child: &mut Child, name: &str, ports: &[u16]) {
    wait_until(
        child,
        name,
        Duration::from_secs(60),
        || listening(ports),
        String::new,
    );
}

/// Ends `child` with SIGTERM (as an operator would) and waits for it, unless it has ended.
pub fn stop(child: &mut Child) {
    if child.try_wait().ok().flatten().is_none() {
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        let _ = child.wait();
    }
}
