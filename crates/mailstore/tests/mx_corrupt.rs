//! mx and MH mailboxes with damaged files open without panicking, keeping what can be read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::sync::Arc;

use mailstore::config::StoreConfig;
use mailstore::notify::Silent;
use mailstore::{Access, Flags, Part, SeqNo, Store};

fn store(dir: &std::path::Path) -> Store {
    let mut cfg = StoreConfig::new("tester", dir);
    cfg.spool = dir.join("spool");
    cfg.locks.tmp_dir = dir.to_owned();
    cfg.state_dir = None;
    cfg.notify = Arc::new(Silent);
    Store::new(cfg)
}

#[test]
fn damaged_index_keeps_what_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let mx = dir.path().join("box");
    fs::create_dir(&mx).unwrap();
    fs::write(
        mx.join(".mxindex"),
        b"V00000010L00000009Kgood\nK\xff\xfe\nM00000001;00000001.0001M00000002;zzzz\x00junk"
            .as_slice(),
    )
    .unwrap();
    fs::write(mx.join("1"), b"Subject: one\r\n\r\nx\r\n").unwrap();
    fs::write(mx.join("2"), b"Subject: two\n\nbare LF\n").unwrap();
    fs::write(mx.join("007"), b"not ours").unwrap();
    fs::create_dir(mx.join("3")).unwrap();
    let mut mb = s.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.uid_validity().get(), 16);
    let uids: Vec<u32> = mb.messages().iter().map(|m| m.uid.get()).collect();
    // The directory named 3 is no message, and 007 not one of ours.
    assert_eq!(uids, [1, 2]);
    assert_eq!(mb.messages()[0].flags, Flags::SEEN);
    assert_eq!(mb.keywords()[0].as_str(), "good");
    // A file with bare LFs reads as CRLF, its size the CRLF size.
    let two = mb.fetch(SeqNo::new(2).unwrap(), Part::Whole).unwrap();
    assert_eq!(two, b"Subject: two\r\n\r\nbare LF\r\n");
    assert_eq!(mb.messages()[1].size as usize, two.len());
}

#[test]
fn empty_index_from_uw_create_opens() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    let mx = dir.path().join("new");
    fs::create_dir(&mx).unwrap();
    fs::write(mx.join(".mxindex"), b"").unwrap();
    let mb = s.open("new", Access::ReadWrite).unwrap();
    assert!(mb.messages().is_empty());
    let v = mb.uid_validity();
    mb.close(mailstore::Close::Keep).unwrap();
    // The first read-write session chose UIDVALIDITY and wrote it.
    assert_eq!(s.status("new").unwrap().uid_validity, v);
    let ix = fs::read(mx.join(".mxindex")).unwrap();
    assert_eq!(ix, format!("V{:08x}L00000000", v.get()).as_bytes());
}
