//! The spool INBOX in MMDF format (c-client's INBOX is whichever driver accepts the spool
//! file: mmdf before unix), and STATUS of a home-directory INBOX counting the mail still
//! waiting in the spool (c-client's `mbx_status`, `tenex_status`, `mtx_status`; not mix).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::lock::instance::InstanceLock;
use mailstore::notify::Silent;
use mailstore::{
    Access, AppendMessage, Close, ExpungeScope, FlagOp, Flags, Format, Part, SeqNo, Store,
};

/// Two messages as an MMDF delivery agent writes them: the first new, the second read
/// (`Status: RO`). UW's `mailutil check INBOX` on this spool says "1 new message(s)
/// (1 unseen), 2 total in INBOX".
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

/// The same two messages in the traditional format.
const UNIX_SPOOL: &[u8] = b"From a@b.example Wed Dec  2 05:53:22 1992\n\
Subject: one\n\
\n\
first body\n\
\n\
From a@b.example Wed Dec  2 05:53:23 1992\n\
Subject: two\n\
Status: RO\n\
\n\
second body\n";

struct Env {
    _dir: tempfile::TempDir,
    store: Store,
    spool: PathBuf,
    home: PathBuf,
    tmp: PathBuf,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    for d in ["home", "tmp"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let mut cfg = StoreConfig::new("tester", dir.path().join("home"));
    cfg.spool = dir.path().join("spool");
    cfg.locks.tmp_dir = dir.path().join("tmp");
    cfg.state_dir = None;
    cfg.locks.kod_attempts = 1;
    cfg.notify = Arc::new(Silent);
    cfg.tz = jiff::tz::TimeZone::UTC;
    cfg.hostname = "vm".into();
    Env {
        spool: cfg.spool.clone(),
        home: cfg.home.clone(),
        tmp: cfg.locks.tmp_dir.clone(),
        store: Store::new(cfg),
        _dir: dir,
    }
}

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

fn msg(subject: &str) -> AppendMessage {
    AppendMessage {
        data: format!("Subject: {subject}\r\n\r\nFrom the body of {subject}\r\n").into_bytes(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: None,
    }
}

/// Whether `file` is framed as MMDF from start to end.
fn framed_mmdf(file: &Path) -> bool {
    let data = std::fs::read(file).unwrap();
    data.starts_with(b"\x01\x01\x01\x01\n") && data.ends_with(b"\n\x01\x01\x01\x01\n")
}

#[test]
fn mmdf_spool_file_is_inbox() {
    let e = env();
    std::fs::write(&e.spool, MMDF_SPOOL).unwrap();
    assert_eq!(e.store.format_of("INBOX").unwrap(), Some(Format::Mmdf));
    assert_eq!(
        e.store.inbox_file().unwrap(),
        (e.spool.clone(), Some(Format::Mmdf))
    );
    // UW's answer for this spool: 2 messages, 1 new, 1 unseen.
    let st = e.store.status("INBOX").unwrap();
    assert_eq!((st.messages, st.recent, st.unseen), (2, 1, 1));
    let mut mb = e.store.open("INBOX", Access::ReadOnly).unwrap();
    assert_eq!(mb.format(), Format::Mmdf);
    assert_eq!(
        mb.fetch(seq(1), Part::Text).unwrap(),
        b"first body\r\nFrom here, not escaped\r\n"
    );
    assert!(mb.messages()[1].flags.contains(Flags::SEEN));
}

#[test]
fn mmdf_spool_inbox_session_appends_and_expunges_in_mmdf_under_the_spool_locks() {
    let e = env();
    std::fs::write(&e.spool, MMDF_SPOOL).unwrap();
    let mut mb = e.store.open("INBOX", Access::ReadWrite).unwrap();
    assert_eq!(mb.access(), Access::ReadWrite);
    // The instance lock of the spool file, as for a unix spool.
    let meta = std::fs::metadata(&e.spool).unwrap();
    assert!(InstanceLock::name(&e.tmp, meta.dev(), meta.ino()).exists());
    // A delivery while the session holds INBOX.
    e.store
        .append("INBOX", &mut vec![Ok(msg("three"))].into_iter())
        .unwrap();
    mb.poll().unwrap();
    assert_eq!(mb.messages().len(), 3);
    // A second read-write open sends the kiss of death to the first.
    let second = e.store.open("INBOX", Access::ReadWrite).unwrap();
    assert!(mb.asked_to_let_go());
    second.close(Close::Keep).unwrap();
    mb.set_flags(&[seq(1)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    mb.expunge(ExpungeScope::AllDeleted).unwrap();
    mb.close(Close::Keep).unwrap();
    assert!(framed_mmdf(&e.spool));
    let text = String::from_utf8(std::fs::read(&e.spool).unwrap()).unwrap();
    assert!(!text.contains("Subject: one"), "{text}");
    assert!(text.contains("\nFrom the body of three\n"), "{text}");
    assert!(!text.contains(">From"), "{text}");
    let mut mb = e.store.open("INBOX", Access::ReadOnly).unwrap();
    assert_eq!(mb.format(), Format::Mmdf);
    assert_eq!(mb.messages().len(), 2);
    assert_eq!(
        mb.fetch(seq(2), Part::Text).unwrap(),
        b"From the body of three\r\n"
    );
}

#[test]
fn mmdf_empty_format_makes_and_fills_the_spool_inbox_in_mmdf() {
    let mut cfg = env();
    let mut c = cfg.store.config().clone();
    c.empty_format = Format::Mmdf;
    cfg.store = Store::new(c);
    let e = cfg;
    // Missing, then empty: both become MMDF in place.
    e.store
        .append("INBOX", &mut vec![Ok(msg("one"))].into_iter())
        .unwrap();
    assert!(framed_mmdf(&e.spool));
    assert_eq!(e.store.format_of("INBOX").unwrap(), Some(Format::Mmdf));
    std::fs::write(&e.spool, b"").unwrap();
    let ino = std::fs::metadata(&e.spool).unwrap().ino();
    e.store
        .append("INBOX", &mut vec![Ok(msg("two"))].into_iter())
        .unwrap();
    assert_eq!(std::fs::metadata(&e.spool).unwrap().ino(), ino);
    assert!(framed_mmdf(&e.spool));
    assert_eq!(e.store.status("INBOX").unwrap().messages, 1);
    // A unix spool stays unix whatever the empty format.
    std::fs::write(&e.spool, UNIX_SPOOL).unwrap();
    e.store
        .append("INBOX", &mut vec![Ok(msg("three"))].into_iter())
        .unwrap();
    assert_eq!(e.store.format_of("INBOX").unwrap(), Some(Format::Unix));
    assert_eq!(e.store.status("INBOX").unwrap().messages, 3);
}

/// Makes `~/INBOX` in `format` and returns the store's view of its status with `spool`
/// holding `spool_data`.
fn home_inbox_status(format: &str, spool_data: &[u8]) -> mailstore::Status {
    let e = env();
    let inbox = e.home.join("INBOX");
    e.store
        .create(&format!("#driver.{format}/{}", inbox.display()))
        .unwrap();
    e.store
        .append(
            &format!("#driver.{format}/{}", inbox.display()),
            &mut vec![Ok(msg("home"))].into_iter(),
        )
        .unwrap();
    assert_eq!(e.store.format_of("INBOX").unwrap().unwrap().name(), format);
    // The home message is no longer new once a session has seen it.
    let mb = e.store.open("INBOX", Access::ReadWrite).unwrap();
    mb.close(Close::Keep).unwrap();
    std::fs::write(&e.spool, spool_data).unwrap();
    let st = e.store.status("INBOX").unwrap();
    // STATUS moved nothing.
    assert_eq!(std::fs::read(&e.spool).unwrap(), spool_data);
    st
}

#[test]
fn status_of_home_inbox_counts_spool_mail_in_mbx_tenex_mtx_not_mix() {
    for spool in [UNIX_SPOOL, MMDF_SPOOL] {
        for format in ["mbx", "tenex", "mtx"] {
            let st = home_inbox_status(format, spool);
            assert_eq!((st.messages, st.recent, st.unseen), (3, 1, 2), "{format}");
        }
        let st = home_inbox_status("mix", spool);
        assert_eq!((st.messages, st.recent, st.unseen), (1, 0, 1), "mix");
    }
}

#[test]
fn status_of_home_inbox_with_recent_mail_leaves_the_spool_out() {
    let e = env();
    let inbox = e.home.join("INBOX");
    e.store
        .create(&format!("#driver.mbx/{}", inbox.display()))
        .unwrap();
    e.store
        .append(
            &format!("#driver.mbx/{}", inbox.display()),
            &mut vec![Ok(msg("home"))].into_iter(),
        )
        .unwrap();
    std::fs::write(&e.spool, MMDF_SPOOL).unwrap();
    let st = e.store.status("INBOX").unwrap();
    assert_eq!((st.messages, st.recent, st.unseen), (1, 1, 1));
}

#[test]
fn home_inbox_snarfs_an_mmdf_spool() {
    let e = env();
    let inbox = e.home.join("INBOX");
    e.store
        .create(&format!("#driver.mbx/{}", inbox.display()))
        .unwrap();
    std::fs::write(&e.spool, MMDF_SPOOL).unwrap();
    let mut mb = e.store.open("INBOX", Access::ReadWrite).unwrap();
    assert_eq!(mb.format(), Format::Mbx);
    assert_eq!(mb.messages().len(), 2);
    assert!(mb.messages()[1].flags.contains(Flags::SEEN));
    assert_eq!(
        mb.fetch(seq(1), Part::Text).unwrap(),
        b"first body\r\nFrom here, not escaped\r\n"
    );
    mb.close(Close::Keep).unwrap();
    // The spool is left an MMDF mailbox with no message in it.
    let data = std::fs::read(&e.spool).unwrap();
    assert!(!String::from_utf8_lossy(&data).contains("Subject: one"));
    assert!(data.is_empty() || framed_mmdf(&e.spool));
}
