//! The spool INBOX in MMDF format, and STATUS of a home-directory INBOX with mail waiting
//! in the spool, against UW's tools: our tmail and UW's deliver in turn into an MMDF spool
//! that UW's mailutil reads back; our store's STATUS counts agree with UW's
//! `mailutil check INBOX` for mbx, tenex, mtx and mix home INBOXes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::process::Command;

use common::*;

/// Two messages as an MMDF delivery agent writes them, the second already read.
const MMDF_SPOOL: &[u8] = b"\x01\x01\x01\x01\n\
From a@b.example Wed Dec  2 05:53:22 1992\n\
Subject: one\n\
\n\
first body\n\
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

fn tmail(program: &str, args: &[&str], input: &[u8]) -> std::process::Output {
    feed(Command::new(program).args(args), input)
}

fn ours_tmail() -> String {
    ours("tmail").display().to_string()
}

fn store_of(u: &TestUser) -> mailstore::Store {
    let mut cfg = mailstore::StoreConfig::new(&u.name, &u.home);
    cfg.state_dir = None;
    mailstore::Store::new(cfg)
}

/// The first line of UW's `mailutil check MAILBOX` as this user (warnings follow it).
fn uw_counts(u: &TestUser, mailbox: &str) -> String {
    u.uw_check(mailbox).lines().next().unwrap_or("").to_owned()
}

/// What UW's `mailutil check INBOX` prints for these counts.
fn check_line(st: &mailstore::Status) -> String {
    if st.recent > 0 || st.unseen > 0 {
        format!(
            "{} new message(s) ({} unseen), {} total in INBOX",
            st.recent, st.unseen, st.messages
        )
    } else {
        format!("No new messages, {} total in INBOX", st.messages)
    }
}

#[test]
fn tmail_and_uw_tmail_deliver_into_an_mmdf_spool_inbox_that_uw_reads() {
    if !can_run("tmail_and_uw_tmail_deliver_into_an_mmdf_spool_inbox_that_uw_reads") {
        return;
    }
    let u = TestUser::new("m");
    u.make_spool();
    fs::write(u.spool(), MMDF_SPOOL).unwrap();
    assert_eq!(
        uw_counts(&u, "INBOX"),
        "1 new message(s) (1 unseen), 2 total in INBOX"
    );
    for (i, program) in [ours_tmail(), UW_TMAIL.to_owned(), ours_tmail()]
        .iter()
        .enumerate()
    {
        let out = tmail(program, &[&u.name], &message(&format!("m{i}"), 20));
        assert_eq!(out.status.code(), Some(0), "{program}: {out:?}");
    }
    let spool = fs::read(u.spool()).unwrap();
    assert!(spool.starts_with(b"\x01\x01\x01\x01\n"));
    assert!(spool.ends_with(b"\n\x01\x01\x01\x01\n"));
    let text = String::from_utf8_lossy(&spool);
    for i in 0..3 {
        assert_eq!(text.matches(&format!("<m{i}@deliver.test>")).count(), 1);
    }
    // MMDF frames messages by delimiter lines: ours escapes no "From " in a body.
    assert!(text.contains("\nFrom the body, line 3 of m0\n"), "{text}");
    assert_eq!(
        store_of(&u).format_of("INBOX").unwrap(),
        Some(mailstore::Format::Mmdf)
    );
    // UW reads every message, and counts as our store does.
    let st = store_of(&u).status("INBOX").unwrap();
    assert_eq!(st.messages, 5);
    assert_eq!(uw_counts(&u, "INBOX"), check_line(&st));
    let out = u
        .command(UW_MAILUTIL)
        .args(["copy", "INBOX", "copied"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let copied = fs::read_to_string(u.home.join("copied")).unwrap();
    for i in 0..3 {
        assert!(copied.contains(&format!("<m{i}@deliver.test>")), "{copied}");
    }
    assert!(copied.contains("Subject: one") && copied.contains("Subject: two"));
}

#[test]
fn status_of_a_home_inbox_counts_the_spool_as_uw_does() {
    if !can_run("status_of_a_home_inbox_counts_the_spool_as_uw_does") {
        return;
    }
    for spool in [UNIX_SPOOL, MMDF_SPOOL] {
        for format in ["mbx", "tenex", "mtx", "mix"] {
            let u = TestUser::new("s");
            let out = tmail(&ours_tmail(), &["-b", format, &u.name], &message("home", 3));
            assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
            // A session has seen the home message (nothing in the spool to move yet).
            let store = store_of(&u);
            let mb = store.open("INBOX", mailstore::Access::ReadWrite).unwrap();
            mb.close(mailstore::Close::Keep).unwrap();
            u.make_spool();
            fs::write(u.spool(), spool).unwrap();
            let uw = uw_counts(&u, "INBOX");
            let st = store.status("INBOX").unwrap();
            assert_eq!(uw, check_line(&st), "{format}");
            let counted = if format == "mix" { 1 } else { 3 };
            assert_eq!(st.messages, counted, "{format}");
            // Neither moved the spool's mail.
            assert_eq!(fs::read(u.spool()).unwrap(), spool, "{format}");
        }
    }
}
