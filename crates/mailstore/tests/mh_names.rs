//! MH names and `#mhinbox`: the namespace of `~/.mh_profile`, LIST hiding message files,
//! and new mail moved in from the spool.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use mailstore::config::StoreConfig;
use mailstore::{Access, AppendMessage, Flags, Format, Part, SeqNo, Store};

fn msg(subject: &str) -> AppendMessage {
    AppendMessage {
        data: format!("Subject: {subject}\r\n\r\nbody\r\n").into_bytes(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: None,
    }
}

fn store(dir: &std::path::Path) -> Store {
    let home = dir.join("home");
    fs::create_dir_all(home.join("Mail")).unwrap();
    fs::write(home.join(".mh_profile"), "Path: Mail\n").unwrap();
    let mut cfg = StoreConfig::new("tester", &home);
    cfg.spool = dir.join("spool");
    cfg.locks.tmp_dir = dir.to_owned();
    cfg.state_dir = None;
    Store::new(cfg)
}

#[test]
fn mh_inbox_takes_spool_mail() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.append(
        "INBOX",
        &mut vec![Ok(msg("one")), Ok(msg("two"))].into_iter(),
    )
    .unwrap();
    fs::create_dir(dir.path().join("home/Mail/inbox")).unwrap();
    assert_eq!(s.format_of("#mhinbox").unwrap(), Some(Format::Mh));
    let mut mb = s.open("#MHINBOX", Access::ReadWrite).unwrap();
    assert_eq!(mb.messages().len(), 2);
    assert!(mb.messages().iter().all(|m| m.flags == Flags::RECENT));
    assert_eq!(
        mb.fetch(SeqNo::new(2).unwrap(), Part::Header).unwrap(),
        b"Subject: two\r\n\r\n"
    );
    // On disk: LF line ends, numbered from 1.
    let one = fs::read(dir.path().join("home/Mail/inbox/1")).unwrap();
    assert!(one.starts_with(b"Subject: one\n\nbody\n") || one.ends_with(b"body\n"));
    assert_eq!(s.status("INBOX").unwrap().messages, 0);
}

#[test]
fn mh_names_list_and_create() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.create("#mh/jobs/project").unwrap();
    assert!(dir.path().join("home/Mail/jobs/project").is_dir());
    s.append("#mh/jobs/project", &mut vec![Ok(msg("x"))].into_iter())
        .unwrap();
    fs::write(dir.path().join("home/Mail/jobs/project/,3"), "gone\n").unwrap();
    fs::write(
        dir.path().join("home/Mail/jobs/project/.mh_sequences"),
        "cur: 1\n",
    )
    .unwrap();
    // The plain name inside the MH root is the same mailbox.
    assert_eq!(s.format_of("Mail/jobs/project").unwrap(), Some(Format::Mh));
    let listed: Vec<String> = s
        .list("", "Mail/*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(listed.contains(&"Mail/jobs".to_owned()), "{listed:?}");
    let deeper: Vec<String> = s
        .list("", "Mail/jobs/project/*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    // The message files and MH's own files are not mailboxes.
    assert!(
        deeper.iter().all(|n| n == "Mail/jobs/project/"),
        "{deeper:?}"
    );
    assert!(s.create("#mh/jobs/123").is_err());
    s.delete("#mh/jobs/project").unwrap();
    assert!(!dir.path().join("home/Mail/jobs/project").exists());
}

#[test]
fn list_in_the_mh_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path());
    s.create("#mh/jobs").unwrap();
    s.create("#mh/jobs/old").unwrap();
    fs::create_dir(dir.path().join("home/Mail/inbox")).unwrap();
    s.append("#mh/jobs", &mut vec![Ok(msg("one"))].into_iter())
        .unwrap();
    let names = |pat: &str| -> Vec<String> {
        s.list("", pat)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect()
    };
    assert_eq!(names("#mh/%"), vec!["#mh/inbox", "#mh/jobs"]);
    // The message files are not mailboxes.
    assert_eq!(
        names("#mh/*"),
        vec!["#mh/inbox", "#mh/jobs", "#mh/jobs/old"]
    );
    assert_eq!(names("#mhinbox"), vec!["#mhinbox"]);
    // Without a profile there is no MH namespace.
    fs::remove_file(dir.path().join("home/.mh_profile")).unwrap();
    assert!(names("#mh/*").is_empty());
    assert!(names("#mhinbox").is_empty());
}
