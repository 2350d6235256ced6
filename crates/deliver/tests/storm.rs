//! The delivery storm of issue 7: 20 `tmail` processes at once, 10 messages each, into
//! one spool INBOX that an IMAP session (our imapd, driven by Python's imaplib) has open
//! and keeps polling. Every message must arrive exactly once and whole: counted by
//! Message-ID and compared byte for byte through the IMAP session, and through UW's own
//! reading of the spool (UW's mailutil copies it to an mbx file, which our store reads).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;
use mailstore::{Access, Close, Part, SeqNo};

const PROCESSES: usize = 20;
const EACH: usize = 10;

/// Our imapd, brought up to date (a test run of this crate alone does not build it).
fn imapd() -> PathBuf {
    let p = ours("imapd");
    let target = p.parent().unwrap().parent().unwrap();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "-p",
            "pandad",
            "--bin",
            "imapd",
            "--target-dir",
        ])
        .arg(target)
        .status()
        .unwrap();
    assert!(status.success(), "cannot build imapd");
    p
}

/// The session: selects INBOX, says READY, sends NOOP until a line arrives on standard
/// input, then fetches every message's Message-ID and text and prints them (hex), one
/// message a line.
const SESSION: &str = r#"
import imaplib, select, sys
m = imaplib.IMAP4_stream(sys.argv[1])
typ, data = m.select('INBOX')
assert typ == 'OK', data
print('READY', flush=True)
polls = 0
while True:
    r, _, _ = select.select([sys.stdin], [], [], 0.1)
    if r:
        sys.stdin.readline()
        break
    typ, _ = m.noop()
    assert typ == 'OK'
    polls += 1
m.noop()
typ, data = m.noop()
typ, data = m.fetch('1:*', '(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)] BODY.PEEK[TEXT])')
assert typ == 'OK', data
mid, text = None, None
for item in data:
    if not isinstance(item, tuple):
        continue
    head, value = item
    if b'HEADER.FIELDS' in head:
        mid = value.decode().split(':', 1)[1].strip()
    elif b'BODY[TEXT]' in head:
        text = value
    if mid is not None and text is not None:
        print('MSG', mid, text.hex(), flush=True)
        mid, text = None, None
print('POLLS', polls, flush=True)
m.logout()
"#;

/// The message delivered by process `p` as its `n`th: sizes from one line to 150 KB,
/// lines beginning `From ` in all of them.
fn storm_message(p: usize, n: usize) -> Vec<u8> {
    let lines = if n == 9 {
        3000
    } else {
        1 + (p * EACH + n) * 37 % 600
    };
    message(&format!("storm-{p}-{n}"), lines)
}

/// What a reader sees of that message's body: CRLF line ends, and `From ` at the start of
/// a line escaped as every UNIX mailbox writer escapes it.
fn expected_text(p: usize, n: usize) -> Vec<u8> {
    let m = storm_message(p, n);
    let text = &m[m.windows(2).position(|w| w == b"\n\n").unwrap() + 2..];
    let mut out = Vec::new();
    for line in text.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(&line[..line.len() - 1]);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// What is in INBOX when the session opens it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    /// One message: the session holds INBOX read-write from the start.
    OneMessage,
    /// Nothing (an empty spool file): the session's INBOX becomes a mailbox while the
    /// storm is on.
    Empty,
}

#[test]
fn tmail_storm_into_an_open_spool_inbox_delivers_every_message_once_and_whole() {
    if !can_run("tmail_storm_into_an_open_spool_inbox_delivers_every_message_once_and_whole") {
        return;
    }
    storm(Start::OneMessage);
}

#[test]
fn tmail_storm_into_an_empty_spool_inbox_open_in_a_session() {
    if !can_run("tmail_storm_into_an_empty_spool_inbox_open_in_a_session") {
        return;
    }
    storm(Start::Empty);
}

fn storm(start: Start) {
    let python = Command::new("python3").arg("--version").output();
    assert!(
        python.is_ok_and(|o| o.status.success()),
        "python3 is needed (scripts/test.sh installs it)"
    );
    let u = TestUser::new("s");
    u.make_spool();
    let before = match start {
        Start::OneMessage => {
            let out = feed(
                Command::new(ours("tmail")).arg(&u.name),
                &message("before", 3),
            );
            assert_eq!(out.status.code(), Some(0), "{out:?}");
            1
        }
        Start::Empty => 0,
    };
    let conf = tempfile::tempdir().unwrap();
    fs::set_permissions(conf.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let config = conf.path().join("panda.toml");
    fs::write(
        &config,
        "hostname = \"test.invalid\"\naccounts = \"system\"\n\
         alert_file = \"none.alert\"\nnologin_file = \"none.nologin\"\n",
    )
    .unwrap();
    let script = conf.path().join("session.py");
    fs::write(&script, SESSION).unwrap();
    let imapd = imapd();
    let mut session = u
        .command("python3")
        .arg(&script)
        .arg(format!(
            "{} --config {} --log-stderr --preauth",
            imapd.display(),
            config.display()
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_session = session.stdin.take().unwrap();
    let mut from_session = BufReader::new(session.stdout.take().unwrap());
    let mut line = String::new();
    from_session.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "READY");

    // The storm.
    let tmail = ours("tmail");
    let storm: Vec<_> = (0..PROCESSES)
        .map(|p| {
            let (tmail, name) = (tmail.clone(), u.name.clone());
            std::thread::spawn(move || {
                for n in 0..EACH {
                    let out = feed(
                        Command::new(&tmail).args(["-f", "storm@example.org", &name]),
                        &storm_message(p, n),
                    );
                    assert_eq!(out.status.code(), Some(0), "{p}/{n}: {out:?}");
                }
            })
        })
        .collect();
    for t in storm {
        t.join().unwrap();
    }

    // What the session saw.
    writeln!(to_session, "done").unwrap();
    let mut seen: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    let mut polls = None;
    for l in from_session.lines() {
        let l = l.unwrap();
        let mut f = l.split(' ');
        match f.next() {
            Some("MSG") => {
                let id = f.next().unwrap().to_owned();
                seen.entry(id).or_default().push(hex(f.next().unwrap()));
            }
            Some("POLLS") => polls = Some(f.next().unwrap().to_owned()),
            _ => {}
        }
    }
    assert!(session.wait().unwrap().success());
    assert!(polls.is_some(), "the session did not finish");
    check_all(&seen, "IMAP session", before);

    // What UW sees: its mailutil copies the spool to an mbx file, which our store reads.
    let out = u
        .command(UW_MAILUTIL)
        .args(["copy", "INBOX", "#driver.mbx/stormcopy"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let check = u.uw_check("INBOX");
    assert!(
        check.contains(&format!("{} total in INBOX", PROCESSES * EACH + before)),
        "{check}"
    );
    let mut cfg = mailstore::StoreConfig::new(&u.name, &u.home);
    cfg.state_dir = None;
    let store = mailstore::Store::new(cfg);
    let mut mb = store.open("stormcopy", Access::ReadOnly).unwrap();
    let mut uw: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for i in 1..=mb.messages().len() {
        let seq = SeqNo::new(i as u32).unwrap();
        let head = String::from_utf8(mb.fetch(seq, Part::Header).unwrap()).unwrap();
        let id = head
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap()
            .to_owned();
        uw.entry(id)
            .or_default()
            .push(mb.fetch(seq, Part::Text).unwrap());
    }
    mb.close(Close::Keep).unwrap();
    check_all(&uw, "UW's copy", before);
}

/// Every storm message exactly once, with exactly its text.
fn check_all(seen: &BTreeMap<String, Vec<Vec<u8>>>, who: &str, before: usize) {
    for p in 0..PROCESSES {
        for n in 0..EACH {
            let id = format!("<storm-{p}-{n}@deliver.test>");
            let copies = seen.get(&id).map_or(0, Vec::len);
            assert_eq!(copies, 1, "{who}: {id} seen {copies} times");
            assert!(
                seen[&id][0] == expected_text(p, n),
                "{who}: {id} is not whole ({} bytes, {} expected)",
                seen[&id][0].len(),
                expected_text(p, n).len()
            );
        }
    }
    assert_eq!(
        seen.len(),
        PROCESSES * EACH + before,
        "{who}: other messages"
    );
    if before > 0 {
        assert_eq!(
            seen.get("<before@deliver.test>").map(Vec::len),
            Some(1),
            "{who}"
        );
    }
}
