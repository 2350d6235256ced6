//! UW c-client (Debian's `uw-mailutils`) as the oracle for the mbx format: mbx mailboxes
//! UW's mailutil makes and copies into read the same in our store, ours read the same in
//! UW's, and UW appends while two of our sessions work on the same mailbox lose nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::*;
use mailstore::{Access, Close, ExpungeScope, FlagOp, Flags};

/// The first bytes of a file: whether it is an mbx file (read without our parser).
fn is_mbx_file(path: &std::path::Path) -> bool {
    fs::read(path).unwrap().starts_with(b"*mbx*\r\n")
}

#[test]
fn uw_created_mbx_reads_identically_in_ours() {
    if !oracle_available("uw_created_mbx_reads_identically_in_ours") {
        return;
    }
    let (dir, rel) = workdir("mbx-uw-writes");
    let expected = write_fixture(&dir, 30);
    let dst = format!("{rel}/uwbox");
    uw(&[
        "copy",
        "-kw",
        &format!("{rel}/fixture"),
        &format!("#driver.mbx/{dst}"),
    ]);
    let path = dir.join("uwbox");
    assert!(is_mbx_file(&path));
    let store = store();
    assert_eq!(store.format_of(&dst).unwrap(), Some(mailstore::Format::Mbx));
    let (validity, seen) = read_ours(&dst);
    let header = fs::read(&path).unwrap();
    let in_file = u32::from_str_radix(std::str::from_utf8(&header[7..15]).unwrap(), 16).unwrap();
    assert_eq!(validity, in_file);
    assert!(seen.windows(2).all(|w| w[0].uid < w[1].uid));
    // UW copies neither \Recent nor "old": every message is new to the next reader.
    assert!(seen.iter().all(|s| s.recent));
    assert_matches_fixture(&seen, &expected, "UW mbx copy");
    assert_eq!(
        uw(&["check", &dst]).trim(),
        check_line(30, unseen(&expected), 30, &dst)
    );

    // Our read-write session gives the UIDs; UW keeps them, and its expunge (prune)
    // keeps the others'.
    let mb = store.open(&dst, Access::ReadWrite).unwrap();
    let given: Vec<u32> = mb.messages().iter().map(|m| m.uid.get()).collect();
    mb.close(Close::Keep).unwrap();
    let keep = uw_prune_fixture(&dst, given.into_iter().zip(&expected));
    let (validity2, seen) = read_ours(&dst);
    assert_eq!(validity2, validity);
    assert_kept(&seen, &keep, "after UW prune");
    assert!(seen.iter().all(|s| !s.recent));
}

#[test]
fn our_mbx_reads_identically_in_uw() {
    if !oracle_available("our_mbx_reads_identically_in_uw") {
        return;
    }
    let (dir, rel) = workdir("mbx-we-write");
    let expected = write_fixture(&dir, 30);
    let ours_name = format!("{rel}/ours");
    our_mailutil(&[
        "copy",
        "-kw",
        &format!("{rel}/fixture"),
        &format!("#driver.mbx/{ours_name}"),
    ]);
    assert!(is_mbx_file(&dir.join("ours")));
    let (validity, seen) = read_ours(&ours_name);
    assert_matches_fixture(&seen, &expected, "our copy");
    let recent = seen.iter().filter(|s| s.recent).count();
    assert_eq!(
        uw(&["check", &ours_name]).trim(),
        check_line(recent, unseen(&seen), 30, &ours_name)
    );

    // UW reads our mailbox and writes what it understood into a UNIX mailbox.
    let seen_back = uw_copy_back(&ours_name, &format!("{rel}/back"), Keywords::Copy);
    let escaped: Vec<Expected> = expected.iter().map(Expected::escaped).collect();
    assert_matches_fixture(&seen_back, &escaped, "UW copy of ours");

    // UW opens ours read-write: it keeps our UIDs and UIDVALIDITY.
    let (_, out) = uw_status(&["prune", &ours_name, "SUBJECT no-such-subject-anywhere"]);
    assert!(out.contains("No matching messages"), "{out}");
    let (validity2, seen2) = read_ours(&ours_name);
    assert_eq!(validity2, validity);
    assert_eq!(uids(&seen2), uids(&seen));
    assert_matches_fixture(&seen2, &expected, "ours after UW rw");
}

#[test]
fn our_mbx_flag_changes_and_expunge_read_identically_in_uw() {
    if !oracle_available("our_mbx_flag_changes_and_expunge_read_identically_in_uw") {
        return;
    }
    let (dir, rel) = workdir("mbx-we-change");
    let expected = write_fixture(&dir, 25);
    let name = format!("{rel}/box");
    uw(&[
        "copy",
        "-kw",
        &format!("{rel}/fixture"),
        &format!("#driver.mbx/{name}"),
    ]);
    let keep = our_changes_and_expunge(&name, expected);
    assert_eq!(
        uw(&["check", &name]).trim(),
        check_line(0, unseen(&keep), keep.len(), &name)
    );
    let seen = uw_copy_back(&name, &format!("{rel}/back"), Keywords::Copy);
    let keep_escaped: Vec<Expected> = keep.iter().map(|e| e.escaped()).collect();
    assert_matches_fixture(&seen, &keep_escaped, "UW copy after our changes");
    let _ = dir;
}

#[test]
fn hidden_expunge_is_hidden_from_uw_and_reclaimed_later() {
    if !oracle_available("hidden_expunge_is_hidden_from_uw_and_reclaimed_later") {
        return;
    }
    let (dir, rel) = workdir("mbx-hidden");
    write_fixture(&dir, 10);
    let name = format!("{rel}/box");
    uw(&[
        "copy",
        &format!("{rel}/fixture"),
        &format!("#driver.mbx/{name}"),
    ]);
    let store = store();
    let mut a = store.open(&name, Access::ReadWrite).unwrap();
    let b = store.open(&name, Access::ReadOnly).unwrap();
    let size = fs::metadata(dir.join("box")).unwrap().len();
    a.set_flags(&[seq(1), seq(2), seq(3)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    let uids: Vec<_> = a.messages()[..3].iter().map(|m| m.uid).collect();
    assert_eq!(a.expunge(ExpungeScope::Uids(&uids)).unwrap().len(), 3);
    assert_eq!(fs::metadata(dir.join("box")).unwrap().len(), size);
    // UW skips the hidden messages too (and cannot reclaim them while we share the file).
    let line = uw(&["check", &name]);
    assert!(
        line.trim().ends_with(&format!("7 total in {name}")),
        "{line}"
    );
    a.close(Close::Keep).unwrap();
    drop(b);
    // Alone, UW's read-write session reclaims the space.
    let (_, out) = uw_status(&["prune", &name, "SUBJECT no-such-subject-anywhere"]);
    assert!(out.contains("No matching messages"), "{out}");
    assert!(fs::metadata(dir.join("box")).unwrap().len() < size);
    let (_, seen) = read_ours(&name);
    assert_eq!(seen.len(), 7);
}

#[test]
fn uw_appends_while_two_of_our_sessions_work() {
    if !oracle_available("uw_appends_while_two_of_our_sessions_work") {
        return;
    }
    let (dir, rel) = workdir("mbx-concurrent");
    let name = format!("{rel}/box");
    uw(&["create", &format!("#driver.mbx/{name}")]);
    const UW_N: usize = 20;
    const OUR_N: usize = 20;
    let texts: Vec<String> = (0..UW_N)
        .map(|i| {
            format!(
                "From uw@example.com Thu Nov 26 04:00:00 2026\nSubject: uw-{i}\n\nfrom uw {i}\n"
            )
        })
        .collect();
    let uw_thread = spawn_uw_appends(&dir, &rel, &name, &texts);
    let sessions: Vec<_> = (0..2)
        .map(|s| {
            let name = name.clone();
            std::thread::spawn(move || {
                let store = store();
                let mut mb = store.open(&name, Access::ReadWrite).unwrap();
                assert_eq!(mb.access(), Access::ReadWrite);
                for i in 0..OUR_N {
                    let data = format!("Subject: ours-{s}-{i}\r\n\r\nfrom us {i}\r\n");
                    mb.append(&mut std::iter::once(Ok(append_message(data))))
                        .unwrap();
                    mb.poll().unwrap();
                    let n = mb.messages().len() as u32;
                    mb.set_flags(&[seq(n)], FlagOp::Add, Flags::SEEN, &[])
                        .unwrap();
                }
                mb.close(Close::Keep).unwrap();
            })
        })
        .collect();
    for s in sessions {
        s.join().unwrap();
    }
    uw_thread.join().unwrap();
    let (_, seen) = read_ours(&name);
    assert_eq!(seen.len(), UW_N + 2 * OUR_N);
    assert!(seen.windows(2).all(|w| w[0].uid < w[1].uid));
    let subjects: BTreeSet<String> = seen.iter().map(|s| subject(&s.text)).collect();
    assert_eq!(subjects.len(), UW_N + 2 * OUR_N, "a message was duplicated");
    let line = uw(&["check", &name]);
    assert!(
        line.trim()
            .ends_with(&format!("{} total in {name}", UW_N + 2 * OUR_N)),
        "{line}"
    );
}
