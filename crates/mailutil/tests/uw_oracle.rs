//! UW c-client (Debian's `uw-mailutils`) as the oracle for the UNIX mailbox format:
//! mailboxes it writes read the same in our store, mailboxes we write read the same in it,
//! and both can work on one mailbox at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::*;
use mailstore::{Access, Close, ExpungeScope, FlagOp, Flags, SeqNo};

#[test]
fn fixture_reads_as_written() {
    if !oracle_available("fixture_reads_as_written") {
        return;
    }
    // The fixture itself, read by us and counted by UW.
    let (dir, rel) = workdir("fixture");
    let expected = write_fixture(&dir, 40);
    let name = format!("{rel}/fixture");
    let (validity, seen) = read_ours(&name);
    assert_eq!(validity, 1_234_567_890);
    assert_eq!(uids(&seen), (1..=40).collect::<Vec<_>>());
    assert_matches_fixture(&seen, &expected, "fixture");
    let unseen = unseen(&expected);
    assert_eq!(
        uw(&["check", &name]).trim(),
        check_line(0, unseen, 40, &name)
    );
    let ours = std::process::Command::new(env!("CARGO_BIN_EXE_mailutil"))
        .args(["check", &dir.join("fixture").to_string_lossy()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout).trim(),
        check_line(0, unseen, 40, &dir.join("fixture").to_string_lossy())
    );
}

#[test]
fn uw_written_mailbox_reads_identically_in_ours() {
    if !oracle_available("uw_written_mailbox_reads_identically_in_ours") {
        return;
    }
    let (dir, rel) = workdir("uw-writes");
    let expected: Vec<Expected> = write_fixture(&dir, 30)
        .iter()
        .map(Expected::escaped)
        .collect();
    let dst = format!("{rel}/uwbox");
    uw(&["copy", "-kw", &format!("{rel}/fixture"), &dst]);
    let path = dir.join("uwbox");
    let (validity, seen) = read_ours(&dst);
    assert_eq!(validity, validity_in_file(&path));
    // UW's -kw defines the keywords by appending and expunging a dummy message, which
    // takes UID 1.
    assert_eq!(uids(&seen), (2..=31).collect::<Vec<_>>());
    // UW copies neither \Recent nor "O": every message is new to the next reader.
    assert!(seen.iter().all(|s| s.recent));
    assert_matches_fixture(&seen, &expected, "UW copy");

    // UW expunges (prune rewrites the file): the rest keep their UIDs.
    let keep = uw_prune_fixture(&dst, (2..).zip(&expected));
    let (validity2, seen) = read_ours(&dst);
    assert_eq!(validity2, validity);
    assert_kept(&seen, &keep, "after UW prune");
    // UW's read-write session took \Recent.
    assert!(seen.iter().all(|s| !s.recent));
}

#[test]
fn our_mailbox_reads_identically_in_uw() {
    if !oracle_available("our_mailbox_reads_identically_in_uw") {
        return;
    }
    let (dir, rel) = workdir("we-write");
    let expected: Vec<Expected> = write_fixture(&dir, 30)
        .iter()
        .map(Expected::escaped)
        .collect();
    let ours_name = format!("{rel}/ours");
    our_mailutil(&["copy", "-kw", &format!("{rel}/fixture"), &ours_name]);
    let (validity, seen) = read_ours(&ours_name);
    assert_matches_fixture(&seen, &expected, "our copy");
    let recent = seen.iter().filter(|s| s.recent).count();
    assert_eq!(
        uw(&["check", &ours_name]).trim(),
        check_line(recent, unseen(&seen), 30, &ours_name)
    );

    // UW reads our mailbox and writes what it understood into one of its own.
    let seen_back = uw_copy_back(&ours_name, &format!("{rel}/back"), Keywords::Copy);
    assert_matches_fixture(&seen_back, &expected, "UW copy of ours");

    // UW opens ours read-write and closes it: had it disagreed with our UIDs or
    // UIDVALIDITY it would have renumbered.
    let (_, out) = uw_status(&["prune", &ours_name, "SUBJECT no-such-subject-anywhere"]);
    assert!(out.contains("No matching messages"), "{out}");
    let (validity2, seen2) = read_ours(&ours_name);
    assert_eq!(validity2, validity);
    assert_eq!(uids(&seen2), uids(&seen));
    assert_matches_fixture(&seen2, &expected, "ours after UW rw");
}

#[test]
fn our_flag_changes_and_expunge_read_identically_in_uw() {
    if !oracle_available("our_flag_changes_and_expunge_read_identically_in_uw") {
        return;
    }
    let (dir, rel) = workdir("we-change");
    let expected: Vec<Expected> = write_fixture(&dir, 25)
        .iter()
        .map(Expected::escaped)
        .collect();
    let name = format!("{rel}/box");
    uw(&["copy", "-kw", &format!("{rel}/fixture"), &name]);
    let keep = our_changes_and_expunge(&name, expected);
    assert_eq!(
        uw(&["check", &name]).trim(),
        check_line(0, unseen(&keep), keep.len(), &name)
    );
    let seen = uw_copy_back(&name, &format!("{rel}/back"), Keywords::Copy);
    assert_matches_fixture(&seen, &keep, "UW copy after our changes");
}

#[test]
fn delivered_spool_gets_uids_that_uw_keeps() {
    if !oracle_available("delivered_spool_gets_uids_that_uw_keeps") {
        return;
    }
    // A file as a delivery agent writes it: no status headers, no pseudo-message.
    let (dir, rel) = workdir("spool");
    let mut text = String::new();
    for i in 0..12 {
        text.push_str(&format!(
            "From mta@example.com Thu Nov 26 03:{i:02}:00 2026\nFrom: x{i}@example.com\nSubject: delivered {i}\n\nBody {i}\nFrom the body, unescaped but not a From line.\n\n"
        ));
    }
    let p = dir.join("spool");
    put(&p, &text);
    let name = format!("{rel}/spool");
    let store = store();
    let mut mb = store.open(&name, Access::ReadWrite).unwrap();
    assert_eq!(mb.messages().len(), 12);
    mb.set_flags(&[seq(3)], FlagOp::Add, Flags::SEEN, &[])
        .unwrap();
    mb.close(Close::Keep).unwrap();
    let written = fs::read_to_string(&p).unwrap();
    assert!(written.contains("X-IMAPbase: "), "{written}");
    let (validity, seen) = read_ours(&name);
    assert_eq!(validity, validity_in_file(&p));
    assert_eq!(uw(&["check", &name]).trim(), check_line(0, 11, 12, &name));
    let (_, out) = uw_status(&["prune", &name, "SUBJECT nothing-matches-this"]);
    assert!(out.contains("No matching messages"), "{out}");
    let (validity2, seen2) = read_ours(&name);
    assert_eq!(validity2, validity);
    assert_eq!(
        seen2.iter().map(|s| (s.uid, s.flags)).collect::<Vec<_>>(),
        seen.iter().map(|s| (s.uid, s.flags)).collect::<Vec<_>>()
    );
}

#[test]
fn uw_and_ours_append_and_expunge_at_the_same_time() {
    if !oracle_available("uw_and_ours_append_and_expunge_at_the_same_time") {
        return;
    }
    let (dir, rel) = workdir("concurrent");
    let name = format!("{rel}/box");
    uw(&["create", &name]);
    // One source mailbox per UW append, each with one unique message.
    const UW_N: usize = 25;
    const OUR_N: usize = 25;
    let texts: Vec<String> = (0..UW_N)
        .map(|i| format!("From uw@example.com Thu Nov 26 04:00:00 2026\nSubject: uw-{i}\nMessage-ID: <uw-{i}@t>\n\nfrom uw {i}\n"))
        .collect();
    let uw_thread = spawn_uw_appends(&dir, &rel, &name, &texts);
    let store = store();
    for i in 0..OUR_N {
        let data = format!("Subject: ours-{i}\r\nMessage-ID: <ours-{i}@t>\r\n\r\nfrom us {i}\r\n");
        let doomed = format!("Subject: doomed-{i}\r\n\r\nto be expunged\r\n");
        store
            .append(
                &name,
                &mut [data, doomed].into_iter().map(|d| Ok(append_message(d))),
            )
            .unwrap();
        if i % 5 == 4 {
            let mut mb = store.open(&name, Access::ReadWrite).unwrap();
            let doomed: Vec<SeqNo> = (0..mb.messages().len())
                .filter_map(|k| {
                    let s = seq(k as u32 + 1);
                    let h = mb.fetch(s, mailstore::Part::Header).unwrap();
                    String::from_utf8_lossy(&h).contains("doomed-").then_some(s)
                })
                .collect();
            mb.set_flags(&doomed, FlagOp::Add, Flags::DELETED, &[])
                .unwrap();
            mb.expunge(ExpungeScope::AllDeleted).unwrap();
            mb.close(Close::Keep).unwrap();
        }
    }
    uw_thread.join().unwrap();
    let mut mb = store.open(&name, Access::ReadWrite).unwrap();
    let mut subjects = Vec::new();
    for k in 0..mb.messages().len() {
        let h = mb
            .fetch(seq(k as u32 + 1), mailstore::Part::Header)
            .unwrap();
        subjects.push(subject(&h));
    }
    subjects.retain(|s| !s.starts_with("doomed-"));
    let mut sorted = subjects.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), subjects.len(), "a message is there twice");
    let mut want: Vec<String> = (0..UW_N)
        .map(|i| format!("uw-{i}"))
        .chain((0..OUR_N).map(|i| format!("ours-{i}")))
        .collect();
    want.sort();
    assert_eq!(sorted, want);
    let uids: Vec<u32> = mb.messages().iter().map(|m| m.uid.get()).collect();
    assert!(
        uids.windows(2).all(|w| w[0] < w[1]),
        "UIDs not ascending: {uids:?}"
    );
    mb.close(Close::Keep).unwrap();
    let total = uw(&["check", &name]);
    assert!(total.contains(&format!("total in {name}")), "{total}");
}

/// The holder's part of the kiss-of-death test, run as the test account: hold the mailbox
/// read-write until asked to let go.
fn holder_role() -> bool {
    let Ok(name) = std::env::var("PANDA_HOLD") else {
        return false;
    };
    use std::io::Write;
    mailstore::lock::kod::install().unwrap();
    let store = account_store();
    let mut mb = store.open(&name, Access::ReadWrite).unwrap();
    assert_eq!(mb.access(), Access::ReadWrite);
    println!("holding {}", std::process::id());
    std::io::stdout().flush().unwrap();
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(30) {
        let changes = mb.poll().unwrap();
        if changes.contains(&mailstore::Change::LostWriteAccess) {
            println!("released");
            std::io::stdout().flush().unwrap();
            mb.close(Close::Keep).unwrap();
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    println!("never asked");
    true
}

#[test]
fn uw_kiss_of_death_reaches_our_session() {
    if holder_role() {
        return;
    }
    if !oracle_available("uw_kiss_of_death_reaches_our_session") {
        return;
    }
    let (dir, rel) = workdir("kod");
    write_fixture(&dir, 5);
    let name = format!("{rel}/box");
    uw(&["copy", &format!("{rel}/fixture"), &name]);
    // Our session, in a process of the test account, holds the mailbox read-write.
    let exe = runnable(&std::env::current_exe().unwrap());
    let mut holder = user_command(
        &exe,
        &[
            "--exact",
            "uw_kiss_of_death_reaches_our_session",
            "--nocapture",
        ],
    )
    .env("PANDA_HOLD", &name)
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut out = std::io::BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    use std::io::BufRead;
    while !line.starts_with("holding ") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "holder ended early");
    }
    let pid: u32 = line["holding ".len()..].trim().parse().unwrap();
    // UW's read-write open sends it the kiss of death and gets the mailbox.
    let (ok, text) = uw_status(&["copy", "-rw", &name, &format!("{rel}/copy")]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("Trying to get mailbox lock from process {pid}")),
        "{text}"
    );
    assert!(!text.contains("readonly"), "{text}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(rest.contains("released"), "{rest}");
    holder.wait().unwrap();
    assert_eq!(read_ours(&format!("{rel}/copy")).1.len(), 5);
}

#[test]
fn uw_mailbox_without_pseudo_message_reads_identically_in_ours() {
    if !oracle_available("uw_mailbox_without_pseudo_message_reads_identically_in_ours") {
        return;
    }
    // UW appending to an empty file writes no pseudo-message: the first message carries
    // X-IMAPbase.
    let (dir, rel) = workdir("uw-nopseudo");
    let expected: Vec<Expected> = write_fixture(&dir, 12)
        .iter()
        .map(Expected::escaped)
        .collect();
    let p = dir.join("plain");
    put(&p, b"");
    let name = format!("{rel}/plain");
    uw(&["append", &format!("{rel}/fixture"), &name]);
    let text = fs::read_to_string(&p).unwrap();
    assert!(
        !text.contains("FOLDER INTERNAL DATA"),
        "UW wrote a pseudo-message"
    );
    assert!(
        text.contains("X-IMAPbase: "),
        "{}",
        &text[..text.len().min(400)]
    );
    let (validity, seen) = read_ours(&name);
    assert_eq!(validity, validity_in_file(&p));
    assert_eq!(uids(&seen), (1..=12).collect::<Vec<_>>());
    // UW's append without -kw keeps no keywords the empty mailbox did not define.
    let no_keywords: Vec<Expected> = expected
        .iter()
        .map(|e| Expected {
            keywords: BTreeSet::new(),
            ..e.clone()
        })
        .collect();
    assert_matches_fixture(&seen, &no_keywords, "UW append");
}
