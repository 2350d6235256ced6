//! The fixture the session tests share.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use imapd::SessionConfig;
use mailstore::config::Homes;
use mailstore::mailbox::AppendMessage;
use mailstore::{Flags, Store};
use server::auth::{Authenticator, VirtualUsers};
use server::config::Plaintext;
use server::log::Memory;

/// Homes by user name, for a test's `Homes`.
#[derive(Debug)]
pub struct TestHomes(pub BTreeMap<String, PathBuf>);

impl Homes for TestHomes {
    fn home_of(&self, user: &str) -> Option<PathBuf> {
        self.0.get(user).cloned()
    }
}

/// RFC 3501 §8's message 12 (the header is the RFC's; the body is ours).
pub const MSG12: &str = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n\
Minutes of the meeting.\r\n";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub cfg: Arc<SessionConfig>,
    pub log: Arc<Memory>,
    pub store: Store,
}

pub fn fixture() -> Fixture {
    fixture_with(|_| {})
}

/// The fixture, with its session settings changed by `adjust`.
pub fn fixture_with(adjust: impl FnOnce(&mut SessionConfig)) -> Fixture {
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
    let log = Arc::new(Memory::default());
    let date = |d: &str| imap_date(d);
    let mut msgs: Vec<AppendMessage> = (1..=11)
        .map(|i| AppendMessage {
            data: format!("From: a{i}@example.org\r\nSubject: message {i}\r\n\r\nbody {i}\r\n")
                .into_bytes(),
            flags: Flags::SEEN,
            keywords: Vec::new(),
            date: Some(date("01-Jul-1996 10:00:00 +0000")),
        })
        .collect();
    msgs.push(AppendMessage {
        data: MSG12.as_bytes().to_vec(),
        flags: Flags::SEEN,
        keywords: Vec::new(),
        date: Some(date("17-Jul-1996 02:44:25 -0700")),
    });
    store
        .append("INBOX", &mut msgs.into_iter().map(Ok))
        .unwrap();
    let mut cfg = SessionConfig::new("test.example", v, Arc::clone(&log) as _);
    cfg.plaintext = Plaintext::Always;
    cfg.alert_file = None;
    cfg.nologin_file = None;
    cfg.failed_login_delay = Duration::ZERO;
    adjust(&mut cfg);
    Fixture {
        dir,
        cfg: Arc::new(cfg),
        log,
        store,
    }
}

pub fn imap_date(s: &str) -> rfc822::DateTime {
    // "dd-Mon-yyyy hh:mm:ss +zzzz"
    let (d, rest) = s.split_once('-').unwrap();
    let (mon, rest) = rest.split_once('-').unwrap();
    let (y, rest) = rest.split_once(' ').unwrap();
    let (t, z) = rest.split_once(' ').unwrap();
    let hms: Vec<u8> = t.split(':').map(|x| x.parse().unwrap()).collect();
    let sign = if z.starts_with('-') { -1 } else { 1 };
    let zh: i32 = z[1..3].parse().unwrap();
    let zm: i32 = z[3..5].parse().unwrap();
    rfc822::DateTime::from_civil(
        y.parse().unwrap(),
        rfc822::Month::from_abbrev(mon.as_bytes()).unwrap().number(),
        d.trim().parse().unwrap(),
        (hms[0], hms[1], hms[2]),
        sign * (zh * 3600 + zm * 60),
    )
    .unwrap()
}
