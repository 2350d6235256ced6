//! Shared namespaces over IMAP (FAQ 4.6, panda-inventory.md §4.5): NAMESPACE, CREATE, LIST,
//! APPEND and SELECT in `#public/`, BBOARD (IMAP2bis) opening `#public/` names, and
//! restricted names refused. The user is a system-style account (not a virtual user)
//! whose `Homes` put `ftp`, `imappublic` and `imapshared` in temporary directories.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

mod common;

use common::TestHomes;
use imapd::{ImapSession, SessionConfig};
use mailstore::StoreConfig;
use mailstore::config::Restrict;
use server::auth::{Account, Authenticator};
use server::config::Plaintext;
use server::log::Memory;
use server::session::{Session, Transport};

/// One user, `me` with password `secret`, whose store is `cfg`.
#[derive(Debug)]
struct OneUser(StoreConfig);

impl Authenticator for OneUser {
    fn login(&self, user: &str, password: &[u8]) -> Option<Account> {
        (password == b"secret")
            .then(|| self.account_of(user))
            .flatten()
    }

    fn account_of(&self, user: &str) -> Option<Account> {
        (user == "me").then(|| Account {
            user: user.to_owned(),
            store: self.0.clone(),
        })
    }
}

/// A site under `dir` with the accounts `accounts` (of `ftp`, `imappublic`,
/// `imapshared`).
fn site(dir: &Path, accounts: &[&str], restrict: Restrict) -> Arc<SessionConfig> {
    let mut homes = BTreeMap::new();
    for (user, d) in [
        ("ftp", "ftp"),
        ("imappublic", "pub"),
        ("imapshared", "shared"),
    ] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
        if accounts.contains(&user) {
            homes.insert(user.to_owned(), dir.join(d));
        }
    }
    std::fs::create_dir_all(dir.join("me")).unwrap();
    std::fs::create_dir_all(dir.join("locks")).unwrap();
    let mut store = StoreConfig::new("me", dir.join("me"));
    store.homes = Arc::new(TestHomes(homes));
    store.spool = dir.join("spool-me");
    store.locks.tmp_dir = dir.join("locks");
    store.state_dir = None;
    store.news_active = dir.join("no-active-file");
    store.restrict = restrict;
    store.hostname = "test.example".into();
    let mut cfg = SessionConfig::new(
        "test.example",
        Arc::new(OneUser(store)),
        Arc::new(Memory::default()),
    );
    cfg.plaintext = Plaintext::Always;
    cfg.alert_file = None;
    cfg.nologin_file = None;
    cfg.failed_login_delay = Duration::ZERO;
    Arc::new(cfg)
}

fn volatile(g: &str) -> String {
    let mut g = g.to_owned();
    if g.starts_with("* OK [CAPABILITY") && g.contains("Panda IMAP in Rust") {
        g = format!(
            "{}Panda IMAP in Rust {{*}}",
            &g[..g.find("Panda IMAP in Rust").unwrap()]
        );
    }
    for key in ["UIDVALIDITY ", "APPENDUID "] {
        if let Some(at) = g.find(key) {
            let start = at + key.len();
            let end = start + g[start..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
            g.replace_range(start..end, "{*}");
        }
    }
    g
}

#[test]
fn shared_namespaces_transcript() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/shared_namespaces.txt");
    if std::env::var_os("TRANSCRIPT_RECORD").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = site(
            dir.path(),
            &["ftp", "imappublic", "imapshared"],
            Restrict::None,
        );
        let make = || ImapSession::new(Arc::clone(&cfg), "[192.0.2.1]", Transport::Plain);
        server::transcript::record(&path, &make, &volatile);
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = site(
        dir.path(),
        &["ftp", "imappublic", "imapshared"],
        Restrict::None,
    );
    let make = || ImapSession::new(Arc::clone(&cfg), "[192.0.2.1]", Transport::Plain);
    server::transcript::replay(&path, &make);
    let mode = |p: &str| {
        std::fs::metadata(dir.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("pub/keep"), 0o666);
    assert_eq!(mode("pub/news"), 0o777);
    assert_eq!(mode("pub/old"), 0o777);
    assert_eq!(mode("shared/team"), 0o660);
    assert_eq!(mode("ftp/export"), 0o644);
}

/// Sends `input`, runs every command, returns the output.
fn run(s: &mut ImapSession, input: &str) -> String {
    s.receive(input.as_bytes());
    let mut out = Vec::new();
    while let Some(r) = s.step() {
        out.extend_from_slice(&r.bytes);
    }
    String::from_utf8(out).unwrap()
}

fn logged_in(cfg: &Arc<SessionConfig>) -> ImapSession {
    let mut s = ImapSession::new(Arc::clone(cfg), "[192.0.2.9]", Transport::Plain);
    s.greeting();
    assert!(run(&mut s, "a LOGIN me secret\r\n").contains("a OK"));
    s
}

#[test]
fn namespace_leaves_out_what_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = site(dir.path(), &["imappublic"], Restrict::None);
    let mut s = logged_in(&cfg);
    assert_eq!(
        run(&mut s, "n NAMESPACE\r\n"),
        "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#public/\" \"/\"))\r\nn OK NAMESPACE completed\r\n"
    );
    let out = run(&mut s, "c CREATE #ftp/x\r\n");
    assert!(out.starts_with("c NO [CANNOT] "), "{out}");
    assert!(out.contains("unknown namespace"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let cfg = site(dir.path(), &[], Restrict::All);
    let mut s = logged_in(&cfg);
    assert_eq!(
        run(&mut s, "n NAMESPACE\r\n"),
        "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\nn OK NAMESPACE completed\r\n"
    );
    let out = run(&mut s, "b BBOARD general\r\n");
    assert!(out.starts_with("b NO "), "{out}");
}

#[test]
fn restricted_names_are_refused_over_imap() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = site(dir.path(), &["imappublic"], Restrict::All);
    let mut s = logged_in(&cfg);
    for (cmd, name) in [
        ("CREATE", "../x"),
        ("CREATE", "#public/../x"),
        ("CREATE", "/etc/x"),
        ("CREATE", "~root/x"),
        ("SELECT", "/etc/passwd"),
        ("DELETE", "a//b"),
        ("RENAME", "a/~b"),
    ] {
        let args = if cmd == "RENAME" {
            format!("\"{name}\" y")
        } else {
            format!("\"{name}\"")
        };
        let out = run(&mut s, &format!("t {cmd} {args}\r\n"));
        assert!(
            out.ends_with(&format!(
                "t NO [CANNOT] Invalid mailbox name: {name}: restricted name\r\n"
            )),
            "{cmd} {name}: {out}"
        );
    }
    assert!(!dir.path().join("x").exists());
}
