//! `mailutil` on remote `{host}` names: a whole account hierarchy transferred from our own
//! daemon (pandad's quick start) and from Dovecot into `#driver.mix/…/backup/`, the copies
//! compared with the sources (messages byte for byte, flags, keywords, internal dates);
//! and UW's `mailutil` and ours run on the same remote commands against pandad, with the
//! same output lines and exit codes (a wrong password and a self-signed certificate too).
//!
//! Both programs run as the test account, without a terminal (`setsid`), so they read the
//! password from standard input as c-client's `getpass` does. pandad is built by this test
//! (cargo builds only this package's programs for its tests). Needs root, UW's mailutil
//! and Dovecot; in CI (`CI=true`) their absence fails the tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use client::{Access, ClientOptions, FixedPrompt, RemoteName, Session};
use common::{Seen, oracle_available, ours, read_ours, user_command, workdir};
use mailstore::Flags;
use testkit::{QuickStart, dovecot};

/// pandad, built once for these tests into the same target directory as this test's
/// mailutil (same profile).
fn pandad() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = Path::new(env!("CARGO_BIN_EXE_mailutil"));
            let profile_dir = exe.parent().unwrap();
            let target = profile_dir.parent().unwrap();
            let mut cmd = Command::new(env!("CARGO"));
            cmd.args(["build", "-p", "pandad", "--bin", "pandad", "--target-dir"])
                .arg(target)
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                cmd.arg("--release");
            }
            let out = cmd.output().expect("cargo build -p pandad");
            assert!(
                out.status.success(),
                "building pandad: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            profile_dir.join("pandad")
        })
        .clone()
}

/// pandad's quick start on loopback ports: user `demo`, a self-signed certificate.
struct Daemon(QuickStart);

impl std::ops::Deref for Daemon {
    type Target = QuickStart;

    fn deref(&self) -> &QuickStart {
        &self.0
    }
}

impl Daemon {
    fn start() -> Daemon {
        Daemon(QuickStart::start(&pandad()))
    }

    /// `{127.0.0.1:PORT/imap/notls/user=demo}` (Debian's c-client cannot do STARTTLS with
    /// a modern server: it offers TLS 1.0 only).
    fn plain(&self) -> String {
        format!("{{127.0.0.1:{}/imap/notls/user=demo}}", self.imap)
    }

    fn session(&self) -> Session {
        let name = RemoteName::parse(&self.plain()).unwrap();
        Session::connect(
            &name,
            &ClientOptions::default(),
            &mut FixedPrompt::new("demo", &self.password),
        )
        .unwrap()
    }
}

/// What a run printed, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `program args…` as the test account without a terminal, `input` on its standard
/// input.
fn run(program: &str, args: &[&str], input: &str) -> Run {
    let mut full = vec!["-w", program];
    full.extend_from_slice(args);
    let mut child = user_command("setsid", &full)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A program that stops reading early closes the pipe; that is its business.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The messages the sources get: (mailbox, flags, internal date); each message's text
/// names its mailbox and number.
const SOURCES: &[(&str, &[&str], &str)] = &[
    (
        "INBOX",
        &["\\Seen", "\\Answered"],
        "05-Jan-2018 08:09:10 +0200",
    ),
    (
        "INBOX",
        &[
            "\\Seen",
            "\\Answered",
            "\\Flagged",
            "\\Deleted",
            "\\Draft",
            "$Label2",
            "Todo",
        ],
        "06-Jan-2018 09:10:11 -0330",
    ),
    ("Work", &["\\Seen", "$Label1"], "01-Feb-2020 10:11:12 +0100"),
    (
        "Work",
        &["\\Answered", "\\Flagged"],
        "02-Mar-2021 00:00:01 -0500",
    ),
    ("Work", &[], "03-Apr-2022 13:14:15 +0000"),
    (
        "Projects/Alpha",
        &["\\Deleted", "\\Draft", "Project"],
        "15-Jun-2019 23:59:59 +0000",
    ),
    (
        "Projects/Deep/Er",
        &["\\Flagged", "Todo"],
        "31-Dec-2022 12:00:00 +0930",
    ),
];

/// Fills an account through `s`: the folders (made as `create` with a trailing
/// delimiter, for servers whose mailboxes cannot hold others), then [`SOURCES`].
fn fill(s: &mut Session, folders: &[&str]) {
    for f in folders {
        s.create(f).unwrap();
    }
    for (i, (mailbox, flags, date)) in SOURCES.iter().enumerate() {
        let text = format!(
            "From: a@example.org\r\nTo: demo@example.org\r\nSubject: {mailbox} {i}\r\n\
             Date: Mon, 3 Feb 2020 10:00:00 +0000\r\n\r\nbody of {i}\r\n.a dot line\r\n\
             From the start of a line\r\n"
        );
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        s.append(mailbox, &flags, Some(date), text.as_bytes())
            .unwrap();
    }
}

/// An IMAP date-time as (seconds since the epoch, offset in seconds).
fn instant(text: &str) -> (i64, i32) {
    let t = text.trim();
    let (date, rest) = t.split_once(' ').unwrap();
    let (time, zone) = rest.split_once(' ').unwrap();
    let d: Vec<&str> = date.split('-').collect();
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m.eq_ignore_ascii_case(d[1]))
    .unwrap() as u8
        + 1;
    let hms: Vec<u8> = time.split(':').map(|x| x.parse().unwrap()).collect();
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let off = sign
        * (zone[1..3].parse::<i32>().unwrap() * 3600 + zone[3..5].parse::<i32>().unwrap() * 60);
    let dt = rfc822::DateTime::from_civil(
        d[2].parse().unwrap(),
        month,
        d[0].parse().unwrap(),
        (hms[0], hms[1], hms[2]),
        off,
    )
    .unwrap();
    (dt.timestamp(), dt.offset_seconds())
}

/// What a message is, for comparing: flags, keywords, internal date, text.
type Record = (Flags, BTreeSet<String>, (i64, i32), Vec<u8>);

fn record(s: &Seen) -> Record {
    (s.flags, s.keywords.clone(), s.date, s.text.clone())
}

/// Every selectable mailbox of the account behind `s`, read over IMAP.
fn remote_account(s: &mut Session) -> BTreeMap<String, Vec<Record>> {
    let mut out = BTreeMap::new();
    for item in s.list("", "*").unwrap() {
        if item.attributes.iter().any(|a| {
            a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent")
        }) {
            continue;
        }
        let sel = s.select(&item.name, Access::ReadOnly).unwrap();
        let mut records = Vec::new();
        if sel.exists > 0 {
            for m in s.fetch_meta("1:*").unwrap() {
                let mut flags = Flags::EMPTY;
                let mut keywords = BTreeSet::new();
                for f in &m.flags {
                    match f.to_ascii_lowercase().as_str() {
                        "\\seen" => flags = flags.union(Flags::SEEN),
                        "\\answered" => flags = flags.union(Flags::ANSWERED),
                        "\\flagged" => flags = flags.union(Flags::FLAGGED),
                        "\\deleted" => flags = flags.union(Flags::DELETED),
                        "\\draft" => flags = flags.union(Flags::DRAFT),
                        x if x.starts_with('\\') => {}
                        _ => {
                            keywords.insert(f.clone());
                        }
                    }
                }
                let text = s.fetch_message(m.seq).unwrap();
                records.push((flags, keywords, instant(&m.internal_date), text));
            }
        }
        out.insert(item.name, records);
    }
    out
}

/// Every selectable mailbox under `root` (a name relative to the test account's home),
/// read with our store, named relative to `root`.
fn local_account(root: &str) -> BTreeMap<String, Vec<Record>> {
    let store = common::store();
    let mut out = BTreeMap::new();
    for e in store.list("", &format!("{root}*")).unwrap() {
        if e.attributes.contains(mailstore::Attributes::NO_SELECT) {
            continue;
        }
        let (_, seen) = read_ours(&e.name);
        let name = e.name.strip_prefix(root).unwrap().to_owned();
        out.insert(name, seen.iter().map(record).collect());
    }
    out
}

/// The account without keywords (what a transfer without `-kwcopy` keeps, as UW's).
fn without_keywords(a: &BTreeMap<String, Vec<Record>>) -> BTreeMap<String, Vec<Record>> {
    a.iter()
        .map(|(k, v)| {
            let v = v
                .iter()
                .map(|(f, _, d, t)| (*f, BTreeSet::new(), *d, t.clone()))
                .collect();
            (k.clone(), v)
        })
        .collect()
}

#[test]
fn transfer_of_a_whole_account_from_pandad() {
    if !oracle_available("transfer_of_a_whole_account_from_pandad") {
        return;
    }
    let d = Daemon::start();
    let mut s = d.session();
    fill(
        &mut s,
        &[
            "Projects/",
            "Projects/Alpha",
            "Projects/Deep/",
            "Projects/Deep/Er",
            "Work",
            "Empty",
        ],
    );
    let source = remote_account(&mut s);
    s.logout().unwrap();
    assert_eq!(
        source.keys().collect::<Vec<_>>(),
        [
            "Empty",
            "INBOX",
            "Projects/Alpha",
            "Projects/Deep/Er",
            "Work"
        ]
    );
    let (_, rel) = workdir("remote-pandad");
    let input = format!("{}\n", d.password);

    // The command: STARTTLS, any certificate. Keywords the new mailboxes do not
    // have are dropped with c-client's warning, as UW's mailutil does without -kwcopy.
    let from = format!("{{127.0.0.1:{}/imap/novalidate-cert/user=demo}}", d.imap);
    let to = format!("#driver.mix/{rel}/backup/");
    let r = run(&ours(), &["transfer", &from, &to], &input);
    assert_eq!(r.status, Some(0), "{r:?}");
    assert_eq!(r.stdout, "");
    let prompt = "{localhost/imap/user=demo} password:";
    assert!(r.stderr.starts_with(prompt), "{r:?}");
    // One login for the whole transfer.
    assert_eq!(r.stderr.matches("password:").count(), 1, "{r:?}");
    for k in ["$Label1", "$Label2", "Todo", "Project"] {
        assert!(
            r.stderr.contains(&format!("warning: Unknown flag: {k}\n")),
            "{r:?}"
        );
    }
    assert_eq!(
        local_account(&format!("{rel}/backup/")),
        without_keywords(&source)
    );

    // With -kwcopy the keywords come along too.
    let to = format!("#driver.mix/{rel}/backup-kw/");
    let r = run(&ours(), &["transfer", "-kwcopy", &from, &to], &input);
    assert_eq!((r.status, r.stderr.as_str()), (Some(0), prompt), "{r:?}");
    assert_eq!(local_account(&format!("{rel}/backup-kw/")), source);
    let _ = std::fs::remove_dir_all(common::home().join(&rel));
}

#[test]
fn transfer_of_a_whole_account_from_dovecot() {
    if !oracle_available("transfer_of_a_whole_account_from_dovecot") {
        return;
    }
    if !dovecot::available("transfer_of_a_whole_account_from_dovecot") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let (port, connections) = dovecot::serve(home.path());
    let name = format!("{{127.0.0.1:{port}/imap/novalidate-cert/user=demo}}");
    let mut s = Session::connect(
        &RemoteName::parse(&name).unwrap(),
        &ClientOptions::default(),
        &mut FixedPrompt::new("unused", "unused"),
    )
    .unwrap();
    fill(
        &mut s,
        &["Projects/Alpha", "Projects/Deep/Er", "Work", "Empty"],
    );
    let source = remote_account(&mut s);
    s.logout().unwrap();
    assert!(source.contains_key("Projects/Deep/Er") && source.contains_key("Empty"));
    let (_, rel) = workdir("remote-dovecot");
    let before = connections.load(Ordering::SeqCst);

    let to = format!("#driver.mix/{rel}/backup/");
    let r = run(&ours(), &["transfer", "-kwcopy", &name, &to], "");
    // Pre-authenticated: no password asked.
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (Some(0), "", ""),
        "{r:?}"
    );
    // The server's connection is reused for every mailbox.
    assert_eq!(connections.load(Ordering::SeqCst) - before, 1);
    assert_eq!(local_account(&format!("{rel}/backup/")), source);
    let _ = std::fs::remove_dir_all(common::home().join(&rel));
}

/// A run's output with the port numbers and data directory of `d` replaced, to compare
/// runs against two daemons.
fn normalized(r: &Run, d: &Daemon) -> Run {
    let dir = d.dir().display().to_string();
    let fix = |t: &str| {
        t.replace(&dir, "DIR")
            .replace(&d.imap.to_string(), "PORT")
            .replace(&d.imaps.to_string(), "SSLPORT")
            .replace(&d.pop3.to_string(), "POP3PORT")
    };
    Run {
        status: r.status,
        stdout: fix(&r.stdout),
        stderr: fix(&r.stderr),
    }
}

/// The same commands, with `program` against daemon `d`; each run's normalized result.
fn session_of_commands(program: &str, d: &Daemon, rel: &str) -> Vec<(String, Run)> {
    let s = d.plain();
    let pw = format!("{}\n", d.password);
    let local = format!("{rel}/local");
    let moved = format!("{rel}/moved");
    let (inbox, saved, kept, pruned) = (
        format!("{s}INBOX"),
        format!("{s}Saved"),
        format!("{s}Kept"),
        format!("{s}Pruned"),
    );
    let nonesuch = format!("{s}Nonesuch");
    let no_user = format!("{{127.0.0.1:{}/imap/notls}}INBOX", d.imap);
    let ssl = format!("{{127.0.0.1:{}/imap/ssl/user=demo}}INBOX", d.imaps);
    let pw2 = pw.repeat(2);
    let pop3 = format!("{{127.0.0.1:{}/pop3/notls/user=demo}}", d.pop3);
    let popped = format!("{rel}/popped");
    let ghost = format!("{rel}/ghost");
    let wrong = "wrong\nwrong\nwrong\n".to_owned();
    let commands: Vec<(Vec<&str>, &str)> = vec![
        (vec!["check", &inbox], &pw),
        (vec!["check", &no_user], "demo\n"),
        (vec!["create", &saved], &pw),
        (vec!["create", &saved], &pw),
        (vec!["copy", &inbox, &local], &pw),
        (vec!["append", &local, &saved], &pw),
        (vec!["check", &saved], &pw),
        (vec!["check", &nonesuch], &pw),
        (vec!["rename", &saved, &kept], &pw),
        (vec!["rename", &kept, &inbox], &pw),
        // Two connections to one server (c-client's source and destination streams),
        // two logins.
        (vec!["copy", &kept, &pruned], &pw2),
        // A source the server will not select: c-client goes on with no messages.
        (vec!["copy", &nonesuch, &ghost], &pw),
        (vec!["prune", &pruned, "subject Folders"], &pw),
        (vec!["check", &pruned], &pw),
        (vec!["move", &pruned, &moved], &pw),
        (vec!["check", &pruned], &pw),
        (vec!["prune", &nonesuch, "all"], &pw),
        (vec!["delete", &kept], &pw),
        (vec!["delete", &kept], &pw),
        (vec!["check", &pop3], &pw),
        (vec!["copy", &pop3, &popped], &pw),
        (vec!["copy", "-rw", &pop3, &popped], &pw),
        (vec!["check", &inbox], &wrong),
        (vec!["check", &ssl], ""),
    ];
    commands
        .into_iter()
        .map(|(args, input)| {
            // The username prompt's answer is followed by the password.
            let input = if input == "demo\n" {
                format!("demo\n{pw}")
            } else {
                input.to_owned()
            };
            let what = args.join(" ");
            (what, normalized(&run(program, &args, &input), d))
        })
        .collect()
}

#[test]
fn uw_and_ours_agree_on_remote_commands() {
    if !oracle_available("uw_and_ours_agree_on_remote_commands") {
        return;
    }
    // One daemon each, filled alike (the quick start's three messages).
    let (uw_daemon, our_daemon) = (Daemon::start(), Daemon::start());
    let (uw_dir, uw_rel) = workdir("remote-uw");
    let (our_dir, our_rel) = workdir("remote-ours");
    let theirs = session_of_commands(common::UW_MAILUTIL, &uw_daemon, &uw_rel);
    let mine = session_of_commands(&ours(), &our_daemon, &our_rel);
    if std::env::var_os("REMOTE_TRANSCRIPT").is_some() {
        for ((what, a), (_, b)) in theirs.iter().zip(&mine) {
            eprintln!("== {what}\nUW:   {a:?}\nours: {b:?}");
        }
    }
    for ((what, a), (_, b)) in theirs.iter().zip(&mine) {
        let b = Run {
            stdout: b.stdout.replace(&our_rel, &uw_rel),
            stderr: b.stderr.replace(&our_rel, &uw_rel),
            status: b.status,
        };
        assert_eq!(a, &b, "{what}: UW (left) and ours (right) differ");
    }
    // Spot checks that the runs did what they say.
    let ran = |w: &str| {
        let w = w.replace(":0/", &format!(":{}/", uw_daemon.imaps));
        theirs
            .iter()
            .find(|(x, _)| x.starts_with(&w))
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(ran("check {").status, Some(0));
    assert!(
        ran("check {")
            .stdout
            .contains("3 total in {127.0.0.1:PORT/imap/notls/user=\"demo\"}INBOX")
    );
    assert!(ran("prune").stdout.contains("1 message(s) purged"));
    assert!(
        ran("check {127.0.0.1:0/imap/ssl")
            .stderr
            .contains("Certificate failure for 127.0.0.1: self-signed certificate: /CN=")
    );
    // The local copies hold the same messages with the same flags.
    assert_eq!(read_ours(&format!("{uw_rel}/ghost")).1, vec![]);
    assert_eq!(read_ours(&format!("{our_rel}/ghost")).1, vec![]);
    for name in ["local", "moved", "popped"] {
        let (_, a) = read_ours(&format!("{uw_rel}/{name}"));
        let (_, b) = read_ours(&format!("{our_rel}/{name}"));
        let strip = |v: &[Seen]| -> Vec<(Flags, Vec<u8>)> {
            v.iter()
                .map(|s| (s.flags, common::subject(&s.text).into_bytes()))
                .collect()
        };
        assert_eq!(strip(&a), strip(&b), "{name}");
        assert!(!a.is_empty(), "{name}");
    }
    let _ = std::fs::remove_dir_all(uw_dir);
    let _ = std::fs::remove_dir_all(our_dir);
}
