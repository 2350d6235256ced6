//! Shared pieces of the oracle tests: UW c-client's `mailutil` run as a test user, and a
//! fixture mailbox whose every message is known.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};

use mailstore::config::StoreConfig;
use mailstore::notify::{Level, Notify};
use mailstore::{Flags, Store};

/// The account UW's mailutil runs as (Debian's c-client refuses absolute paths, so it works
/// with names relative to this account's home).
pub const USER: &str = "pandatest";

/// UW c-client's mailutil.
pub const UW_MAILUTIL: &str = "/usr/bin/mailutil";

/// Our mailutil, where the test account can run it.
pub fn ours() -> String {
    runnable(Path::new(env!("CARGO_BIN_EXE_mailutil")))
}

/// A copy of executable `exe` that the test account can run (the build tree may be in a
/// home directory it cannot enter).
pub fn runnable(exe: &Path) -> String {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("panda-test-bin-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
        d
    });
    let dst = dir.join(exe.file_name().unwrap());
    if !dst.exists() {
        let tmp = dir.join(format!(
            ".{}.tmp",
            exe.file_name().unwrap().to_string_lossy()
        ));
        fs::copy(exe, &tmp).unwrap();
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).unwrap();
        fs::rename(&tmp, &dst).unwrap();
    }
    dst.to_string_lossy().into_owned()
}

/// Whether the oracle can run here. In CI (`CI=true`) a missing oracle fails the test;
/// elsewhere the test says why it did nothing.
pub fn oracle_available(test: &str) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let root = nix::unistd::geteuid().is_root();
    let uw = Path::new(UW_MAILUTIL).exists();
    if root && uw {
        return true;
    }
    let why = if !uw {
        "UW mailutil (Debian package uw-mailutils) is not installed"
    } else {
        "the UW oracle tests need root to run UW's mailutil as a test user"
    };
    if ci {
        panic!("{test}: {why}");
    }
    eprintln!("{test}: skipped: {why}");
    false
}

/// The test account's home, made once.
pub fn home() -> PathBuf {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        if nix::unistd::User::from_name(USER).ok().flatten().is_none() {
            let out = Command::new("useradd")
                .args(["-m", "-s", "/bin/sh", USER])
                .output()
                .expect("useradd");
            assert!(
                out.status.success(),
                "useradd: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let user = nix::unistd::User::from_name(USER).unwrap().unwrap();
        fs::create_dir_all(&user.dir).unwrap();
        nix::unistd::chown(&user.dir, Some(user.uid), Some(user.gid)).unwrap();
        fs::set_permissions(&user.dir, fs::Permissions::from_mode(0o755)).unwrap();
        user.dir
    })
    .clone()
}

/// A fresh directory for one test, under the test account's home; its name relative to the
/// home is returned too.
pub fn workdir(test: &str) -> (PathBuf, String) {
    let rel = format!("t-{test}");
    let dir = home().join(&rel);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let user = nix::unistd::User::from_name(USER).unwrap().unwrap();
    nix::unistd::chown(&dir, Some(user.uid), Some(user.gid)).unwrap();
    (dir, rel)
}

/// Runs `program args…` as the test account, in its home.
pub fn as_user(program: &str, args: &[&str]) -> Output {
    let home = home();
    Command::new("runuser")
        .arg("-u")
        .arg(USER)
        .arg("--")
        .arg("env")
        .arg(format!("HOME={}", home.display()))
        .arg(format!("MAIL={}/INBOX-spool", home.display()))
        .arg("TZ=UTC")
        .arg("sh")
        .arg("-c")
        .arg("cd \"$HOME\" && exec \"$0\" \"$@\"")
        .arg(program)
        .args(args)
        .output()
        .expect("runuser")
}

/// Runs UW's mailutil; panics with its output unless it succeeds.
pub fn uw(args: &[&str]) -> String {
    let out = as_user(UW_MAILUTIL, args);
    assert!(
        out.status.success(),
        "UW mailutil {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs UW's mailutil and returns its exit status with what it printed.
pub fn uw_status(args: &[&str]) -> (bool, String) {
    let out = as_user(UW_MAILUTIL, args);
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Gives a file to the test account.
pub fn give(path: &Path) {
    let user = nix::unistd::User::from_name(USER).unwrap().unwrap();
    nix::unistd::chown(path, Some(user.uid), Some(user.gid)).unwrap();
}

/// Collects notices.
#[derive(Debug, Default)]
pub struct Notes(pub Mutex<Vec<String>>);

impl Notify for Notes {
    fn notice(&self, _level: Level, text: &str) {
        self.0.lock().unwrap().push(text.to_owned());
    }
}

/// Our store, seeing the test account's files (this process is root).
pub fn store() -> Store {
    let home = home();
    let mut cfg = StoreConfig::new(USER, &home);
    cfg.spool = home.join("INBOX-spool");
    cfg.notify = Arc::new(Notes::default());
    cfg.tz = jiff::tz::TimeZone::UTC;
    // This process is root: it must not leave root's files in the account's home.
    cfg.state_dir = None;
    Store::new(cfg)
}

/// What one fixture message is.
#[derive(Clone, Debug)]
pub struct Expected {
    pub subject: String,
    pub flags: Flags,
    pub keywords: BTreeSet<String>,
    /// The message as a client sees it (CRLF).
    pub text: Vec<u8>,
    /// Seconds since the epoch of the internal date, and its UTC offset.
    pub date: (i64, i32),
}

impl Expected {
    /// The message after an append to a UNIX mailbox, which puts `>` before every line
    /// that starts `From ` (c-client's default, and ours).
    pub fn escaped(&self) -> Expected {
        let mut text = Vec::with_capacity(self.text.len() + 16);
        let mut at_line_start = true;
        for (i, &b) in self.text.iter().enumerate() {
            if at_line_start && self.text[i..].starts_with(b"From ") {
                text.push(b'>');
            }
            text.push(b);
            at_line_start = b == b'\n';
        }
        Expected {
            text,
            ..self.clone()
        }
    }
}

/// The keywords the fixture uses.
pub const KEYWORDS: [&str; 3] = ["$Label1", "Junk", "NonJunk"];

/// A mailbox file with `n` messages of many shapes, as another program (with X-IMAPbase
/// declaring the keywords) might have written it, and what each message is.
pub fn fixture(n: usize) -> (Vec<u8>, Vec<Expected>) {
    let forms = [
        ("Wed Dec  2 05:53 1992", (723_275_580, 0)),
        ("Wed Dec  2 05:53:22 1992", (723_275_602, 0)),
        ("Wed Dec  2 05:53 PST 1992", (723_304_380, -8 * 3600)),
        ("Wed Dec  2 05:53:22 -0700 1992", (723_300_802, -7 * 3600)),
        ("Wed Dec  2 05:53:22 1992 -0700", (723_300_802, -7 * 3600)),
        ("Wed Dec  2 05:53 1992 EST", (723_293_580, -5 * 3600)),
        ("Sat Jan  1 00:00:01 2000 +0100", (946_681_201, 3600)),
        (
            "Tue Mar  5 10:11:12 2024 +0530 remote from uunet",
            (1_709_613_672, 19_800),
        ),
    ];
    let mut file = Vec::new();
    let mut expected = Vec::new();
    for i in 0..n {
        let (date, when) = forms[i % forms.len()];
        let subject = if i % 5 == 3 {
            format!("prune-me {i}")
        } else {
            format!("message {i}")
        };
        let mut flags = Flags::EMPTY;
        let mut status = String::new();
        let mut xstatus = String::new();
        if i % 2 == 0 {
            flags = flags.union(Flags::SEEN);
            status.push('R');
        }
        if i % 3 == 0 {
            flags = flags.union(Flags::FLAGGED);
            xstatus.push('F');
        }
        if i % 4 == 1 {
            flags = flags.union(Flags::ANSWERED);
            xstatus.push('A');
        }
        if i % 7 == 2 {
            flags = flags.union(Flags::DRAFT);
            xstatus.push('T');
        }
        if i % 11 == 5 {
            flags = flags.union(Flags::DELETED);
            xstatus.push('D');
        }
        status.push('O');
        let keywords: BTreeSet<String> = KEYWORDS
            .iter()
            .enumerate()
            .filter(|(k, _)| (i + k) % 3 == 0)
            .map(|(_, k)| k.to_string())
            .collect();
        let mut header = format!(
            "Date: Wed, 2 Dec 1992 05:53:22 -0700\nFrom: Sender {i} <s{i}@example.com>\nTo: rcpt@example.org\nSubject: {subject}\nMessage-ID: <{i}@fixture.example>\n"
        );
        if i % 6 == 4 {
            header.push_str("X-Folded: first part\n\tsecond part\n");
        }
        let body = match i % 6 {
            0 => "Plain body.\nFrom me to you: not a From line.\n>From quoted\n".to_owned(),
            1 => String::new(),
            2 => format!(
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\nContent-Type: text/plain\n\nattached text\n--b{i}\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\n--b{i}--\n"
            ),
            3 => "line\n".repeat(200),
            4 => format!("{}\n", "x".repeat(3000)),
            _ => "Two\n\nparagraphs.\n".to_owned(),
        };
        let mut msg = format!("From s{i}@example.com {date}\n");
        msg.push_str(&header);
        if i == 0 {
            msg.push_str(&format!(
                "X-IMAPbase: 1234567890 {} {}\n",
                n + 10,
                KEYWORDS.join(" ")
            ));
        }
        msg.push_str(&format!("Status: {status}\nX-Status: {xstatus}\n"));
        msg.push_str("X-Keywords:");
        for k in &keywords {
            msg.push(' ');
            msg.push_str(k);
        }
        msg.push('\n');
        msg.push_str(&format!("X-UID: {}\n", i + 1));
        msg.push('\n');
        msg.push_str(&body);
        msg.push('\n');
        file.extend_from_slice(msg.as_bytes());
        let client = format!("{header}\n{body}").replace('\n', "\r\n");
        expected.push(Expected {
            subject,
            flags,
            keywords,
            text: client.into_bytes(),
            date: when,
        });
    }
    (file, expected)
}

/// Reads mailbox `name` with our store: per message, (UID, flags without \Recent, keyword
/// names, internal date, whole text), plus UIDVALIDITY.
pub fn read_ours(name: &str) -> (u32, Vec<Seen>) {
    let store = store();
    let mut mb = store.open(name, mailstore::Access::ReadOnly).unwrap();
    let kws: Vec<String> = mb.keywords().iter().map(|k| k.to_string()).collect();
    let infos = mb.messages().to_vec();
    let mut out = Vec::new();
    for (i, m) in infos.iter().enumerate() {
        let text = mb
            .fetch(
                mailstore::SeqNo::new(i as u32 + 1).unwrap(),
                mailstore::Part::Whole,
            )
            .unwrap();
        assert_eq!(
            m.size as usize,
            text.len(),
            "RFC822.SIZE of message {}",
            i + 1
        );
        out.push(Seen {
            uid: m.uid.get(),
            flags: m.flags.minus(Flags::RECENT),
            recent: m.flags.contains(Flags::RECENT),
            keywords: m.keywords.iter().map(|k| kws[k].clone()).collect(),
            date: (
                m.internal_date.timestamp(),
                m.internal_date.offset_seconds(),
            ),
            text,
        });
    }
    (mb.uid_validity().get(), out)
}

/// One message as our store reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub uid: u32,
    pub flags: Flags,
    pub recent: bool,
    pub keywords: BTreeSet<String>,
    pub date: (i64, i32),
    pub text: Vec<u8>,
}

/// The UIDVALIDITY written in a file's `X-IMAP:` or `X-IMAPbase:` line, read with a plain
/// text search (independent of the store's parser).
pub fn validity_in_file(path: &Path) -> u32 {
    let text = fs::read_to_string(path).unwrap();
    for line in text.lines() {
        for tag in ["X-IMAP: ", "X-IMAPbase: "] {
            if let Some(rest) = line.strip_prefix(tag) {
                return rest.split(' ').next().unwrap().parse().unwrap();
            }
        }
    }
    panic!("no UIDVALIDITY in {}", path.display());
}

/// Compares what we read with what the fixture says, message by message.
pub fn assert_matches_fixture(seen: &[Seen], expected: &[&Expected], what: &str) {
    assert_eq!(seen.len(), expected.len(), "{what}: message count");
    for (i, (s, e)) in seen.iter().zip(expected).enumerate() {
        assert_eq!(
            s.flags,
            e.flags,
            "{what}: flags of message {} ({})",
            i + 1,
            e.subject
        );
        assert_eq!(
            s.keywords,
            e.keywords,
            "{what}: keywords of message {}",
            i + 1
        );
        assert_eq!(s.date, e.date, "{what}: internal date of message {}", i + 1);
        assert!(
            s.text == e.text,
            "{what}: text of message {}:\n{:?}\n---\n{:?}",
            i + 1,
            String::from_utf8_lossy(&s.text),
            String::from_utf8_lossy(&e.text)
        );
    }
}
