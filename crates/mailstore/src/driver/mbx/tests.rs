//! Tests of the mbx driver on files: UW-written bytes, the damaged-file diagnostics of
//! FAQ 7.15, shared expunge, concurrent sessions, INBOX in `~/INBOX`.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use super::format::{self, HEADER_SIZE};
use crate::Error;
use crate::driver::unix::tests::{Env, env, msg};
use crate::mailbox::{Change, Close, ExpungeScope, FlagOp, Mailbox, Part};
use crate::types::{Access, Flags, Keyword, SeqNo};

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

/// The file UW's `mailutil copy` made from a two-message UNIX mailbox (the first seen and
/// flagged): UIDs not yet given, the PID field still NUL.
fn uw_copied() -> Vec<u8> {
    let mut f = b"*mbx*\r\n6b07db1b00000000\r\n".to_vec();
    for _ in 0..30 {
        f.extend_from_slice(b"\r\n");
    }
    f.resize(HEADER_SIZE, 0);
    f.extend_from_slice(b" 2-Dec-1992 05:53:22 +0000,23;000000000005-00000000\r\n");
    f.extend_from_slice(b"Subject: one\r\n\r\nhello\r\n");
    f.extend_from_slice(b" 3-Dec-1992 05:53:22 +0000,23;000000000000-00000000\r\n");
    f.extend_from_slice(b"Subject: two\r\n\r\nbody2\r\n");
    f
}

/// The UIDs of a session's messages, in order.
fn uids(mb: &dyn Mailbox) -> Vec<u32> {
    mb.messages().iter().map(|m| m.uid.get()).collect()
}

fn put(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
}

#[test]
fn uw_copied_file_reads_and_gets_uids() {
    let e = env();
    put(&e.path("box"), &uw_copied());
    assert_eq!(e.store.format_of("box").unwrap(), Some(crate::Format::Mbx));
    // Read-only: UIDs given in memory only, the file untouched.
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.uid_validity().get(), 0x6b07_db1b);
    let m = mb.messages().to_vec();
    assert_eq!(m.len(), 2);
    assert_eq!(
        m[0].flags,
        Flags::SEEN.union(Flags::FLAGGED).union(Flags::RECENT)
    );
    assert_eq!(m[0].internal_date.timestamp(), 723_275_602);
    assert_eq!(m[0].size, 23);
    assert_eq!(
        mb.fetch(seq(1), Part::Header).unwrap(),
        b"Subject: one\r\n\r\n"
    );
    assert_eq!(mb.fetch(seq(2), Part::Text).unwrap(), b"body2\r\n");
    drop(mb);
    assert_eq!(fs::read(e.path("box")).unwrap(), uw_copied());
    // Read-write: UIDs 1 and 2 written, the messages no longer new, the header updated as
    // c-client's mbx_update_header writes it.
    let mb = e.store.open("box", Access::ReadWrite).unwrap();
    assert_eq!(uids(&*mb), vec![1, 2]);
    mb.close(Close::Keep).unwrap();
    let bytes = fs::read(e.path("box")).unwrap();
    let mut want = uw_copied();
    want[15..23].copy_from_slice(b"00000002");
    want[format::PID_AT..HEADER_SIZE].copy_from_slice(b"00000000\r\n");
    let r1 = HEADER_SIZE + 30;
    want[r1..r1 + 21].copy_from_slice(b"000000000015-00000001");
    let r2 = HEADER_SIZE + 53 + 23 + 30;
    want[r2..r2 + 21].copy_from_slice(b"000000000010-00000002");
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(&want)
    );
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert!(
        mb.messages()
            .iter()
            .all(|m| !m.flags.contains(Flags::RECENT))
    );
}

#[test]
fn flag_update_rewrites_status_and_writes_pid() {
    let e = env();
    e.store.create("#driver.mbx/box").unwrap();
    e.store
        .append("box", &mut vec![Ok(msg("a", "1\r\n"))].into_iter())
        .unwrap();
    let size = fs::metadata(e.path("box")).unwrap().len();
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    let k = Keyword::new("Work").unwrap();
    mb.set_flags(&[seq(1)], FlagOp::Add, Flags::ANSWERED, &[k])
        .unwrap();
    mb.close(Close::Keep).unwrap();
    let bytes = fs::read(e.path("box")).unwrap();
    assert_eq!(bytes.len() as u64, size, "the record length never changes");
    let h = format::parse_header(&bytes).unwrap();
    assert_eq!(h.keywords, vec!["Work"]);
    assert_eq!(h.last_pid, std::process::id());
    assert_eq!(h.uid_last, 1);
    let line_end = bytes[HEADER_SIZE..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap()
        + HEADER_SIZE;
    assert_eq!(&bytes[line_end - 21..line_end], b"000000010018-00000001");
}

fn corrupt_case(name: &str, tail: &[u8], want: &str) {
    let e = env();
    let mut bytes = uw_copied();
    bytes.truncate(HEADER_SIZE + 53 + 23);
    bytes.extend_from_slice(tail);
    put(&e.path("box"), &bytes);
    let err = e.store.open("box", Access::ReadOnly).unwrap_err();
    let at = (HEADER_SIZE + 53 + 23) as u64;
    match err {
        Error::Corrupt { offset, .. } => assert_eq!(offset, at, "{name}"),
        other => panic!("{name}: {other:?}"),
    }
    let texts = e.notes.texts();
    assert!(
        texts.iter().any(|t| t.starts_with(want)),
        "{name}: {texts:?}"
    );
    // Nothing was changed by the failed open.
    assert_eq!(fs::read(e.path("box")).unwrap(), bytes, "{name}");
}

#[test]
fn damaged_files_are_diagnosed_with_their_offset() {
    corrupt_case(
        "no CRLF",
        b"ne bombastic blurdybloop",
        "Unable to find CRLF at 2124",
    );
    corrupt_case(
        "not a record",
        b"ne bombastic blurdybloop\r\n",
        "Unable to parse internal header at 2124: ne bombastic blurdybloop",
    );
    corrupt_case(
        "flags",
        b" 3-Dec-1992 05:53:22 +0000,5;00000000000x-00000000\r\nabcde",
        "Unable to parse message flags at 2124",
    );
    corrupt_case(
        "uid",
        b" 3-Dec-1992 05:53:22 +0000,5;000000000000-0000000\r\nabcde",
        "Unable to parse message UID at 2124",
    );
    corrupt_case(
        "size",
        b" 3-Dec-1992 05:53:22 +0000,0;000000000000-00000000\r\nabcde",
        "Unable to parse message size at 2124",
    );
    corrupt_case(
        "date",
        b" 3-Abc-1992 05:53:22 +0000,5;000000000000-00000000\r\nabcde",
        "Unable to parse message date at 2124",
    );
    corrupt_case(
        "truncated",
        b" 3-Dec-1992 05:53:22 +0000,500;000000000000-00000000\r\nabcde",
        "Last message (at 2124) runs past end of file (2678 > 2183)",
    );
    // A header that is not mbx is not taken for mbx at all (the file is then any
    // other file: phile's).
    let e = env();
    let mut bad = uw_copied();
    bad[3] = b'X';
    put(&e.path("box"), &bad);
    assert_eq!(
        e.store.format_of("box").unwrap(),
        Some(crate::config::Format::Phile)
    );
}

#[test]
fn invalid_uids_are_rebuilt_with_a_new_validity() {
    let e = env();
    let mut bytes = uw_copied();
    bytes[15..23].copy_from_slice(b"00000009");
    let r1 = HEADER_SIZE + 30;
    bytes[r1..r1 + 21].copy_from_slice(b"000000000015-00000007");
    let r2 = HEADER_SIZE + 53 + 23 + 30;
    bytes[r2..r2 + 21].copy_from_slice(b"000000000015-00000003");
    put(&e.path("box"), &bytes);
    let mb = e.store.open("box", Access::ReadWrite).unwrap();
    assert_ne!(mb.uid_validity().get(), 0x6b07_db1b);
    assert_eq!(uids(&*mb), vec![7, 8]);
    assert!(
        e.notes
            .texts()
            .iter()
            .any(|t| t == "Invalid UID 00000003 in message 2, rebuilding UIDs")
    );
    let validity = mb.uid_validity();
    mb.close(Close::Keep).unwrap();
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.uid_validity(), validity);
    assert_eq!(mb.uid_next().get(), 9);
}

#[test]
fn shared_expunge_hides_then_the_last_session_reclaims() {
    let e = env();
    e.store.create("#driver.mbx/box").unwrap();
    let msgs: Vec<_> = (1..=4)
        .map(|i| Ok(msg(&format!("m{i}"), "b\r\n")))
        .collect();
    e.store.append("box", &mut msgs.into_iter()).unwrap();
    let mut a = e.store.open("box", Access::ReadWrite).unwrap();
    let mut b = e.store.open("box", Access::ReadWrite).unwrap();
    let full = fs::metadata(e.path("box")).unwrap().len();
    a.set_flags(&[seq(2), seq(3)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    assert_eq!(
        a.expunge(ExpungeScope::AllDeleted).unwrap(),
        vec![seq(2), seq(2)]
    );
    // b has the file too: nothing moved, the two records are marked hidden.
    let bytes = fs::read(e.path("box")).unwrap();
    assert_eq!(bytes.len() as u64, full);
    let hidden = bytes.windows(5).filter(|w| w == b"8012-").count();
    assert_eq!(hidden, 2);
    assert_eq!(
        b.poll().unwrap(),
        vec![Change::Expunged(seq(2)), Change::Expunged(seq(2))]
    );
    // A new session does not see them either.
    let c = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(c.messages().len(), 2);
    drop(c);
    a.close(Close::Keep).unwrap();
    // b is alone now: its next poll rewrites the file without the hidden messages.
    assert_eq!(b.poll().unwrap(), vec![]);
    let after = fs::metadata(e.path("box")).unwrap().len();
    assert!(after < full, "{after} >= {full}");
    assert!(
        e.notes
            .texts()
            .iter()
            .any(|t| t.starts_with("Reclaimed ") && t.ends_with(" bytes of expunged space"))
    );
    let mut b2 = e.store.open("box", Access::ReadOnly).unwrap();
    let subjects: Vec<Vec<u8>> = (1..=2)
        .map(|i| b2.fetch(seq(i), Part::Header).unwrap())
        .collect();
    assert!(subjects[0].ends_with(b"Subject: m1\r\n\r\n"));
    assert!(subjects[1].ends_with(b"Subject: m4\r\n\r\n"));
    drop(b2);
    assert_eq!(b.messages().len(), 2);
    b.close(Close::Keep).unwrap();
    // Deleting waits for nobody: with a session open it is refused.
    let held = e.store.open("box", Access::ReadOnly).unwrap();
    assert!(matches!(e.store.delete("box"), Err(Error::InUse { .. })));
    drop(held);
    e.store.delete("box").unwrap();
}

#[test]
fn concurrent_sessions_and_appenders_lose_nothing() {
    let e = env();
    e.store.create("#driver.mbx/box").unwrap();
    let store = Arc::new(e.store.config().clone());
    let mut threads = Vec::new();
    for t in 0..3 {
        let cfg = Arc::clone(&store);
        threads.push(std::thread::spawn(move || {
            let store = crate::Store::from_arc(cfg);
            for i in 0..20 {
                let m = msg(&format!("t{t}-{i}"), "x\r\n");
                store.append("box", &mut vec![Ok(m)].into_iter()).unwrap();
            }
        }));
    }
    for _ in 0..2 {
        let cfg = Arc::clone(&store);
        threads.push(std::thread::spawn(move || {
            let store = crate::Store::from_arc(cfg);
            let mut mb = store.open("box", Access::ReadWrite).unwrap();
            for _ in 0..30 {
                mb.poll().unwrap();
                let n = mb.messages().len() as u32;
                if n > 0 {
                    mb.set_flags(&[seq(n)], FlagOp::Add, Flags::SEEN, &[])
                        .unwrap();
                }
            }
            mb.close(Close::Keep).unwrap();
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.messages().len(), 60);
    assert_eq!(uids(&*mb), (1..=60).collect::<Vec<_>>());
    let mut subjects = std::collections::BTreeSet::new();
    for i in 1..=60 {
        let h = mb.fetch(seq(i), Part::Header).unwrap();
        assert!(subjects.insert(h), "duplicate message");
    }
}

#[test]
fn inbox_in_home_takes_spool_mail() {
    let e = env();
    let cfg = e.store.config().clone();
    // Mail in the spool (a UNIX mailbox) before INBOX is in mbx.
    e.store
        .append("INBOX", &mut vec![Ok(msg("spooled", "s\r\n"))].into_iter())
        .unwrap();
    super::create(&cfg, &e.path("INBOX"), &[]).unwrap();
    assert_eq!(
        e.store.format_of("INBOX").unwrap(),
        Some(crate::Format::Mbx)
    );
    let mut mb = e.store.open("INBOX", Access::ReadWrite).unwrap();
    assert_eq!(mb.messages().len(), 1);
    assert_eq!(mb.format(), crate::Format::Mbx);
    assert!(
        mb.fetch(seq(1), Part::Header)
            .unwrap()
            .ends_with(b"Subject: spooled\r\n\r\n")
    );
    mb.close(Close::Keep).unwrap();
    let spool = crate::driver::unix::open::sniff(&cfg.spool).unwrap();
    assert_ne!(spool, crate::driver::unix::open::Sniff::Other);
    // Moved, not copied: the next session finds just the one message.
    let mb = e.store.open("INBOX", Access::ReadWrite).unwrap();
    assert_eq!(mb.messages().len(), 1);
}

/// A file with three messages, the second hidden by a shared expunge, and the offsets of
/// the three records.
fn with_hidden_second(e: &crate::driver::unix::tests::Env) -> (Vec<u8>, [usize; 3]) {
    e.store.create("#driver.mbx/box").unwrap();
    let msgs: Vec<_> = (1..=3)
        .map(|i| Ok(msg(&format!("m{i}"), "b\r\n")))
        .collect();
    e.store.append("box", &mut msgs.into_iter()).unwrap();
    let mut a = e.store.open("box", Access::ReadWrite).unwrap();
    let b = e.store.open("box", Access::ReadOnly).unwrap();
    a.set_flags(&[seq(2)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    a.expunge(ExpungeScope::AllDeleted).unwrap();
    drop(a);
    drop(b);
    let bytes = fs::read(e.path("box")).unwrap();
    let mut at = [0usize; 3];
    let mut pos = HEADER_SIZE;
    for slot in &mut at {
        *slot = pos;
        let r = format::parse_record(&bytes[pos..]).unwrap();
        pos += r.line_len as usize + r.size as usize;
    }
    (bytes, at)
}

/// Leaves the journal of a reclaim of `box` (`bytes`, whose second message, hidden, runs
/// from `r2` to `r3`) that a writer holding `token` died having written, nothing moved
/// yet; returns where it is.
fn leave_reclaim_journal(
    e: &Env,
    bytes: &[u8],
    r2: usize,
    r3: usize,
    token: u64,
) -> crate::journal::JournalPlace {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(e.path("box")).unwrap();
    let cfg = e.store.config();
    let place = crate::journal::JournalPlace::new(&cfg.journal_dir(), (meta.dev(), meta.ino()));
    let mut plan = crate::journal::Plan::new(meta.len());
    plan.move_range(r3 as u64, r2 as u64, (bytes.len() - r3) as u64);
    plan.final_len = (bytes.len() - (r3 - r2)) as u64;
    let f = fs::File::options()
        .read(true)
        .write(true)
        .open(e.path("box"))
        .unwrap();
    crate::journal::testing::leave_journal(&f, &plan, &place, token);
    place
}

#[test]
fn an_interrupted_reclaim_is_recovered_by_the_next_opener() {
    use std::os::unix::fs::MetadataExt;
    let e = env();
    let (bytes, [_, r2, r3]) = with_hidden_second(&e);
    // A writer died just after journaling the reclaim, its token in the lock file. (The
    // replay of moves half done is tested with the journal itself.)
    let place = leave_reclaim_journal(&e, &bytes, r2, r3, 0x5eed);
    let meta = fs::metadata(e.path("box")).unwrap();
    let cfg = e.store.config();
    let lock =
        crate::lock::instance::InstanceLock::name(&cfg.locks.tmp_dir, meta.dev(), meta.ino());
    fs::write(&lock, b"\x005eed").unwrap();
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert!(!place.path.exists(), "journal left behind");
    assert!(
        e.notes
            .texts()
            .iter()
            .any(|t| t.starts_with("Finished an interrupted rewrite"))
    );
    // Nothing had moved yet: the file is as it was, and reads the same.
    assert!(fs::read(e.path("box")).unwrap() == bytes);
    assert_eq!(mb.messages().len(), 2);
    drop(mb);
    assert!(!lock.exists(), "the token outlived the recovery");
    // The next session alone reclaims the space, journaled.
    let mb = e.store.open("box", Access::ReadWrite).unwrap();
    mb.close(Close::Keep).unwrap();
    let mut want = bytes[..r2].to_vec();
    want.extend_from_slice(&bytes[r3..]);
    assert!(fs::read(e.path("box")).unwrap() == want);
    assert!(!place.path.exists());
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert!(
        mb.fetch(seq(2), Part::Header)
            .unwrap()
            .ends_with(b"Subject: m3\r\n\r\n")
    );
}

#[test]
fn a_journal_of_another_holder_is_not_replayed() {
    let e = env();
    let (bytes, [_, r2, r3]) = with_hidden_second(&e);
    let place = leave_reclaim_journal(&e, &bytes, r2, r3, 0xdead);
    let mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.messages().len(), 2);
    drop(mb);
    assert!(!place.path.exists());
    assert!(fs::read(e.path("box")).unwrap() == bytes);
}
