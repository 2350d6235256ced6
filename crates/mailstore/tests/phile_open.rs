//! Files in no mailbox format open as one read-only message (`phile`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mailstore::config::StoreConfig;
use mailstore::notify::Silent;
use mailstore::{Access, Error, FlagOp, Flags, Format, Part, SeqNo, Store};

fn store(dir: &std::path::Path) -> Store {
    let mut cfg = StoreConfig::new("tester", dir);
    cfg.spool = dir.join("spool");
    cfg.locks.tmp_dir = dir.to_owned();
    cfg.state_dir = None;
    cfg.notify = Arc::new(Silent);
    cfg.tz = jiff::tz::TimeZone::UTC;
    cfg.hostname = "host.example".into();
    Store::new(cfg)
}

#[test]
fn any_other_file_opens_as_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "hello\nworld\n").unwrap();
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_633_472);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(when)
        .unwrap();
    let s = store(dir.path());
    assert_eq!(s.format_of("notes.txt").unwrap(), Some(Format::Phile));
    let st = s.status("notes.txt").unwrap();
    assert_eq!((st.messages, st.recent, st.unseen), (1, 1, 1));
    assert_eq!(st.uid_validity.get(), 1_709_633_472);
    let mut mb = s.open("notes.txt", Access::ReadWrite).unwrap();
    assert_eq!(mb.access(), Access::ReadOnly);
    let one = SeqNo::new(1).unwrap();
    let header = String::from_utf8(mb.fetch(one, Part::Header).unwrap()).unwrap();
    assert!(header.starts_with("Date: Tue, 5 Mar 2024 10:11:12 +0000\r\nFrom: "));
    assert!(header.contains(&format!("Subject: {}\r\n", path.display())));
    assert_eq!(mb.fetch(one, Part::Text).unwrap(), b"hello\r\nworld\r\n");
    assert_eq!(
        mb.messages()[0].size as usize,
        mb.fetch(one, Part::Whole).unwrap().len()
    );
    assert_eq!(mb.messages()[0].internal_date.timestamp(), 1_709_633_472);
    assert!(matches!(
        mb.set_flags(&[one], FlagOp::Add, Flags::SEEN, &[]),
        Err(Error::ReadOnly)
    ));
    // Nothing can be appended to it.
    let msg = mailstore::AppendMessage {
        data: b"Subject: x\r\n\r\ny\r\n".to_vec(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: None,
    };
    assert!(
        s.append("notes.txt", &mut vec![Ok(msg)].into_iter())
            .is_err()
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"hello\nworld\n");
}
