//! Session transcripts on the spool INBOX beyond the traditional format: a spool file in
//! MMDF format is INBOX (selected, appended to, expunged, all in MMDF), and STATUS of an
//! INBOX kept in mbx in the home directory counts the mail still waiting in the spool, as
//! c-client's `mbx_status` does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{Fixture, fixture, fixture_with};
use imapd::ImapSession;
use mailstore::{Access, AppendMessage, Close, Flags};
use server::auth::{Account, Authenticator};
use server::session::Transport;

/// The fixture's users with the spool file somewhere of its own (a virtual user's spool is
/// `~/INBOX`), as a system user's is.
#[derive(Debug)]
struct SeparateSpool {
    inner: Arc<dyn Authenticator>,
    spool: PathBuf,
}

impl SeparateSpool {
    fn moved(&self, account: Option<Account>) -> Option<Account> {
        let mut a = account?;
        a.store.spool = self.spool.clone();
        Some(a)
    }
}

impl Authenticator for SeparateSpool {
    fn login(&self, user: &str, password: &[u8]) -> Option<Account> {
        self.moved(self.inner.login(user, password))
    }

    fn account_of(&self, user: &str) -> Option<Account> {
        self.moved(self.inner.account_of(user))
    }
}

/// Two messages as an MMDF delivery agent writes them, the second already read.
const MMDF_SPOOL: &[u8] = b"\x01\x01\x01\x01\n\
From a@b.example Wed Dec  2 05:53:22 1992\n\
Subject: one\n\
\n\
first body\n\
From here, not escaped\n\
\x01\x01\x01\x01\n\
\x01\x01\x01\x01\n\
From a@b.example Wed Dec  2 05:53:23 1992\n\
Subject: two\n\
Status: RO\n\
\n\
second body\n\
\x01\x01\x01\x01\n";

fn transcript(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/transcripts")
        .join(format!("{name}.txt"))
}

/// What changes from run to run in this server's answers.
fn volatile(g: &str) -> String {
    let mut g = g.to_owned();
    if let Some(at) = g.find("Panda IMAP in Rust") {
        g = format!("{}Panda IMAP in Rust {{*}}", &g[..at]);
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

/// Replays transcript `name` (or, with `TRANSCRIPT_RECORD` set, rewrites it).
fn record_or_replay(f: &Fixture, name: &str) {
    if std::env::var_os("TRANSCRIPT_RECORD").is_some() {
        let make = || ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.1]", Transport::Plain);
        server::transcript::record(&transcript(name), &make, &volatile);
        return;
    }
    let make = || ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.1]", Transport::Plain);
    server::transcript::replay(&transcript(name), &make);
}

#[test]
fn mmdf_spool_inbox() {
    let f = fixture();
    let spool = f.store.config().spool.clone();
    std::fs::write(&spool, MMDF_SPOOL).unwrap();
    record_or_replay(&f, "mmdf_spool_inbox");
    let data = std::fs::read(&spool).unwrap();
    assert!(data.starts_with(b"\x01\x01\x01\x01\n"));
    assert!(data.ends_with(b"\nFrom the body\n\x01\x01\x01\x01\n"));
    assert!(!String::from_utf8_lossy(&data).contains("Subject: one"));
}

#[test]
fn home_inbox_status() {
    let spool_dir = tempfile::tempdir().unwrap();
    let spool = spool_dir.path().join("mrc");
    let f = fixture_with(|c| {
        c.auth = Arc::new(SeparateSpool {
            inner: Arc::clone(&c.auth),
            spool: spool.clone(),
        });
    });
    // The fixture's twelve messages become the spool's; INBOX is made in mbx at home.
    let inbox = f.store.config().home.join("INBOX");
    std::fs::rename(&inbox, &spool).unwrap();
    let mut c = mailstore::StoreConfig::new("mrc", &f.store.config().home);
    c.spool = spool.clone();
    c.state_dir = f.store.config().state_dir.clone();
    let store = mailstore::Store::new(c);
    let name = format!("#driver.mbx/{}", inbox.display());
    store.create(&name).unwrap();
    let home_msg = AppendMessage {
        data: b"Subject: at home\r\n\r\nhome body\r\n".to_vec(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: Some(common::imap_date("01-Jul-1996 10:00:00 +0000")),
    };
    store
        .append(&name, &mut std::iter::once(Ok(home_msg)))
        .unwrap();
    // Seen by a session (opened by its file name, so the spool stays as it is).
    let mb = store
        .open(&inbox.display().to_string(), Access::ReadWrite)
        .unwrap();
    mb.close(Close::Keep).unwrap();
    record_or_replay(&f, "home_inbox_status");
    // SELECT moved the spool's mail in.
    let left = std::fs::read_to_string(&spool).unwrap();
    assert!(!left.contains("Subject: message 1\n"), "{left}");
}
