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
use mailstore::{Access, Close, ExpungeScope, FlagOp, Flags, SeqNo};

/// The flat formats, by c-client driver name.
const FORMATS: [&str; 3] = ["tenex", "mtx", "mmdf"];

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

fn write_fixture(dir: &std::path::Path, n: usize) -> Vec<Expected> {
    let (bytes, expected) = fixture(n);
    let p = dir.join("fixture");
    fs::write(&p, bytes).unwrap();
    give(&p);
    expected
}

/// The keywords our store gives tenex and mtx mailboxes of the test account.
fn define_mminit_keywords() {
    let p = home().join(".mminit");
    fs::write(&p, format!("set keywords {}\n", KEYWORDS.join(", "))).unwrap();
    give(&p);
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
        assert_eq!(
            seen.iter().map(|s| s.uid).collect::<Vec<_>>(),
            (1..=30).collect::<Vec<_>>()
        );
        assert!(
            seen.iter().all(|s| s.recent),
            "{fmt}: UW's copy leaves mail new"
        );
        assert_matches_fixture(&seen, &expected.iter().collect::<Vec<_>>(), fmt);
        let unseen = seen
            .iter()
            .filter(|s| !s.flags.contains(Flags::SEEN))
            .count();
        assert_eq!(
            uw(&["check", &name]).trim(),
            format!("30 new message(s) ({unseen} unseen), 30 total in {name}")
        );

        // What UW understood of its own file, written again by UW: the same to us.
        let again = format!("{rel}/again");
        uw(&["copy", &name, &format!("#driver.{fmt}/{again}")]);
        let (_, seen_again) = read_ours(&again);
        assert_same(&seen, &seen_again, true, &format!("{fmt}: UW copy of UW's"));

        // UW expunges: the rest read the same, and are no longer new.
        let (_, out) = uw_status(&["prune", &name, "SUBJECT prune-me"]);
        let keep: Vec<&Expected> = expected
            .iter()
            .filter(|e| !e.subject.starts_with("prune-me") && !e.flags.contains(Flags::DELETED))
            .collect();
        assert!(
            out.contains(&format!("{} message(s) purged", 30 - keep.len())),
            "{out}"
        );
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
    assert_eq!(
        seen.iter().map(|s| s.uid).collect::<Vec<_>>(),
        (2..=31).collect::<Vec<_>>()
    );
    assert!(seen.iter().all(|s| s.recent));
    assert_matches_fixture(&seen, &expected.iter().collect::<Vec<_>>(), "UW mmdf");

    // UW's reading of its file, put in a tenex file by UW, is ours too (less keywords).
    let as_tenex = format!("{rel}/as-tenex");
    uw(&["copy", &name, &format!("#driver.tenex/{as_tenex}")]);
    let (_, seen_tenex) = read_ours(&as_tenex);
    assert_same(&seen, &seen_tenex, false, "UW mmdf through UW tenex");

    let (_, out) = uw_status(&["prune", &name, "SUBJECT prune-me"]);
    let keep: Vec<(u32, &Expected)> = expected
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.subject.starts_with("prune-me") && !e.flags.contains(Flags::DELETED))
        .map(|(i, e)| (i as u32 + 2, e))
        .collect();
    assert!(
        out.contains(&format!("{} message(s) purged", 30 - keep.len())),
        "{out}"
    );
    let (validity2, seen) = read_ours(&name);
    assert_eq!(validity2, validity);
    assert_eq!(
        seen.iter().map(|s| s.uid).collect::<Vec<_>>(),
        keep.iter().map(|(u, _)| *u).collect::<Vec<_>>()
    );
    assert_matches_fixture(
        &seen,
        &keep.iter().map(|(_, e)| *e).collect::<Vec<_>>(),
        "mmdf after UW prune",
    );
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
        let out = as_user(
            &ours(),
            &[
                "copy",
                "-kw",
                &format!("{rel}/fixture"),
                &format!("#driver.{fmt}/{name}"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (_, seen) = read_ours(&name);
        assert_matches_fixture(&seen, &expected.iter().collect::<Vec<_>>(), fmt);
        let unseen = seen
            .iter()
            .filter(|s| !s.flags.contains(Flags::SEEN))
            .count();
        assert_eq!(
            uw(&["check", &name]).trim(),
            format!("30 new message(s) ({unseen} unseen), 30 total in {name}"),
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
        let unseen = seen
            .iter()
            .filter(|s| !s.flags.contains(Flags::SEEN))
            .count();
        assert_eq!(
            uw(&["check", &name]).trim(),
            format!(
                "0 new message(s) ({unseen} unseen), {} total in {name}",
                seen.len()
            ),
            "{fmt}"
        );
        check_uw_reads_as_we_do(&rel, &name, fmt, "after our session");
    }
}

/// UW copies our mailbox `name` to a UNIX mailbox; we read that as we read ours.
fn check_uw_reads_as_we_do(rel: &str, name: &str, fmt: &str, what: &str) {
    let back = format!("{rel}/back-{}", what.replace(' ', "-"));
    uw(&["copy", "-kw", name, &back]);
    let (_, seen) = read_ours(name);
    let (_, seen_back) = read_ours(&back);
    // The UNIX copy escapes body lines starting "From ".
    let escaped: Vec<Seen> = seen
        .iter()
        .map(|s| {
            let e = Expected {
                subject: String::new(),
                flags: s.flags,
                keywords: s.keywords.clone(),
                text: s.text.clone(),
                date: s.date,
            }
            .escaped();
            Seen {
                text: e.text,
                ..s.clone()
            }
        })
        .collect();
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
        let unseen = read_ours(&name)
            .1
            .iter()
            .filter(|s| !s.flags.contains(Flags::SEEN))
            .count();
        let total = read_ours(&name).1.len();
        assert_eq!(
            uw(&["check", &name]).trim(),
            format!("0 new message(s) ({unseen} unseen), {total} total in {name}"),
            "{fmt}"
        );
    }
}
