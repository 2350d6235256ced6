//! tenex and mtx files as UW c-client writes them, read through the store; corrupt files;
//! INBOX kept as `~/INBOX` and fed from the spool.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::notify::Silent;
use mailstore::{Access, Close, Error, FlagOp, Flags, Format, Keyword, Part, SeqNo, Store};

/// A tenex file exactly as UW's `mailutil copy` wrote it (two messages; the first
/// `\Seen \Flagged \Answered`, the second `\Deleted \Draft`; neither yet "old").
const UW_TENEX: &[u8] = b" 2-Dec-1992 05:53:22 -0700,44;000000000015\n\
From: a@b\nSubject: one\n\nbody line\nFrom here\n\
\x201-Jan-2000 00:00:01 +0100,31;000000000042\n\
From: c@d\nSubject: two\n\nsecond\n";

/// The same two messages as UW's `mailutil copy` wrote them in mtx.
const UW_MTX: &[u8] = b" 2-Dec-1992 05:53:22 -0700,49;000000000015\r\n\
From: a@b\r\nSubject: one\r\n\r\nbody line\r\nFrom here\r\n\
\x201-Jan-2000 00:00:01 +0100,35;000000000042\r\n\
From: c@d\r\nSubject: two\r\n\r\nsecond\r\n";

struct Env {
    dir: tempfile::TempDir,
    store: Store,
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
    std::fs::write(
        dir.path().join("home/.mminit"),
        "set keywords $Label1, Junk, NonJunk\n",
    )
    .unwrap();
    Env {
        store: Store::new(cfg),
        dir,
    }
}

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

fn reads_uw_file(bytes: &[u8], format: Format) {
    let e = env();
    std::fs::write(e.dir.path().join("home/box"), bytes).unwrap();
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.format(), format);
    let m = mb.messages().to_vec();
    assert_eq!(m.len(), 2);
    assert_eq!(
        m[0].flags,
        Flags::SEEN
            .union(Flags::FLAGGED)
            .union(Flags::ANSWERED)
            .union(Flags::RECENT)
    );
    assert_eq!(
        m[1].flags,
        Flags::DELETED.union(Flags::DRAFT).union(Flags::RECENT)
    );
    assert_eq!(
        (
            m[0].internal_date.timestamp(),
            m[0].internal_date.offset_seconds()
        ),
        (723_300_802, -7 * 3600)
    );
    assert_eq!(
        (
            m[1].internal_date.timestamp(),
            m[1].internal_date.offset_seconds()
        ),
        (946_681_201, 3600)
    );
    assert_eq!((m[0].uid.get(), m[1].uid.get()), (1, 2));
    let whole = mb.fetch(seq(1), Part::Whole).unwrap();
    assert_eq!(
        whole,
        b"From: a@b\r\nSubject: one\r\n\r\nbody line\r\nFrom here\r\n"
    );
    assert_eq!(m[0].size as usize, whole.len());
    assert_eq!(
        mb.fetch(seq(2), Part::Header).unwrap(),
        b"From: c@d\r\nSubject: two\r\n\r\n"
    );
    assert_eq!(mb.fetch(seq(2), Part::Text).unwrap(), b"second\r\n");
    // A read-only session leaves the messages new.
    drop(mb);
    assert_eq!(std::fs::read(e.dir.path().join("home/box")).unwrap(), bytes);
}

#[test]
fn reads_tenex_as_uw_writes_it() {
    reads_uw_file(UW_TENEX, Format::Tenex);
}

#[test]
fn reads_mtx_as_uw_writes_it() {
    reads_uw_file(UW_MTX, Format::Mtx);
}

#[test]
fn read_write_session_marks_old_and_rewrites_only_flag_digits() {
    let e = env();
    let path = e.dir.path().join("home/box");
    std::fs::write(&path, UW_TENEX).unwrap();
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    assert!(mb.messages()[0].flags.contains(Flags::RECENT));
    mb.set_flags(
        &[seq(2)],
        FlagOp::Add,
        Flags::SEEN,
        &[
            Keyword::new("Junk").unwrap(),
            Keyword::new("$Label1").unwrap(),
        ],
    )
    .unwrap();
    assert!(matches!(
        mb.set_flags(
            &[seq(1)],
            FlagOp::Add,
            Flags::EMPTY,
            &[Keyword::new("Work").unwrap()]
        ),
        Err(Error::TooManyKeywords { .. })
    ));
    mb.close(Close::Keep).unwrap();
    let after = std::fs::read(&path).unwrap();
    let expected = String::from_utf8(UW_TENEX.to_vec())
        .unwrap()
        .replace(",44;000000000015", ",44;000000000035")
        .replace(",31;000000000042", ",31;600000000063");
    assert_eq!(String::from_utf8(after).unwrap(), expected);
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    let k: Vec<&str> = mb.messages()[1]
        .keywords
        .iter()
        .map(|i| mb.keywords()[i].as_str())
        .collect();
    assert_eq!(k, ["$Label1", "Junk"]);
    assert!(!mb.messages()[0].flags.contains(Flags::RECENT));
}

#[test]
fn appends_as_uw_writes() {
    let e = env();
    e.store.create("#driver.mtx/box").unwrap();
    let path = e.dir.path().join("home/box");
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "c-client makes an empty file"
    );
    let msg = |data: &[u8], flags, date| mailstore::AppendMessage {
        data: data.to_vec(),
        flags,
        keywords: Vec::new(),
        date: Some(date),
    };
    e.store
        .append(
            "#driver.mtx/box",
            &mut vec![
                Ok(msg(
                    b"From: a@b\nSubject: one\n\nbody line\nFrom here\n",
                    Flags::SEEN.union(Flags::FLAGGED).union(Flags::ANSWERED),
                    rfc822::DateTime::from_civil(1992, 12, 2, (5, 53, 22), -7 * 3600).unwrap(),
                )),
                Ok(msg(
                    b"From: c@d\r\nSubject: two\r\n\r\nsecond\r\n",
                    Flags::DELETED.union(Flags::DRAFT),
                    rfc822::DateTime::from_civil(2000, 1, 1, (0, 0, 1), 3600).unwrap(),
                )),
            ]
            .into_iter(),
        )
        .unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), UW_MTX);
}

#[test]
fn corrupt_files_give_errors_with_offsets() {
    let e = env();
    let path = e.dir.path().join("home/box");
    // Truncated in the second message.
    std::fs::write(&path, &UW_TENEX[..UW_TENEX.len() - 3]).unwrap();
    match e.store.open("box", Access::ReadOnly) {
        Err(Error::Corrupt { offset, .. }) => assert_eq!(offset, 87),
        other => panic!("{other:?}"),
    }
    // A bad header line after a good message.
    let mut bad = UW_TENEX[..87].to_vec();
    bad.extend_from_slice(b" 1-Jan-2000 00:00:01 +0100,31;00000000004x\nabc\n");
    std::fs::write(&path, &bad).unwrap();
    assert!(matches!(
        e.store.open("box", Access::ReadOnly),
        Err(Error::Corrupt { offset: 87, .. })
    ));
    // A size that overflows.
    std::fs::write(
        &path,
        b" 1-Jan-2000 00:00:01 +0100,99999999999999999999;000000000000\nx\n",
    )
    .unwrap();
    assert!(e.store.open("box", Access::ReadOnly).is_err());
}

#[test]
fn home_inbox_takes_spool_mail() {
    let e = env();
    let home_inbox = e.dir.path().join("home/INBOX");
    std::fs::write(&home_inbox, UW_TENEX).unwrap();
    std::fs::write(
        e.dir.path().join("spool"),
        "From x@y Wed Dec  2 05:53:22 1992\nSubject: spooled\n\nnew\n\n",
    )
    .unwrap();
    let mut mb = e.store.open("INBOX", Access::ReadWrite).unwrap();
    assert_eq!(mb.format(), Format::Tenex);
    assert_eq!(mb.messages().len(), 3);
    assert_eq!(
        mb.fetch(seq(3), Part::Whole).unwrap(),
        b"Subject: spooled\r\n\r\nnew\r\n"
    );
    mb.close(Close::Keep).unwrap();
    let spool = std::fs::read_to_string(e.dir.path().join("spool")).unwrap();
    assert!(!spool.contains("spooled"), "{spool}");
}

#[test]
fn sessions_share_the_mailbox() {
    let e = env();
    std::fs::write(e.dir.path().join("home/box"), UW_MTX).unwrap();
    let mut a = e.store.open("box", Access::ReadWrite).unwrap();
    let mut b = e.store.open("box", Access::ReadWrite).unwrap();
    assert_eq!(b.access(), Access::ReadWrite);
    a.set_flags(&[seq(1)], FlagOp::Remove, Flags::SEEN, &[])
        .unwrap();
    assert_eq!(b.poll().unwrap(), vec![mailstore::Change::Flags(seq(1))]);
    assert!(!b.messages()[0].flags.contains(Flags::SEEN));
    // b cannot expunge while a has it open; alone it can.
    assert!(
        b.expunge(mailstore::ExpungeScope::AllDeleted)
            .unwrap()
            .is_empty()
    );
    a.close(Close::Keep).unwrap();
    assert_eq!(
        b.expunge(mailstore::ExpungeScope::AllDeleted).unwrap(),
        vec![seq(2)]
    );
    b.close(Close::Keep).unwrap();
    assert_eq!(
        std::fs::read(e.dir.path().join("home/box")).unwrap(),
        b" 2-Dec-1992 05:53:22 -0700,49;000000000034\r\n\
From: a@b\r\nSubject: one\r\n\r\nbody line\r\nFrom here\r\n"
    );
}
