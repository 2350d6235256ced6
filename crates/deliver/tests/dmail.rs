//! `dmail` against UW's: delivery into a named folder as the user, and its refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;
use mailstore::{Access, Close, Flags, Part, SeqNo};

fn dmail(u: &TestUser, program: &str, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut c = u.command(program);
    c.args(args);
    feed(&mut c, input)
}

#[test]
fn dmail_delivers_into_a_named_folder_as_the_user() {
    if !can_run("dmail_delivers_into_a_named_folder_as_the_user") {
        return;
    }
    let u = TestUser::new("d");
    u.make_spool();
    u.uw_create("jobs");
    let ours = ours("dmail").display().to_string();
    let out = dmail(
        &u,
        &ours,
        &["-s", "-f", "boss@example.org", "+jobs"],
        &message("d1", 8),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("delivered to {}", u.home.join("jobs").display())),
        "{stderr}"
    );
    // UW's dmail appends after ours; UW's mailutil reads both.
    let out = dmail(&u, UW_DMAIL, &["+jobs"], &message("d2", 8));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let check = u.uw_check("jobs");
    assert!(check.contains("2 total in jobs"), "{check}");
    // Ours is \Seen, with the Return-Path and dmail's Received line.
    let mut cfg = mailstore::StoreConfig::new(&u.name, &u.home);
    cfg.state_dir = None;
    let store = mailstore::Store::new(cfg);
    let mut mb = store.open("jobs", Access::ReadOnly).unwrap();
    let first = SeqNo::new(1).unwrap();
    assert!(mb.messages()[0].flags.contains(Flags::SEEN));
    let text = String::from_utf8_lossy(&mb.fetch(first, Part::Whole).unwrap()).into_owned();
    assert!(
        text.starts_with("Return-Path: <boss@example.org>\r\nReceived: via dmail-"),
        "{text}"
    );
    assert!(text.contains(" for +jobs; "), "{text}");
    mb.close(Close::Keep).unwrap();
    // Plain dmail: INBOX.
    let out = dmail(&u, &ours, &[], &message("d3", 2));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(u.uw_check("INBOX").contains("1 total in INBOX"));
}

#[test]
fn dmail_refuses_as_uw_dmail_does() {
    if !can_run("dmail_refuses_as_uw_dmail_does") {
        return;
    }
    let (u, v) = (TestUser::new("d"), TestUser::new("d"));
    u.make_spool();
    let ours = ours("dmail").display().to_string();
    let compare = |args: &[&str], expected: &str| {
        let uw = outcome(&dmail(&u, UW_DMAIL, args, &message("x", 1)));
        let rs = outcome(&dmail(&u, &ours, args, &message("x", 1)));
        assert_eq!(rs, uw, "{args:?}");
        assert!(rs.1.iter().any(|l| l == expected), "{args:?}: {rs:?}");
    };
    compare(&[&v.name], "can't deliver to other user");
    compare(&["a", "b"], "too many recipients");
    compare(&["-x"], "unknown switch");
    compare(
        &["+/etc/passwd"],
        &format!("invalid mailbox name {}+/etc/passwd", u.name),
    );
    // Root may not run it.
    let uw = outcome(&feed(&mut Command::new(UW_DMAIL), &message("x", 1)));
    let rs = outcome(&feed(&mut Command::new(&ours), &message("x", 1)));
    assert_eq!(rs, uw);
    assert_eq!(
        rs,
        (
            Some(75),
            vec!["dmail may not be invoked by root or daemon".to_owned()]
        )
    );
}
