//! Newsgroups from a small spool made here: names, article numbers as UIDs, `\Deleted`
//! from and to `~/.newsrc`, read-only opens. (UW's news driver reads a spool and an active
//! file whose paths are compiled in or set in the system-wide `/etc/c-client.cf`, so the
//! oracle tests cannot point it at a spool of their own.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;

use mailstore::config::StoreConfig;
use mailstore::{
    Access, AppendMessage, Change, Close, Error, FlagOp, Flags, Format, Part, SeqNo, Store,
};

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

struct Spool {
    dir: tempfile::TempDir,
    store: Store,
}

fn spool() -> Spool {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let spool = dir.path().join("spool");
    fs::create_dir_all(&home).unwrap();
    fs::create_dir_all(spool.join("comp/mail/imap")).unwrap();
    for n in [3, 4, 5, 7] {
        fs::write(
            spool.join(format!("comp/mail/imap/{n}")),
            format!("From: a@b.example\nSubject: article {n}\n\nbody {n}\n"),
        )
        .unwrap();
    }
    fs::write(
        dir.path().join("active"),
        "comp.mail.imap 0000000007 0000000003 y\nalt.empty 0 1 y\n",
    )
    .unwrap();
    fs::write(
        home.join(".newsrc"),
        "alt.other: 1-10\ncomp.mail.imap: 1-4\nrec.x! 3\n",
    )
    .unwrap();
    let mut cfg = StoreConfig::new("tester", &home);
    cfg.news_spool = spool;
    cfg.news_active = dir.path().join("active");
    cfg.state_dir = None;
    Spool {
        store: Store::new(cfg),
        dir,
    }
}

#[test]
fn articles_are_messages_numbered_as_in_the_spool() {
    let s = spool();
    assert_eq!(
        s.store.format_of("#news.comp.mail.imap").unwrap(),
        Some(Format::News)
    );
    let mut mb = s
        .store
        .open("#news.comp.mail.imap", Access::ReadWrite)
        .unwrap();
    assert_eq!(mb.access(), Access::ReadOnly);
    assert_eq!(mb.uid_validity().get(), 0xBEEF_FACE);
    let m = mb.messages().to_vec();
    assert_eq!(
        m.iter().map(|m| m.uid.get()).collect::<Vec<_>>(),
        vec![3, 4, 5, 7]
    );
    // Read in .newsrc: \Deleted; the others are new.
    assert_eq!(m[0].flags, Flags::DELETED);
    assert_eq!(m[1].flags, Flags::DELETED);
    assert_eq!(m[2].flags, Flags::RECENT);
    assert_eq!(
        mb.fetch(seq(1), Part::Whole).unwrap(),
        b"From: a@b.example\r\nSubject: article 3\r\n\r\nbody 3\r\n"
    );
    assert_eq!(m[0].size, 49);
    assert_eq!(mb.fetch(seq(4), Part::Text).unwrap(), b"body 7\r\n");
    // Nothing can be appended or expunged.
    let msg = AppendMessage {
        data: b"Subject: x\r\n\r\ny\r\n".to_vec(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: None,
    };
    assert!(matches!(
        mb.append(&mut vec![Ok(msg.clone())].into_iter()),
        Err(Error::ReadOnly)
    ));
    assert!(
        s.store
            .append("#news.comp.mail.imap", &mut vec![Ok(msg)].into_iter())
            .is_err()
    );
    assert!(s.store.create("#news.comp.new").is_err());
    assert!(s.store.open("#news.not.listed", Access::ReadOnly).is_err());
    // New articles show at the next poll.
    fs::write(
        s.dir.path().join("spool/comp/mail/imap/9"),
        "Subject: nine\n\nx\n",
    )
    .unwrap();
    assert_eq!(
        mb.poll().unwrap(),
        vec![Change::Exists(5), Change::Recent(3)]
    );
    mb.close(Close::Keep).unwrap();
}

#[test]
fn deleted_goes_to_newsrc_and_nothing_else_changes() {
    let s = spool();
    let mut mb = s
        .store
        .open("#news.comp.mail.imap", Access::ReadOnly)
        .unwrap();
    mb.set_flags(
        &[seq(3)],
        FlagOp::Add,
        Flags::DELETED.union(Flags::FLAGGED),
        &[],
    )
    .unwrap();
    mb.set_flags(&[seq(1)], FlagOp::Remove, Flags::DELETED, &[])
        .unwrap();
    mb.close(Close::Expunge).unwrap();
    let rc = fs::read_to_string(s.dir.path().join("home/.newsrc")).unwrap();
    assert_eq!(rc, "alt.other: 1-10\ncomp.mail.imap: 4-5\nrec.x! 3\n");
    let mb = s
        .store
        .open("#news.comp.mail.imap", Access::ReadOnly)
        .unwrap();
    let flags: Vec<Flags> = mb.messages().iter().map(|m| m.flags).collect();
    assert_eq!(
        flags,
        vec![Flags::RECENT, Flags::DELETED, Flags::DELETED, Flags::RECENT]
    );
}

#[test]
fn bad_newsrc_lines_do_not_panic() {
    let s = spool();
    fs::write(
        s.dir.path().join("home/.newsrc"),
        b"comp.mail.imap: 9-3,x,\xff\n\n:\n!!\n".as_slice(),
    )
    .unwrap();
    let mb = s
        .store
        .open("#news.comp.mail.imap", Access::ReadOnly)
        .unwrap();
    assert!(mb.messages().iter().all(|m| m.flags == Flags::RECENT));
}

#[test]
fn list_walks_the_active_file() {
    let s = spool();
    let names = |pat: &str| -> Vec<String> {
        s.store
            .list("", pat)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect()
    };
    assert_eq!(
        names("#news.*"),
        vec!["#news.comp.mail.imap", "#news.alt.empty"]
    );
    assert_eq!(names("#news.comp.*"), vec!["#news.comp.mail.imap"]);
    // `%` stops at the dot, the hierarchy delimiter of news names.
    assert!(names("#news.comp.%").is_empty());
    assert_eq!(names("#news.comp.mail.%"), vec!["#news.comp.mail.imap"]);
    assert_eq!(names("#news.alt.%"), vec!["#news.alt.empty"]);
    let e = &s.store.list("", "#news.alt.empty").unwrap()[0];
    assert_eq!(e.delimiter, Some('.'));
}
