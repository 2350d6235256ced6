//! The fixture the POP3 tests share: user `mrc` (password `secret`, CRAM/APOP secret
//! `tanstaaf` when asked for), and an INBOX of four messages: 1 seen, 2 with a line that
//! starts with a dot, 3 already flagged `\Deleted` (so hidden), 4 plain.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ipop3d::Pop3Config;
use mailstore::mailbox::AppendMessage;
use mailstore::{Flags, Store};
use server::auth::{Authenticator, VirtualUsers};
use server::config::Plaintext;
use server::log::Memory;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub cfg: Arc<Pop3Config>,
    pub log: Arc<Memory>,
    pub store: Store,
}

pub fn fixture() -> Fixture {
    fixture_with(|_, _| {})
}

pub fn fixture_with(adjust: impl FnOnce(&mut Pop3Config, &std::path::Path)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users");
    let hash = sysuser::crypt::hash(b"secret", "$6$").unwrap();
    std::fs::write(&users, format!("mrc:{hash}\n")).unwrap();
    let v = Arc::new(VirtualUsers::new(
        &users,
        dir.path(),
        "test.example",
        Arc::new(mailstore::notify::Silent),
    ));
    let account = v.account_of("mrc").unwrap();
    let store = Store::new(account.store);
    let msg = |body: &str, flags: Flags| AppendMessage {
        data: format!("From: a@example.org\r\nSubject: s\r\n\r\n{body}").into_bytes(),
        flags,
        keywords: Vec::new(),
        date: Some(rfc822::DateTime::new(1_700_000_000, 0).unwrap()),
    };
    let msgs = vec![
        msg("first\r\n", Flags::SEEN),
        msg("line\r\n.starts with a dot\r\nend\r\n", Flags::EMPTY),
        msg("gone\r\n", Flags::DELETED),
        msg("fourth\r\n", Flags::EMPTY),
    ];
    store
        .append("INBOX", &mut msgs.into_iter().map(Ok))
        .unwrap();
    let log = Arc::new(Memory::default());
    let mut cfg = Pop3Config::new("test.example", v, Arc::clone(&log) as _);
    cfg.plaintext = Plaintext::Always;
    cfg.failed_login_delay = Duration::ZERO;
    adjust(&mut cfg, dir.path());
    Fixture {
        dir,
        cfg: Arc::new(cfg),
        log,
        store,
    }
}
