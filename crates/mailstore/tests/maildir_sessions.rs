//! Maildir sessions: who gets `\Recent`, mail delivered and removed by other programs,
//! keywords and time zones shared through the UID list, the files on disk.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::notify::Silent;
use mailstore::{
    Access, AppendMessage, Change, Close, ExpungeScope, FlagOp, Flags, Keyword, Part, SeqNo, Store,
};

struct Env {
    _dir: tempfile::TempDir,
    home: PathBuf,
    store: Store,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_owned();
    let mut cfg = StoreConfig::new("tester", &home);
    cfg.spool = home.join("spool");
    cfg.locks.tmp_dir = home.clone();
    cfg.state_dir = None;
    cfg.notify = Arc::new(Silent);
    cfg.tz = jiff::tz::TimeZone::UTC;
    cfg.hostname = "host.example".into();
    let store = Store::new(cfg);
    store.create("#driver.maildir/box").unwrap();
    Env {
        _dir: dir,
        home,
        store,
    }
}

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

fn msg(subject: &str) -> AppendMessage {
    AppendMessage {
        data: format!("Subject: {subject}\r\n\r\nbody\r\n").into_bytes(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: Some(rfc822::DateTime::from_civil(2024, 3, 5, (10, 11, 12), -18_000).unwrap()),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn files_on_disk_follow_the_spec() {
    let e = env();
    let box_ = e.home.join("box");
    let mut flagged = msg("b");
    flagged.flags = Flags::SEEN.union(Flags::DELETED).union(Flags::DRAFT);
    e.store
        .append("box", &mut vec![Ok(msg("a")), Ok(flagged)].into_iter())
        .unwrap();
    let new = names(&box_.join("new"));
    assert_eq!(new.len(), 2);
    assert!(names(&box_.join("tmp")).is_empty());
    assert!(new[0].ends_with(".host.example,S=17,W=20"), "{new:?}");
    assert!(new[1].ends_with(":2,DST"), "{new:?}");
    assert!(new[0].contains(&format!("P{}Q", std::process::id())));
    // The stored text has LF line ends; the file time is the internal date.
    let file = box_.join("new").join(&new[0]);
    assert_eq!(fs::read(&file).unwrap(), b"Subject: a\n\nbody\n");
    let mtime = fs::metadata(&file).unwrap().modified().unwrap();
    assert_eq!(
        mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_709_651_472
    );
    let mb = e.store.open("box", Access::ReadWrite).unwrap();
    assert!(names(&box_.join("new")).is_empty());
    let cur = names(&box_.join("cur"));
    assert!(cur[0].ends_with(",W=20:2,"), "{cur:?}");
    assert!(cur[1].ends_with(":2,DST"), "{cur:?}");
    // The time zone of the internal date comes back from the UID list.
    assert_eq!(mb.messages()[0].internal_date.offset_seconds(), -18_000);
    let listed: Vec<String> = e
        .store
        .list("", "*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(listed, vec!["box".to_owned(), "INBOX".to_owned()]);
}

#[test]
fn recent_goes_to_the_session_that_moves_new_mail() {
    let e = env();
    e.store
        .append("box", &mut vec![Ok(msg("a"))].into_iter())
        .unwrap();
    let reader = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(reader.messages()[0].flags, Flags::RECENT);
    let first = e.store.open("box", Access::ReadWrite).unwrap();
    assert_eq!(first.messages()[0].flags, Flags::RECENT);
    let second = e.store.open("box", Access::ReadWrite).unwrap();
    assert_eq!(second.messages()[0].flags, Flags::EMPTY);
    assert_eq!(e.store.status("box").unwrap().recent, 0);
}

#[test]
fn mail_delivered_and_removed_by_other_programs() {
    let e = env();
    let box_ = e.home.join("box");
    e.store
        .append("box", &mut vec![Ok(msg("a")), Ok(msg("b"))].into_iter())
        .unwrap();
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    let next = mb.uid_next();
    // A delivery agent writes to tmp/ and renames into new/.
    let tmp = box_.join("tmp/1800000000.M5P77Q1.mx");
    fs::write(&tmp, "Subject: delivered\n\nhi\n").unwrap();
    fs::rename(&tmp, box_.join("new/1800000000.M5P77Q1.mx")).unwrap();
    // A mail reader removes message a.
    let a = names(&box_.join("cur"))
        .into_iter()
        .find(|n| {
            fs::read_to_string(box_.join("cur").join(n))
                .unwrap()
                .contains("Subject: a")
        })
        .unwrap();
    fs::remove_file(box_.join("cur").join(a)).unwrap();
    let changes = mb.poll().unwrap();
    assert_eq!(
        changes,
        vec![
            Change::Expunged(seq(1)),
            Change::Exists(2),
            Change::Recent(2)
        ]
    );
    assert_eq!(mb.messages()[1].uid, next);
    assert_eq!(mb.messages()[1].size, 26);
    assert_eq!(
        mb.fetch(seq(2), Part::Whole).unwrap(),
        b"Subject: delivered\r\n\r\nhi\r\n"
    );
    // The delivered file's time is its internal date, in local time (no zone was kept).
    let t = mb.messages()[1].internal_date;
    assert_eq!(t.offset_seconds(), 0);
    mb.close(Close::Keep).unwrap();
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.messages().len(), 2);
    assert_eq!(mb.messages()[1].uid, next);
}

#[test]
fn keywords_and_expunges_reach_other_sessions() {
    let e = env();
    e.store
        .append("box", &mut (0..3).map(|i| Ok(msg(&format!("m{i}")))))
        .unwrap();
    let mut one = e.store.open("box", Access::ReadWrite).unwrap();
    let mut two = e.store.open("box", Access::ReadWrite).unwrap();
    let work = Keyword::new("Work").unwrap();
    one.set_flags(
        &[seq(2)],
        FlagOp::Add,
        Flags::FLAGGED,
        std::slice::from_ref(&work),
    )
    .unwrap();
    assert_eq!(two.poll().unwrap(), vec![Change::Flags(seq(2))]);
    let m = &two.messages()[1];
    assert!(m.flags.contains(Flags::FLAGGED));
    assert_eq!(two.keywords()[m.keywords.iter().next().unwrap()], work);
    two.set_flags(&[seq(1)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    assert_eq!(two.expunge(ExpungeScope::AllDeleted).unwrap(), vec![seq(1)]);
    assert_eq!(one.poll().unwrap(), vec![Change::Expunged(seq(1))]);
    assert_eq!(one.messages().len(), 2);
    // Read-only sessions change nothing.
    let mut ro = e.store.open("box", Access::ReadOnly).unwrap();
    assert!(
        ro.set_flags(&[seq(1)], FlagOp::Add, Flags::SEEN, &[])
            .is_err()
    );
    assert!(ro.expunge(ExpungeScope::AllDeleted).is_err());
}

#[test]
fn a_maildir_made_elsewhere_gets_uids_in_delivery_order() {
    let e = env();
    let dir = e.home.join("foreign");
    for d in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(d)).unwrap();
    }
    fs::write(
        dir.join("cur/1700000010.M9P1Q2.h:2,S"),
        "Subject: second\n\n",
    )
    .unwrap();
    fs::write(
        dir.join("cur/1700000002.M100P1Q1.h:2,"),
        "Subject: first\n\n",
    )
    .unwrap();
    fs::write(dir.join("new/1700000100.M1P1Q3.h"), "Subject: third\n\n").unwrap();
    fs::write(dir.join("cur/.hidden"), "not a message").unwrap();
    assert_eq!(
        e.store.format_of("foreign").unwrap(),
        Some(mailstore::Format::Maildir)
    );
    let st = e.store.status("foreign").unwrap();
    assert_eq!((st.messages, st.recent, st.unseen), (3, 1, 2));
    let mut mb = e.store.open("foreign", Access::ReadOnly).unwrap();
    let subjects: Vec<String> = (1..=3)
        .map(|i| {
            String::from_utf8(mb.fetch(seq(i), Part::Header).unwrap())
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        subjects,
        vec!["Subject: first", "Subject: second", "Subject: third"]
    );
    assert_eq!(
        mb.messages()
            .iter()
            .map(|m| m.uid.get())
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(dir.join(".panda-uidlist").exists());
}
