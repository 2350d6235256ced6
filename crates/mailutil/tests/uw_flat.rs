//! UW c-client (Debian's `uw-mailutils`) as the oracle for the tenex, mtx and mmdf formats:
//! mailboxes UW's `mailutil` writes in them read the same in our store as in UW, and ours
//! read the same in UW.
//!
//! UW reads `~/.mminit` only with `allow-user-config`, which this machine's c-client does
//! not set: to UW, tenex and mtx mailboxes have no keywords, so keywords are compared only
//! where both sides can have them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::*;
use mailstore::{Access, Close, ExpungeScope, FlagOp, Flags};

/// The flat formats, by c-client driver name.
const FORMATS: [&str; 3] = ["tenex", "mtx", "mmdf"];

/// The keywords our store gives tenex and mtx mailboxes of the test account.
fn define_mminit_keywords() {
    put(
        &home().join(".mminit"),
        format!("set keywords {}\n", KEYWORDS.join(", ")),
    );
}

/// `e` as a format without keywords (to UW, tenex and mtx) stores it.
fn no_keywords(e: &Expected) -> Expected {
    Expected {
        keywords: BTreeSet::new(),
        ..e.clone()
    }
}

/// `e` after UW's mmdf append, which leaves an empty line before the closing delimiter that
/// its parser (and ours) then reads as text.
fn uw_mmdf_text(e: &Expected) -> Expected {
    let mut text = e.text.clone();
    text.extend_from_slice(b"\r\n");
    Expected { text, ..e.clone() }
}

/// Our reading of `a` and of `b` agree message by message (texts, flags, dates, and
/// keywords unless told not to compare them).
fn assert_same(a: &[Seen], b: &[Seen], keywords: bool, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: message count");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.flags, y.flags, "{what}: flags of message {}", i + 1);
        assert_eq!(x.date, y.date, "{what}: date of message {}", i + 1);
        assert!(x.text == y.text, "{what}: text of message {}", i + 1);
        if keywords {
            assert_eq!(
                x.keywords,
                y.keywords,
                "{what}: keywords of message {}",
                i + 1
            );
        }
    }
}

#[test]
fn uw_written_tenex_and_mtx_read_identically_in_ours() {
    if !oracle_available("uw_written_tenex_and_mtx_read_identically_in_ours") {
        return;
    }
    for fmt in ["tenex", "mtx"] {
        let (dir, rel) = workdir(&format!("uw-writes-{fmt}"));
        let expected: Vec<Expected> = write_fixture(&dir, 30).iter().map(no_keywords).collect();
        let name = format!("{rel}/box");
        uw(&[
            "copy",
            &format!("{rel}/fixture"),
            &format!("#driver.{fmt}/{name}"),
        ]);
        let (_, seen) = read_ours(&name);
        // UIDs are numbered afresh by each session.
        assert_eq!(uids(&seen), (1..=30).collect::<Vec<_>>());
        assert!(
            seen.iter().all(|s| s.recent),
            "{fmt}: UW's copy leaves mail new"
        );
        assert_matches_fixture(&seen, &expected, fmt);
        assert_eq!(
            uw(&["check", &name]).trim(),
            check_line(30, unseen(&seen), 30, &name)
        );

        // What UW understood of its own file, written again by UW: the same to us.
        let again = format!("#driver.{fmt}/{rel}/again");
        let seen_again = uw_copy_back(&name, &again, Keywords::Leave);
        assert_same(&seen, &seen_again, true, &format!("{fmt}: UW copy of UW's"));

        // UW expunges: the rest read the same, and are no longer new.
        let keep: Vec<&Expected> = uw_prune_fixture(&name, expected.iter().map(|e| ((), e)))
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        let (_, seen) = read_ours(&name);
        assert_matches_fixture(&seen, &keep, &format!("{fmt} after UW prune"));
        assert!(seen.iter().all(|s| !s.recent));
    }
}

#[test]
fn uw_written_mmdf_reads_identically_in_ours() {
    if !oracle_available("uw_written_mmdf_reads_identically_in_ours") {
        return;
    }
    let (dir, rel) = workdir("uw-writes-mmdf");
    let expected: Vec<Expected> = write_fixture(&dir, 30).iter().map(uw_mmdf_text).collect();
    let name = format!("{rel}/box");
    uw(&[
        "copy",
        "-kw",
        &format!("{rel}/fixture"),
        &format!("#driver.mmdf/{name}"),
    ]);
    let path = dir.join("box");
    assert!(fs::read(&path).unwrap().starts_with(b"\x01\x01\x01\x01\n"));
    let (validity, seen) = read_ours(&name);
    assert_eq!(validity, validity_in_file(&path));
    // -kw defines the keywords with a dummy message, which took UID 1.
    assert_eq!(uids(&seen), (2..=31).collect::<Vec<_>>());
    assert!(seen.iter().all(|s| s.recent));
    assert_matches_fixture(&seen, &expected, "UW mmdf");

    // UW's reading of its file, put in a tenex file by UW, is ours too (less keywords).
    let as_tenex = format!("#driver.tenex/{rel}/as-tenex");
    let seen_tenex = uw_copy_back(&name, &as_tenex, Keywords::Leave);
    assert_same(&seen, &seen_tenex, false, "UW mmdf through UW tenex");

    let keep = uw_prune_fixture(&name, (2..).zip(&expected));
    let (validity2, seen) = read_ours(&name);
    assert_eq!(validity2, validity);
    assert_kept(&seen, &keep, "mmdf after UW prune");
}

#[test]
fn our_flat_mailboxes_read_identically_in_uw() {
    if !oracle_available("our_flat_mailboxes_read_identically_in_uw") {
        return;
    }
    define_mminit_keywords();
    for fmt in FORMATS {
        let (dir, rel) = workdir(&format!("we-write-{fmt}"));
        let expected = write_fixture(&dir, 30);
        let name = format!("{rel}/ours");
        our_mailutil(&[
            "copy",
            "-kw",
            "-kw",
            &format!("{rel}/fixture"),
            &format!("#driver.{fmt}/{name}"),
        ]);
        let (_, seen) = read_ours(&name);
        assert_matches_fixture(&seen, &expected, fmt);
        assert_eq!(
            uw(&["check", &name]).trim(),
            check_line(30, unseen(&seen), 30, &name),
            "{fmt}"
        );
        check_uw_reads_as_we_do(&rel, &name, fmt, "our copy");

        // A read-write session of ours changes flags and expunges; UW sees the result.
        let store = store();
        let mut mb = store.open(&name, Access::ReadWrite).unwrap();
        mb.set_flags(
            &[seq(2), seq(4)],
            FlagOp::Add,
            Flags::SEEN.union(Flags::FLAGGED),
            &[],
        )
        .unwrap();
        mb.set_flags(&[seq(1)], FlagOp::Replace, Flags::ANSWERED, &[])
            .unwrap();
        mb.set_flags(&[seq(3), seq(7)], FlagOp::Add, Flags::DELETED, &[])
            .unwrap();
        let gone = mb.expunge(ExpungeScope::AllDeleted).unwrap();
        assert!(gone.len() >= 2, "{fmt}: {gone:?}");
        mb.close(Close::Keep).unwrap();
        let (_, seen) = read_ours(&name);
        assert_eq!(seen.len(), 30 - gone.len());
        assert_eq!(
            uw(&["check", &name]).trim(),
            check_line(0, unseen(&seen), seen.len(), &name),
            "{fmt}"
        );
        check_uw_reads_as_we_do(&rel, &name, fmt, "after our session");
    }
}

/// UW copies our mailbox `name` to a UNIX mailbox; we read that as we read ours.
fn check_uw_reads_as_we_do(rel: &str, name: &str, fmt: &str, what: &str) {
    let back = format!("{rel}/back-{}", what.replace(' ', "-"));
    let seen_back = uw_copy_back(name, &back, Keywords::Copy);
    let (_, seen) = read_ours(name);
    // The UNIX copy escapes body lines starting "From ".
    let escaped: Vec<Seen> = seen.iter().map(Seen::escaped).collect();
    let keywords = fmt == "mmdf";
    assert_same(
        &escaped,
        &seen_back,
        keywords,
        &format!("{fmt}: UW's reading, {what}"),
    );
}

#[test]
fn uw_and_ours_share_a_tenex_mailbox() {
    if !oracle_available("uw_and_ours_share_a_tenex_mailbox") {
        return;
    }
    for fmt in ["tenex", "mtx"] {
        let (dir, rel) = workdir(&format!("share-{fmt}"));
        write_fixture(&dir, 10);
        let name = format!("{rel}/box");
        uw(&[
            "copy",
            &format!("{rel}/fixture"),
            &format!("#driver.{fmt}/{name}"),
        ]);
        let store = store();
        let mut mb = store.open(&name, Access::ReadWrite).unwrap();
        assert_eq!(mb.messages().len(), 10);
        // UW appends while our session has the mailbox: we see the new mail.
        let more = format!("{rel}/more");
        uw(&["copy", &format!("{rel}/fixture"), &more]);
        uw(&["appenddelete", &more, &name]);
        let changes = mb.poll().unwrap();
        assert_eq!(changes[0], mailstore::Change::Exists(20), "{fmt}");
        // UW cannot expunge while we have it open (c-client needs the file to itself).
        let (_, out) = uw_status(&["prune", &name, "SUBJECT prune-me"]);
        assert!(out.contains("in use by another process"), "{fmt}: {out}");
        mb.poll().unwrap();
        assert_eq!(mb.messages().len(), 20);
        // With the mailbox to ourselves, we can.
        mb.set_flags(&[seq(1)], FlagOp::Add, Flags::DELETED, &[])
            .unwrap();
        assert_eq!(mb.expunge(ExpungeScope::AllDeleted).unwrap()[0], seq(1));
        mb.close(Close::Keep).unwrap();
        let (_, seen) = read_ours(&name);
        assert_eq!(
            uw(&["check", &name]).trim(),
            check_line(0, unseen(&seen), seen.len(), &name),
            "{fmt}"
        );
    }
}
