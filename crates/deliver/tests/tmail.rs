//! `tmail` against UW's: deliveries to spool and home INBOXes and to folders, read back by
//! UW's mailutil; and each refusal, with UW's exit code and words.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::*;

fn tmail(program: &str, args: &[&str], input: &[u8]) -> std::process::Output {
    feed(Command::new(program).args(args), input)
}

fn ours_tmail() -> String {
    ours("tmail").display().to_string()
}

#[test]
fn tmail_delivers_to_a_spool_inbox_with_the_senders_return_path() {
    if !can_run("tmail_delivers_to_a_spool_inbox_with_the_senders_return_path") {
        return;
    }
    let u = TestUser::new("t");
    u.make_spool();
    let out = tmail(
        &ours_tmail(),
        &["-f", "sender@example.org", &u.name],
        &message("first", 20),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tmail called with LF-only newlines"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("delivered to {}", u.spool().display())),
        "{stderr}"
    );
    let spool = fs::read_to_string(u.spool()).unwrap();
    let mut lines = spool.lines();
    let from = lines.next().unwrap();
    assert!(from.starts_with(&format!("From {}@", u.name)), "{from}");
    assert_eq!(lines.next(), Some("Return-Path: <sender@example.org>"));
    let received = lines.next().unwrap();
    assert!(
        received.starts_with("Received: via tmail-")
            && received.contains(&format!(" for {}; ", u.name)),
        "{received}"
    );
    // The MTA's envelope line is not kept; body lines beginning "From " are escaped.
    assert!(!spool.contains("From sender@example.org Thu Nov 26"));
    assert!(
        spool.contains("\n>From the body, line 3 of first\n"),
        "{spool}"
    );
    assert!(
        u.uw_check("INBOX").contains("1 total in INBOX"),
        "{}",
        u.uw_check("INBOX")
    );
}

#[test]
fn tmail_and_uw_tmail_append_to_each_others_spool() {
    if !can_run("tmail_and_uw_tmail_append_to_each_others_spool") {
        return;
    }
    let u = TestUser::new("t");
    u.make_spool();
    for (i, program) in [
        UW_TMAIL.to_owned(),
        ours_tmail(),
        UW_TMAIL.to_owned(),
        ours_tmail(),
    ]
    .iter()
    .enumerate()
    {
        let out = tmail(program, &[&u.name], &message(&format!("m{i}"), 5 + i * 40));
        assert_eq!(out.status.code(), Some(0), "{program}: {out:?}");
    }
    let check = u.uw_check("INBOX");
    assert!(check.contains("4 total in INBOX"), "{check}");
    let spool = fs::read_to_string(u.spool()).unwrap();
    for i in 0..4 {
        assert_eq!(spool.matches(&format!("<m{i}@deliver.test>")).count(), 1);
    }
    // Our store reads them all, in order.
    let store = store_of(&u);
    let status = store.status("INBOX").unwrap();
    assert_eq!(status.messages, 4);
}

fn store_of(u: &TestUser) -> mailstore::Store {
    let mut cfg = mailstore::StoreConfig::new(&u.name, &u.home);
    cfg.state_dir = None;
    mailstore::Store::new(cfg)
}

#[test]
fn tmail_creates_and_fills_a_home_directory_inbox_mbx_mix_or_tenex() {
    if !can_run("tmail_creates_and_fills_a_home_directory_inbox_mbx_mix_or_tenex") {
        return;
    }
    for format in ["mbx", "mix", "tenex"] {
        let u = TestUser::new("h");
        let out = tmail(&ours_tmail(), &["-b", format, &u.name], &message("one", 3));
        assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
        let inbox = u.home.join("INBOX");
        assert!(inbox.exists(), "{format}: no ~/INBOX");
        assert!(!u.spool().exists(), "{format}: a spool file was made");
        // Later deliveries find it, ours and UW's.
        let out = tmail(&ours_tmail(), &[&u.name], &message("two", 30));
        assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
        let out = tmail(UW_TMAIL, &[&u.name], &message("three", 300));
        assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
        let check = u.uw_check("INBOX");
        assert!(check.contains("3 total in INBOX"), "{format}: {check}");
        assert_eq!(
            store_of(&u).format_of("INBOX").unwrap().unwrap().name(),
            format
        );
    }
}

#[test]
fn tmail_delivers_to_user_plus_folder_and_falls_back_to_inbox() {
    if !can_run("tmail_delivers_to_user_plus_folder_and_falls_back_to_inbox") {
        return;
    }
    let u = TestUser::new("f");
    u.make_spool();
    u.uw_create("jobs");
    let plus = format!("{}+jobs", u.name);
    let out = tmail(&ours_tmail(), &[&plus], &message("job", 4));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        u.uw_check("jobs").contains("1 total in jobs"),
        "{}",
        u.uw_check("jobs")
    );
    assert!(u.uw_check("INBOX").contains("No new messages, 0 total"));
    // A folder that does not exist: INBOX, with UW's words.
    let missing = format!("{}+nosuch", u.name);
    let uw = tmail(UW_TMAIL, &[&missing], &message("a", 1));
    let rs = tmail(&ours_tmail(), &[&missing], &message("b", 1));
    assert_eq!(outcome(&rs), outcome(&uw));
    assert!(u.uw_check("INBOX").contains("2 total in INBOX"));
}

#[test]
fn tmail_to_several_recipients_delivers_to_each_and_fails_if_one_fails() {
    if !can_run("tmail_to_several_recipients_delivers_to_each_and_fails_if_one_fails") {
        return;
    }
    let (a, b) = (TestUser::new("m"), TestUser::new("m"));
    a.make_spool();
    b.make_spool();
    let out = tmail(&ours_tmail(), &[&a.name, &b.name], &message("both", 3));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for u in [&a, &b] {
        let spool = fs::read_to_string(u.spool()).unwrap();
        assert!(spool.contains("<both@deliver.test>"));
        // With several recipients the Received line names none.
        assert!(!spool.contains(" for "), "{spool}");
        // Each was written by the recipient.
        assert_eq!(
            std::os::unix::fs::MetadataExt::uid(&fs::metadata(u.spool()).unwrap()),
            u.uid.as_raw()
        );
    }
    let out = tmail(
        &ours_tmail(),
        &[&a.name, "pdnosuchuser"],
        &message("half", 3),
    );
    assert_eq!(out.status.code(), Some(75), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such user as pdnosuchuser"));
    assert!(
        fs::read_to_string(a.spool())
            .unwrap()
            .contains("<half@deliver.test>")
    );
}

/// One refusal: the spool set up by `setup`, tmail run with `args` (the user's name
/// appended), our result compared with UW's and with `expected`.
fn refusal(u: &TestUser, setup: &dyn Fn(&TestUser), args: &[&str], code: i32, expected: &str) {
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.push(u.name.clone());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    setup(u);
    let uw = tmail(UW_TMAIL, &args, &message("uw", 2));
    setup(u);
    let rs = tmail(&ours_tmail(), &args, &message("rs", 2));
    let (rs_code, rs_lines) = outcome(&rs);
    assert_eq!(
        (rs_code, &rs_lines),
        (uw.status.code(), &outcome(&uw).1),
        "{args:?}"
    );
    assert_eq!(rs_code, Some(code), "{args:?}: {rs_lines:?}");
    assert!(
        rs_lines.iter().any(|l| l == expected),
        "{args:?}: {rs_lines:?} lacks {expected:?}"
    );
}

#[test]
fn tmail_refuses_unsafe_inboxes_with_uw_words_and_exit_codes() {
    if !can_run("tmail_refuses_unsafe_inboxes_with_uw_words_and_exit_codes") {
        return;
    }
    let u = TestUser::new("s");
    let spool = u.spool();
    let sp = spool.display().to_string();
    // A symbolic link in place of the spool file, to a mailbox of the user's (not an
    // empty one: UW then tries to create INBOX and fails on the name).
    let target = u.home.join("elsewhere");
    refusal(
        &u,
        &|u: &TestUser| {
            let _ = fs::remove_file(u.spool());
            fs::write(
                &target,
                b"From a@b Thu Nov 26 00:00:00 2026\nSubject: a\n\nb\n",
            )
            .unwrap();
            u.own(&target);
            std::os::unix::fs::symlink(&target, u.spool()).unwrap();
            // The link is the user's own (else it is refused as somebody else's).
            std::os::unix::fs::lchown(u.spool(), Some(u.uid.as_raw()), None).unwrap();
        },
        &[],
        75,
        &format!("delivery to {sp} unsafe: symbolic link"),
    );
    // Somebody else's file.
    refusal(
        &u,
        &|u: &TestUser| {
            u.make_spool();
            nix::unistd::chown(&u.spool(), Some(nix::unistd::Uid::from_raw(0)), None).unwrap();
        },
        &[],
        75,
        &format!("delivery to {sp} unsafe: uid mismatch (0 != {})", u.uid),
    );
    // A setuid file.
    refusal(
        &u,
        &|u: &TestUser| {
            u.make_spool();
            fs::set_permissions(u.spool(), fs::Permissions::from_mode(0o4660)).unwrap();
        },
        &[],
        75,
        &format!("delivery to {sp} unsafe: setuid file"),
    );
    // Hard links and public modes are only warned about.
    let link = u.home.join("hardlink");
    refusal(
        &u,
        &|u: &TestUser| {
            u.make_spool();
            let _ = fs::remove_file(&link);
            fs::hard_link(u.spool(), &link).unwrap();
            fs::set_permissions(u.spool(), fs::Permissions::from_mode(0o666)).unwrap();
        },
        &[],
        0,
        &format!("WARNING: multiple links to file {sp}"),
    );
    assert!(
        fs::read_to_string(&link)
            .unwrap()
            .contains("<rs@deliver.test>")
    );
    let _ = fs::remove_file(&link);
    u.make_spool();
    // Bad recipients and command lines.
    let none = |_: &TestUser| {};
    refusal(&u, &none, &["-x"], 75, "unknown switch");
    refusal(&u, &none, &["-f", "a", "-r"], 75, "duplicate -f or -r");
    for (rcpt, words) in [
        ("root", "mail to root prohibited"),
        ("pdnosuchuser", "no such user as pdnosuchuser"),
    ] {
        let uw = tmail(UW_TMAIL, &[rcpt], &message("x", 1));
        let rs = tmail(&ours_tmail(), &[rcpt], &message("x", 1));
        assert_eq!(outcome(&rs), outcome(&uw));
        assert_eq!(
            outcome(&rs),
            (
                Some(75),
                vec![
                    "tmail called with LF-only newlines".to_owned(),
                    words.to_owned()
                ]
            )
        );
    }
    // Empty input.
    let uw = tmail(UW_TMAIL, &[&u.name], b"");
    let rs = tmail(&ours_tmail(), &[&u.name], b"");
    assert_eq!(outcome(&rs), outcome(&uw));
    assert_eq!(
        outcome(&rs),
        (Some(75), vec!["bad first message line".to_owned()])
    );
}

#[test]
fn tmail_run_by_a_user_cannot_use_minus_i_or_deliver_to_others() {
    if !can_run("tmail_run_by_a_user_cannot_use_minus_i_or_deliver_to_others") {
        return;
    }
    let (u, v) = (TestUser::new("p"), TestUser::new("p"));
    u.make_spool();
    v.make_spool();
    let run = |program: &str, args: &[&str]| {
        let mut c = u.command(program);
        c.args(args);
        outcome(&feed(&mut c, &message("x", 1)))
    };
    let (code, lines) = run(&ours_tmail(), &["-I", "INBOX", &u.name]);
    assert_eq!(code, Some(75));
    assert_eq!(
        lines,
        [format!("user {} is not privileged to use -b or -I", u.name)]
    );
    // Another user: not without root.
    let (code, lines) = run(&ours_tmail(), &[&v.name]);
    assert_eq!(code, Some(75), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("unable to log in UID")),
        "{lines:?}"
    );
    assert_eq!(run(UW_TMAIL, &[&v.name]).0, Some(75));
    // Oneself: yes, and the Received line says who asked.
    let (code, lines) = run(&ours_tmail(), &[&u.name]);
    assert_eq!(code, Some(0), "{lines:?}");
    let spool = fs::read_to_string(u.spool()).unwrap();
    assert!(
        spool.contains(&format!("(invoked by user {}) for {}", u.name, u.name)),
        "{spool}"
    );
}
