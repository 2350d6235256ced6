//! The IMAP client against Dovecot: Debian's `/usr/lib/dovecot/imap` run inetd-style on a
//! loopback connection the test accepts, pre-authenticated as `nobody` on a maildir in a
//! temporary directory (no Dovecot daemon, no accounts, no names to resolve).
//!
//! Needs root (to run Dovecot as `nobody`) and Dovecot; in CI (`CI=true`) their absence
//! fails the test, elsewhere it says it skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use client::{Access, ClientError, ClientOptions, FixedPrompt, RemoteName, Session, StoreMode};
use testkit::dovecot;

const MESSAGE: &[u8] =
    b"From: a@example.org\r\nTo: b@example.org\r\nSubject: to dovecot\r\n\r\nbody\r\n";

#[test]
fn dovecot_round_trip() {
    if !dovecot::available("dovecot_round_trip") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let (port, _) = dovecot::serve(home.path());
    let name = RemoteName::parse(&format!("{{127.0.0.1:{port}/imap/notls}}")).unwrap();
    let mut prompt = FixedPrompt::new("unused", "unused");
    let mut s = Session::connect(&name, &ClientOptions::default(), &mut prompt).unwrap();
    assert!(
        s.capabilities()
            .iter()
            .any(|c| c.eq_ignore_ascii_case("IMAP4rev1"))
    );

    s.create("Work").unwrap();
    s.create("Work/Old").unwrap();
    let list = s.list("", "*").unwrap();
    let names: Vec<&str> = list.iter().map(|l| l.name.as_str()).collect();
    assert!(
        names.contains(&"INBOX") && names.contains(&"Work/Old"),
        "{names:?}"
    );
    assert!(list.iter().all(|l| l.delimiter.is_some()));

    s.append(
        "Work",
        &["\\Seen".into(), "$Label1".into()],
        Some("01-Feb-2020 10:11:12 +0100"),
        MESSAGE,
    )
    .unwrap();
    s.append("Work", &[], None, b"Subject: two\r\n\r\nsecond\r\n")
        .unwrap();
    let st = s.status("Work").unwrap();
    assert_eq!(st.messages, 2);
    assert_eq!(st.unseen, 1);
    assert!(st.uid_validity != 0);

    let sel = s.select("Work", Access::ReadWrite).unwrap();
    assert_eq!(sel.exists, 2);
    assert_eq!(sel.uid_validity, st.uid_validity);
    assert!(sel.permanent_flags.iter().any(|f| f == "\\Deleted"));
    let meta = s.fetch_meta("1:*").unwrap();
    assert_eq!(meta.len(), 2);
    assert!(
        meta[0].flags.contains(&"\\Seen".to_owned())
            && meta[0].flags.contains(&"$Label1".to_owned())
    );
    // Dovecot keeps the instant and shows it in its zone (UTC here).
    assert_eq!(meta[0].internal_date, "01-Feb-2020 09:11:12 +0000");
    assert_eq!(meta[0].size, MESSAGE.len() as u64);
    assert!(meta[1].uid > meta[0].uid);
    assert_eq!(s.fetch_message(1).unwrap(), MESSAGE);
    assert_eq!(s.search("UNSEEN").unwrap(), vec![2]);

    s.store_flags("2", StoreMode::Add, &["\\Deleted".into()])
        .unwrap();
    s.store_flags("1", StoreMode::Replace, &["\\Answered".into()])
        .unwrap();
    s.expunge().unwrap();
    let meta = s.fetch_meta("1:*").unwrap();
    assert_eq!(meta.len(), 1);
    let kept: Vec<&String> = meta[0].flags.iter().filter(|f| *f != "\\Recent").collect();
    assert_eq!(kept, vec!["\\Answered"]);

    let ro = s.select("Work", Access::ReadOnly).unwrap();
    assert_eq!(ro.read_only, Access::ReadOnly);
    s.close().unwrap();

    s.rename("Work/Old", "Archive").unwrap();
    assert!(matches!(
        s.select("Work/Old", Access::ReadOnly),
        Err(ClientError::Server(_))
    ));
    s.delete("Archive").unwrap();
    s.delete("Work").unwrap();
    let names: Vec<String> = s
        .list("", "*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, vec!["INBOX".to_owned()]);
    s.logout().unwrap();
}
