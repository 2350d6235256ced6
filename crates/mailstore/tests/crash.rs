//! Crash safety: a writer killed with SIGKILL at many points of an append or an expunge
//! leaves a mailbox that parses and holds every message it should, each one intact: the
//! state from before the operation, or the one after it.
//!
//! The writer is this test binary run again as a child process (selected by an
//! environment variable), so that it can be killed at any moment.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Instant;

use mailstore::config::StoreConfig;
use mailstore::notify::Silent;
use mailstore::{Access, AppendMessage, Close, ExpungeScope, FlagOp, Flags, Part, SeqNo, Store};

const ROLE: &str = "PANDA_CRASH_ROLE";
const DIR: &str = "PANDA_CRASH_DIR";
/// Messages in the mailbox before the operation.
const N: usize = 1500;
/// Messages the append adds.
const M: usize = 300;

fn store(dir: &Path) -> Store {
    let mut cfg = StoreConfig::new("crash", dir.join("home"));
    cfg.spool = dir.join("spool");
    cfg.locks.tmp_dir = dir.join("tmp");
    cfg.state_dir = Some(dir.join("state"));
    cfg.notify = Arc::new(Silent);
    cfg.tz = jiff::tz::TimeZone::UTC;
    Store::new(cfg)
}

fn body(id: usize) -> String {
    let mut b = String::new();
    for k in 0..(40 + id % 60) {
        b.push_str(&format!(
            "message {id} line {k} {}\r\n",
            "x".repeat(id % 70)
        ));
    }
    b
}

fn message(id: usize) -> AppendMessage {
    AppendMessage {
        data: format!(
            "Subject: id {id}\r\nMessage-ID: <{id}@crash>\r\n\r\n{}",
            body(id)
        )
        .into_bytes(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: None,
    }
}

/// The child's part: do one operation to completion (unless killed).
fn child_role() -> bool {
    let Ok(role) = std::env::var(ROLE) else {
        return false;
    };
    let dir = PathBuf::from(std::env::var(DIR).unwrap());
    let store = store(&dir);
    match role.as_str() {
        "expunge" => {
            let mut mb = store.open("box", Access::ReadWrite).unwrap();
            let n = mb.messages().len() as u32;
            let del: Vec<SeqNo> = (1..=n)
                .filter(|i| i % 3 == 1)
                .filter_map(SeqNo::new)
                .collect();
            let seen: Vec<SeqNo> = (1..=n)
                .filter(|i| i % 3 == 2)
                .filter_map(SeqNo::new)
                .collect();
            mb.set_flags(&del, FlagOp::Add, Flags::DELETED, &[])
                .unwrap();
            mb.set_flags(&seen, FlagOp::Add, Flags::SEEN, &[]).unwrap();
            mb.expunge(ExpungeScope::AllDeleted).unwrap();
            mb.close(Close::Keep).unwrap();
        }
        "append" => {
            store
                .append("box", &mut (N..N + M).map(|id| Ok(message(id))))
                .unwrap();
        }
        other => panic!("unknown role {other}"),
    }
    true
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for d in ["home", "tmp"] {
        fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let store = store(dir.path());
    store.create("box").unwrap();
    store
        .append("box", &mut (0..N).map(|id| Ok(message(id))))
        .unwrap();
    // Let a read-write session take \Recent and write every status block, so that the
    // operations below are ordinary ones.
    let mut mb = store.open("box", Access::ReadWrite).unwrap();
    mb.check().unwrap();
    mb.close(Close::Keep).unwrap();
    let pristine = dir.path().join("pristine");
    fs::copy(dir.path().join("home/box"), &pristine).unwrap();
    (dir, pristine)
}

fn spawn(role: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "--nocapture",
            if role == "expunge" {
                "killed_expunges_lose_nothing"
            } else {
                "killed_appends_lose_nothing"
            },
        ])
        .env(ROLE, role)
        .env(DIR, dir)
        .spawn()
        .unwrap()
}

/// The ids of the messages in the mailbox, checking every message is intact.
fn contents(dir: &Path) -> (Vec<usize>, Vec<Flags>) {
    let store = store(dir);
    let mut mb = store.open("box", Access::ReadOnly).unwrap();
    let mut ids = Vec::new();
    let mut flags = Vec::new();
    let infos = mb.messages().to_vec();
    for (i, info) in infos.iter().enumerate() {
        let text = mb
            .fetch(SeqNo::new(i as u32 + 1).unwrap(), Part::Whole)
            .unwrap();
        let text = String::from_utf8(text).unwrap();
        let id: usize = text
            .strip_prefix("Subject: id ")
            .and_then(|t| t.split("\r\n").next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "message {} is not one of ours: {:?}",
                    i + 1,
                    &text[..text.len().min(200)]
                )
            });
        let want = format!(
            "Subject: id {id}\r\nMessage-ID: <{id}@crash>\r\n\r\n{}",
            body(id)
        );
        assert!(text == want, "message id {id} damaged");
        assert_eq!(info.size as usize, text.len());
        ids.push(id);
        flags.push(info.flags.minus(Flags::RECENT));
    }
    let uids: Vec<u32> = infos.iter().map(|m| m.uid.get()).collect();
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "UIDs out of order");
    (ids, flags)
}

fn run_crashes(role: &str, check: impl Fn(&[usize], &[Flags]) -> &'static str) {
    let (dir, pristine) = setup();
    let boxfile = dir.path().join("home/box");
    // How long the operation takes when left alone, from the same starting point as the
    // runs that are killed.
    fs::copy(&pristine, &boxfile).unwrap();
    let t0 = Instant::now();
    assert!(spawn(role, dir.path()).wait().unwrap().success());
    let whole = t0.elapsed();
    let (ids, flags) = contents(dir.path());
    assert_eq!(check(&ids, &flags), "after");
    let mut outcomes = BTreeSet::new();
    let mut recovered = 0;
    // Kill at times spread over the whole run (and a little past it); go on until several
    // kills have landed while data was being written.
    let mut tries = 0;
    while tries < 40 || (recovered < 3 && tries < 200) {
        let k = tries % 40;
        tries += 1;
        fs::copy(&pristine, &boxfile).unwrap();
        let _ = fs::remove_dir_all(dir.path().join("tmp"));
        fs::create_dir_all(dir.path().join("tmp")).unwrap();
        let mut child = spawn(role, dir.path());
        let delay = whole.mul_f64(1.2 * (k as f64 + 0.37 * (tries / 40) as f64) / 40.0);
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let journal_left = fs::read_dir(dir.path().join("state"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().ends_with(".journal"));
        if journal_left {
            recovered += 1;
        }
        let (ids, flags) = contents(dir.path());
        outcomes.insert(check(&ids, &flags));
    }
    eprintln!(
        "{role}: {tries} kills over {whole:?}, outcomes {outcomes:?}, {recovered} interrupted mid-write"
    );
    assert!(recovered > 0, "no kill landed while the journal was open");
}

#[test]
fn killed_expunges_lose_nothing() {
    if child_role() {
        return;
    }
    run_crashes("expunge", |ids, flags| {
        let all: Vec<usize> = (0..N).collect();
        let after: Vec<usize> = (0..N).filter(|i| (i + 1) % 3 != 1).collect();
        if ids == all.as_slice() {
            assert!(
                flags.iter().all(|f| !f.contains(Flags::SEEN)),
                "half-applied flags"
            );
            "before"
        } else if ids == after.as_slice() {
            for (id, f) in ids.iter().zip(flags) {
                assert_eq!(f.contains(Flags::SEEN), (id + 1) % 3 == 2);
            }
            "after"
        } else {
            panic!("{} messages, neither before nor after", ids.len());
        }
    });
}

#[test]
fn killed_appends_lose_nothing() {
    if child_role() {
        return;
    }
    run_crashes("append", |ids, _| {
        let before: Vec<usize> = (0..N).collect();
        let after: Vec<usize> = (0..N + M).collect();
        if ids == before.as_slice() {
            "before"
        } else if ids == after.as_slice() {
            "after"
        } else {
            panic!("{} messages, neither before nor after", ids.len());
        }
    });
}
