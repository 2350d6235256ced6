//! Tests of the mix driver through the store API: dual use, burping, data file roll,
//! INBOX in the home directory, and corrupt files.

use std::fs;
use std::sync::Arc;

use super::Mix;
use crate::driver::Driver;
use crate::driver::unix::tests::{Env, env, msg};
use crate::error::Error;
use crate::mailbox::{AppendMessage, Close, ExpungeScope, FlagOp, Part};
use crate::types::{Access, Flags, SeqNo};

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

fn data_files(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter_map(|e| {
            let n = e.file_name().into_string().ok()?;
            super::files::data_number(&n)?;
            Some((n, e.metadata().ok()?.len()))
        })
        .collect();
    v.sort();
    v
}

/// Makes mix mailbox `box`, with a message, and mailbox `box/child` in it.
fn box_with_child(e: &Env) {
    e.store.create("#driver.mix/box").unwrap();
    e.store.create("#driver.mix/box/child").unwrap();
    e.store
        .append("box", &mut std::iter::once(Ok(msg("a", "1\r\n"))))
        .unwrap();
}

#[test]
fn dual_use_lists_children_and_delete_keeps_them() {
    let e = env();
    box_with_child(&e);
    let names: Vec<String> = e
        .store
        .list("", "*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(names.contains(&"box".to_owned()), "{names:?}");
    assert!(names.contains(&"box/child".to_owned()), "{names:?}");
    assert!(names.iter().all(|n| !n.contains(".mix")), "{names:?}");
    e.store.delete("box").unwrap();
    // The mix files are gone, the child stays.
    let left: Vec<String> = fs::read_dir(e.path("box"))
        .unwrap()
        .map(|d| d.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, vec!["child"]);
    assert_eq!(e.store.status("box/child").unwrap().messages, 0);
    assert!(matches!(
        e.store.open("box", Access::ReadOnly),
        Err(Error::NotSelectable { .. })
    ));
    assert!(matches!(
        e.store.create("#driver.mix/box/.mixfoo"),
        Err(Error::InvalidName { .. })
    ));
    // Without children the directory goes too.
    e.store.delete("box/child").unwrap();
    assert!(!e.path("box/child").exists());
}

#[test]
fn delete_refuses_a_mailbox_in_use() {
    let e = env();
    e.store.create("#driver.mix/box").unwrap();
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert!(matches!(e.store.delete("box"), Err(Error::InUse { .. })));
    mb.close(Close::Keep).unwrap();
    e.store.delete("box").unwrap();
    assert!(!e.path("box").exists());
}

#[test]
fn burp_waits_until_the_session_is_alone() {
    let e = env();
    e.store.create("#driver.mix/box").unwrap();
    let msgs: Vec<_> = (1..=4)
        .map(|i| Ok(msg(&format!("m{i}"), &"x".repeat(100))))
        .collect();
    e.store.append("box", &mut msgs.into_iter()).unwrap();
    let dir = e.path("box");
    let full = data_files(&dir);
    let mut a = e.store.open("box", Access::ReadWrite).unwrap();
    let mut b = e.store.open("box", Access::ReadWrite).unwrap();
    a.set_flags(&[seq(1), seq(3)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    assert_eq!(
        a.expunge(ExpungeScope::AllDeleted).unwrap(),
        vec![seq(1), seq(2)]
    );
    // b still has the mailbox: the data stays.
    assert_eq!(data_files(&dir), full);
    b.poll().unwrap();
    assert_eq!(b.messages().len(), 2);
    b.close(Close::Keep).unwrap();
    // Alone now: the next check burps, and the messages read as before.
    a.check().unwrap();
    let burped = data_files(&dir);
    assert_eq!(burped.len(), 1);
    assert!(burped[0].1 < full[0].1);
    assert!(
        String::from_utf8(a.fetch(seq(2), Part::Header).unwrap())
            .unwrap()
            .contains("Subject: m4")
    );
    a.close(Close::Keep).unwrap();
    let mut c = e.store.open("box", Access::ReadOnly).unwrap();
    let subjects: Vec<String> = (1..=2)
        .map(|i| String::from_utf8(c.fetch(seq(i), Part::Whole).unwrap()).unwrap())
        .collect();
    assert!(subjects[0].contains("Subject: m2"));
    assert!(subjects[1].contains("Subject: m4"));
}

#[test]
fn data_files_roll_at_one_mib() {
    let e = env();
    e.store.create("#driver.mix/box").unwrap();
    let body = "y".repeat(400 * 1024);
    for i in 0..4 {
        e.store
            .append(
                "box",
                &mut std::iter::once(Ok(msg(&format!("m{i}"), &body))),
            )
            .unwrap();
    }
    let dir = e.path("box");
    assert_eq!(data_files(&dir).len(), 2);
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    for i in 1..=4 {
        let text = mb.fetch(seq(i), Part::Text).unwrap();
        assert_eq!(text.len(), body.len());
    }
    // Expunging the first file's messages, alone, removes that file.
    mb.set_flags(&[seq(1), seq(2)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    mb.expunge(ExpungeScope::AllDeleted).unwrap();
    assert_eq!(data_files(&dir).len(), 1);
    assert_eq!(mb.fetch(seq(2), Part::Text).unwrap().len(), body.len());
    mb.close(Close::Keep).unwrap();
}

#[test]
fn home_inbox_takes_spool_mail() {
    let e = env();
    let cfg = Arc::new(e.store.config().clone());
    Mix.create(&cfg, &e.path("INBOX"), &[]).unwrap();
    fs::write(
        &cfg.spool,
        "From a@b.example Tue Mar  5 10:11:12 2024\nSubject: spooled\nStatus: R\n\nhello\n",
    )
    .unwrap();
    let mut mb = e.store.open("INBOX", Access::ReadWrite).unwrap();
    assert_eq!(mb.format(), crate::Format::Mix);
    assert_eq!(mb.messages().len(), 1);
    assert!(mb.messages()[0].flags.contains(Flags::SEEN));
    assert_eq!(mb.fetch(seq(1), Part::Text).unwrap(), b"hello\r\n");
    // Only c-client's pseudo-message is left in the spool.
    let spool = fs::read_to_string(&cfg.spool).unwrap();
    assert!(!spool.contains("Subject: spooled"), "{spool}");
    mb.close(Close::Keep).unwrap();
    // Appending to INBOX goes to the mix mailbox.
    e.store
        .append("INBOX", &mut std::iter::once(Ok(msg("direct", "x\r\n"))))
        .unwrap();
    assert_eq!(e.store.status("INBOX").unwrap().messages, 2);
}

#[test]
fn corrupt_files_are_errors_naming_them() {
    let e = env();
    e.store.create("#driver.mix/box").unwrap();
    e.store
        .append("box", &mut std::iter::once(Ok(msg("a", "1\r\n"))))
        .unwrap();
    let dir = e.path("box");
    let index = fs::read(dir.join(".mixindex")).unwrap();

    fs::write(dir.join(".mixindex"), b"S1\r\n:zz:\r\n").unwrap();
    match e.store.open("box", Access::ReadOnly) {
        Err(Error::Corrupt { path, offset, what }) => {
            assert!(path.ends_with(".mixindex"));
            assert_eq!(offset, 4);
            assert_eq!(what, "index record has too few fields");
        }
        other => panic!("{other:?}"),
    }
    fs::write(dir.join(".mixindex"), &index).unwrap();

    let meta = fs::read(dir.join(".mixmeta")).unwrap();
    fs::write(dir.join(".mixmeta"), b"Vnothex\r\n").unwrap();
    assert!(matches!(
        e.store.open("box", Access::ReadOnly),
        Err(Error::Corrupt { path, .. }) if path.ends_with(".mixmeta")
    ));
    fs::write(dir.join(".mixmeta"), &meta).unwrap();

    // A data file that does not hold what the index says.
    let (name, _) = data_files(&dir).remove(0);
    fs::write(dir.join(&name), "garbage ".repeat(40)).unwrap();
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    match mb.fetch(seq(1), Part::Whole) {
        Err(Error::Corrupt { path, what, .. }) => {
            assert!(path.ends_with(&name));
            assert_eq!(what, "no message record for UID 1");
        }
        other => panic!("{other:?}"),
    }
    fs::write(dir.join(&name), b"x").unwrap();
    assert!(matches!(
        mb.fetch(seq(1), Part::Whole),
        Err(Error::Corrupt { what, .. }) if what.contains("ends inside")
    ));
}

#[test]
fn keywords_and_recent_across_sessions() {
    let e = env();
    e.store.create("#driver.mix/box").unwrap();
    let mut m = msg("a", "1\r\n");
    m.keywords = vec![crate::Keyword::new("Work").unwrap()];
    let msgs: Vec<crate::Result<AppendMessage>> = vec![Ok(m)];
    e.store.append("box", &mut msgs.into_iter()).unwrap();
    // A read-only session sees \Recent and leaves it.
    let ro = e.store.open("box", Access::ReadOnly).unwrap();
    assert!(ro.messages()[0].flags.contains(Flags::RECENT));
    ro.close(Close::Keep).unwrap();
    let mut rw = e.store.open("box", Access::ReadWrite).unwrap();
    assert!(rw.messages()[0].flags.contains(Flags::RECENT));
    let mut other = e.store.open("box", Access::ReadWrite).unwrap();
    // The first read-write session took it.
    assert!(!other.messages()[0].flags.contains(Flags::RECENT));
    // A keyword defined by one session reaches the other at its poll.
    let home = crate::Keyword::new("Home").unwrap();
    rw.set_flags(
        &[seq(1)],
        FlagOp::Add,
        Flags::EMPTY,
        std::slice::from_ref(&home),
    )
    .unwrap();
    assert_eq!(other.poll().unwrap(), vec![crate::Change::Flags(seq(1))]);
    let kws: Vec<&str> = other.messages()[0]
        .keywords
        .iter()
        .map(|k| other.keywords()[k].as_str())
        .collect();
    assert_eq!(kws, ["Work", "Home"]);
}

#[test]
fn rename_moves_children_but_not_those_of_inbox() {
    let e = env();
    box_with_child(&e);
    let open = e.store.open("box", Access::ReadOnly).unwrap();
    assert!(matches!(
        e.store.rename("box", "moved"),
        Err(Error::InUse { .. })
    ));
    open.close(Close::Keep).unwrap();
    e.store.rename("box", "moved").unwrap();
    assert_eq!(e.store.status("moved").unwrap().messages, 1);
    assert!(e.store.status("moved/child").is_ok());

    // INBOX in the home directory: its messages move, its children stay.
    let cfg = Arc::new(e.store.config().clone());
    Mix.create(&cfg, &e.path("INBOX"), &[]).unwrap();
    e.store.create("#driver.mix/INBOX/sub").unwrap();
    e.store
        .append("INBOX", &mut std::iter::once(Ok(msg("b", "2\r\n"))))
        .unwrap();
    e.store.rename("INBOX", "old-inbox").unwrap();
    assert_eq!(e.store.status("old-inbox").unwrap().messages, 1);
    assert_eq!(e.store.status("INBOX").unwrap().messages, 0);
    assert!(e.store.status("INBOX/sub").is_ok());
}
