//! Maildirs shared with other maildir programs: Python's `mailbox.Maildir` (standard
//! library) and Dovecot's `imap` read ours and write maildirs we read, mbsync syncs with
//! ours both ways; a session stays right while another program renames files under it;
//! children and LIST.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mailstore::config::StoreConfig;
use mailstore::notify::Silent;
use mailstore::{Access, AppendMessage, Change, Close, FlagOp, Flags, Part, SeqNo, Store};

struct Env {
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    store: Store,
}

impl Env {
    /// A store whose home is a new temporary directory (or `home`, when given).
    fn new(home: Option<PathBuf>) -> Env {
        let (tmp, dir) = match home {
            Some(h) => (None, h),
            None => {
                let t = tempfile::tempdir().unwrap();
                let d = t.path().to_owned();
                (Some(t), d)
            }
        };
        let locks = dir.join("locks");
        fs::create_dir_all(&locks).unwrap();
        let mut cfg = StoreConfig::new("tester", &dir);
        cfg.spool = dir.join("spool");
        cfg.locks.tmp_dir = locks.clone();
        cfg.state_dir = None;
        cfg.notify = Arc::new(Silent);
        cfg.tz = jiff::tz::TimeZone::UTC;
        Env {
            dir,
            _tmp: tmp,
            store: Store::new(cfg),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

fn seq(n: u32) -> SeqNo {
    SeqNo::new(n).unwrap()
}

fn msg(subject: &str, flags: Flags) -> AppendMessage {
    AppendMessage {
        data: format!("From: a@b.example\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n")
            .into_bytes(),
        flags,
        keywords: Vec::new(),
        date: Some(rfc822::DateTime::from_civil(2024, 3, 5, (10, 11, 12), 0).unwrap()),
    }
}

fn subject(mb: &mut dyn mailstore::Mailbox, i: u32) -> String {
    let h = mb.fetch(seq(i), Part::Header).unwrap();
    String::from_utf8_lossy(&h)
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap()
        .to_owned()
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether Python 3 with its `mailbox` module can run here (in CI it must).
fn python_available(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import mailbox"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!ci(), "{test}: python3 is needed in CI");
        eprintln!("{test}: skipped: no python3");
    }
    ok
}

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Lists a maildir the way Python's `mailbox.Maildir` sees it: one line per message,
/// `subject<TAB>subdir<TAB>flags<TAB>body`, sorted by subject.
const PY_LIST: &str = r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
rows = []
for key, m in md.iteritems():
    rows.append("%s\t%s\t%s\t%r" % (m["subject"], m.get_subdir(), m.get_flags(), m.get_payload()))
print("\n".join(sorted(rows)))
"#;

#[test]
fn python_reads_what_we_write() {
    if !python_available("python_reads_what_we_write") {
        return;
    }
    let e = Env::new(None);
    e.store.create("#driver.maildir/box").unwrap();
    e.store
        .append(
            "box",
            &mut vec![
                Ok(msg("m1", Flags::SEEN.union(Flags::FLAGGED))),
                Ok(msg("m2", Flags::ANSWERED.union(Flags::DELETED))),
                Ok(msg("m3", Flags::EMPTY)),
            ]
            .into_iter(),
        )
        .unwrap();
    let dir = e.path("box");
    let dir = dir.to_str().unwrap();
    assert_eq!(
        python(PY_LIST, &[dir]),
        "m1\tnew\tFS\t'body of m1\\n'\nm2\tnew\tRT\t'body of m2\\n'\nm3\tnew\t\t'body of m3\\n'\n"
    );
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    mb.set_flags(&[seq(3)], FlagOp::Add, Flags::DRAFT, &[])
        .unwrap();
    mb.set_flags(&[seq(1)], FlagOp::Remove, Flags::FLAGGED, &[])
        .unwrap();
    mb.close(Close::Keep).unwrap();
    assert_eq!(
        python(PY_LIST, &[dir]),
        "m1\tcur\tS\t'body of m1\\n'\nm2\tcur\tRT\t'body of m2\\n'\nm3\tcur\tD\t'body of m3\\n'\n"
    );
}

#[test]
fn we_read_what_python_writes() {
    if !python_available("we_read_what_python_writes") {
        return;
    }
    let e = Env::new(None);
    let dir = e.path("pybox");
    let dir_s = dir.to_str().unwrap().to_owned();
    python(
        r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], create=True)
for subject, flags, subdir, date in [("p1", "FS", "cur", 1700000000), ("p2", "RT", "cur", 1700000100),
                                     ("p3", "", "new", 1700000200)]:
    m = mailbox.MaildirMessage("From: py@example\nSubject: %s\n\nhello %s\n" % (subject, subject))
    m.set_subdir(subdir)
    m.set_flags(flags)
    m.set_date(date)
    md.add(m)
"#,
        &[&dir_s],
    );
    let mut mb = e.store.open("pybox", Access::ReadWrite).unwrap();
    assert_eq!(mb.messages().len(), 3);
    let got: Vec<(String, Flags, i64)> = (1..=3)
        .map(|i| {
            let m = mb.messages()[i as usize - 1].clone();
            (subject(&mut *mb, i), m.flags, m.internal_date.timestamp())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "p1".to_owned(),
                Flags::FLAGGED.union(Flags::SEEN),
                1_700_000_000
            ),
            (
                "p2".to_owned(),
                Flags::ANSWERED.union(Flags::DELETED),
                1_700_000_100
            ),
            // In new/: this session moved it to cur/ and has it as \Recent.
            ("p3".to_owned(), Flags::RECENT, 1_700_000_200),
        ]
    );
    assert_eq!(
        mb.fetch(seq(1), Part::Whole).unwrap(),
        b"From: py@example\r\nSubject: p1\r\n\r\nhello p1\r\n"
    );
    assert_eq!(
        mb.messages()[0].size as usize,
        mb.fetch(seq(1), Part::Whole).unwrap().len()
    );
    let uids: Vec<u32> = mb.messages().iter().map(|m| m.uid.get()).collect();
    // Python changes flags the way it does (a new file renamed over the old name): the
    // UID stays, the change is seen at the next poll.
    python(
        r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for key, m in list(md.iteritems()):
    if m["subject"] == "p2":
        m.set_flags("S")
        md[key] = m
"#,
        &[&dir_s],
    );
    let changes = mb.poll().unwrap();
    assert_eq!(changes, vec![Change::Flags(seq(2))]);
    assert_eq!(mb.messages()[1].flags, Flags::SEEN);
    assert_eq!(
        mb.messages()
            .iter()
            .map(|m| m.uid.get())
            .collect::<Vec<_>>(),
        uids
    );
    mb.close(Close::Keep).unwrap();
    // What our session did (p3 moved to cur/) Python sees.
    assert!(python(PY_LIST, &[&dir_s]).contains("p3\tcur\t\t"));
}

/// Messages' flags as their file names say, by subject.
fn flags_on_disk(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for sub in ["new", "cur"] {
        for entry in fs::read_dir(dir.join(sub)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let text = fs::read_to_string(dir.join(sub).join(&name)).unwrap();
            let subject = text
                .lines()
                .find_map(|l| l.strip_prefix("Subject: "))
                .unwrap()
                .to_owned();
            let flags = name.split_once(":2,").map_or("", |(_, f)| f).to_owned();
            out.insert(subject, flags);
        }
    }
    out
}

#[test]
fn session_survives_another_program_renaming_files() {
    let e = Env::new(None);
    e.store.create("#driver.maildir/box").unwrap();
    let n = 20;
    e.store
        .append(
            "box",
            &mut (0..n)
                .map(|i| Ok(msg(&format!("s{i:02}"), Flags::EMPTY)))
                .collect::<Vec<_>>()
                .into_iter(),
        )
        .unwrap();
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    let uids: Vec<u32> = mb.messages().iter().map(|m| m.uid.get()).collect();
    let dir = e.path("box");
    let stop = Arc::new(AtomicBool::new(false));
    // Another program (as mutt does) toggles \Seen by renaming files in cur/.
    let renamer = {
        let dir = dir.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut renames = 0;
            while !stop.load(Ordering::Relaxed) {
                for entry in fs::read_dir(dir.join("cur")).unwrap() {
                    let name = entry.unwrap().file_name().into_string().unwrap();
                    let to = match name.split_once(":2,") {
                        Some((b, f)) if f.contains('S') => format!("{b}:2,{}", f.replace('S', "")),
                        Some((b, f)) => {
                            let mut l: Vec<char> = f.chars().chain(['S']).collect();
                            l.sort_unstable();
                            format!("{b}:2,{}", l.into_iter().collect::<String>())
                        }
                        None => continue,
                    };
                    if fs::rename(dir.join("cur").join(&name), dir.join("cur").join(to)).is_ok() {
                        renames += 1;
                    }
                }
            }
            renames
        })
    };
    // And another session of ours flags messages at the same time.
    let writer = {
        let store_home = e.dir.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let other = Env::new(Some(store_home));
            let mut mb = other.store.open("box", Access::ReadWrite).unwrap();
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let s = seq(i % n + 1);
                let op = if i.is_multiple_of(2) {
                    FlagOp::Add
                } else {
                    FlagOp::Remove
                };
                mb.set_flags(&[s], op, Flags::FLAGGED, &[]).unwrap();
                mb.poll().unwrap();
                i += 1;
            }
            mb.close(Close::Keep).unwrap();
            i
        })
    };
    let until = Instant::now() + Duration::from_millis(1500);
    let mut polls = 0;
    while Instant::now() < until {
        for c in mb.poll().unwrap() {
            assert!(
                !matches!(c, Change::Expunged(_) | Change::Exists(_)),
                "{c:?}"
            );
        }
        for i in 1..=n {
            assert_eq!(subject(&mut *mb, i), format!("s{:02}", i - 1));
        }
        mb.set_flags(&[seq(polls % n + 1)], FlagOp::Add, Flags::DRAFT, &[])
            .unwrap();
        polls += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let renames = renamer.join().unwrap();
    let writes = writer.join().unwrap();
    assert!(renames > 0 && writes > 0 && polls > 0);
    // Let the directory times age, then a last poll sees the final state.
    std::thread::sleep(Duration::from_millis(50));
    mb.poll().unwrap();
    assert_eq!(
        mb.messages()
            .iter()
            .map(|m| m.uid.get())
            .collect::<Vec<_>>(),
        uids
    );
    let disk = flags_on_disk(&dir);
    for i in 1..=n {
        let m = &mb.messages()[i as usize - 1];
        let on_disk = &disk[&format!("s{:02}", i - 1)];
        assert_eq!(m.flags.contains(Flags::SEEN), on_disk.contains('S'), "s{i}");
        assert_eq!(
            m.flags.contains(Flags::FLAGGED),
            on_disk.contains('F'),
            "s{i}"
        );
        assert_eq!(m.flags.contains(Flags::DRAFT), on_disk.contains('D'));
    }
    assert!(
        (0..n.min(polls)).all(|i| disk[&format!("s{i:02}")].contains('D')),
        "{disk:?}"
    );
}

#[test]
fn a_lost_uid_list_gives_a_new_uidvalidity() {
    let e = Env::new(None);
    e.store.create("#driver.maildir/box").unwrap();
    e.store
        .append("box", &mut vec![Ok(msg("a", Flags::SEEN))].into_iter())
        .unwrap();
    let before = e.store.status("box").unwrap();
    fs::write(e.path("box/.panda-uidlist"), b"not a uid list").unwrap();
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_ne!(mb.uid_validity(), before.uid_validity);
    assert_eq!(mb.messages().len(), 1);
    assert_eq!(mb.messages()[0].flags.minus(Flags::RECENT), Flags::SEEN);
    assert_eq!(subject(&mut *mb, 1), "a");
}

#[test]
fn children_are_subdirectories_and_list_hides_our_files() {
    let e = Env::new(None);
    e.store.create("#driver.maildir/box").unwrap();
    e.store.create("#driver.maildir/box/child").unwrap();
    e.store.create("box/plain").unwrap();
    fs::write(e.path("box/dovecot-uidlist"), b"3 V1 N1\n").unwrap();
    let names: Vec<String> = e
        .store
        .list("", "box*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for n in ["box", "box/child", "box/plain"] {
        assert!(names.contains(&n.to_owned()), "{names:?}");
    }
    assert_eq!(
        e.store.format_of("box").unwrap(),
        Some(mailstore::Format::Maildir)
    );
    // Deleting the parent keeps its children.
    e.store.delete("box").unwrap();
    assert!(e.path("box/child/cur").is_dir());
    assert!(!e.path("box/cur").exists());
}

// --- Dovecot -----------------------------------------------------------------------

const DOVECOT_IMAP: &str = "/usr/lib/dovecot/imap";
const USER: &str = "pandatest";

/// Whether Dovecot's imap can be run here as a test account (it refuses root).
fn dovecot_available(test: &str) -> Option<nix::unistd::User> {
    if !Path::new(DOVECOT_IMAP).exists() || !nix::unistd::geteuid().is_root() {
        eprintln!("{test}: skipped: needs root and Dovecot's imap ({DOVECOT_IMAP})");
        return None;
    }
    if nix::unistd::User::from_name(USER).ok().flatten().is_none() {
        let ok = Command::new("useradd")
            .args(["-m", "-s", "/bin/sh", USER])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "useradd {USER}");
    }
    nix::unistd::User::from_name(USER).ok().flatten()
}

fn chown_all(path: &Path, user: &nix::unistd::User) {
    nix::unistd::chown(path, Some(user.uid), Some(user.gid)).unwrap();
    if path.is_dir() {
        for e in fs::read_dir(path).unwrap() {
            chown_all(&e.unwrap().path(), user);
        }
    }
}

/// Runs an IMAP conversation with Dovecot's imap (preauthenticated) on maildir `dir`.
fn dovecot(home: &Path, dir: &Path, script: &str) -> String {
    let conf = home.join("dovecot.conf");
    fs::write(
        &conf,
        format!(
            "base_dir = {h}/run\nstate_dir = {h}/state\nlog_path = /dev/stderr\nssl = no\n",
            h = home.display()
        ),
    )
    .unwrap();
    let mut child = Command::new("runuser")
        .args(["-u", USER, "--", "env", &format!("USER={USER}")])
        .arg(format!("HOME={}", home.display()))
        .arg(DOVECOT_IMAP)
        .arg("-c")
        .arg(&conf)
        .arg("-o")
        .arg(format!("mail_location=maildir:{}", dir.display()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn dovecot_reads_ours_and_we_read_dovecots() {
    let Some(user) = dovecot_available("dovecot_reads_ours_and_we_read_dovecots") else {
        return;
    };
    let home = user.dir.join("t-maildir-dovecot");
    let _ = fs::remove_dir_all(&home);
    fs::create_dir_all(&home).unwrap();
    let e = Env::new(Some(home.clone()));
    e.store.create("#driver.maildir/box").unwrap();
    e.store
        .append(
            "box",
            &mut vec![
                Ok(msg("d1", Flags::SEEN.union(Flags::FLAGGED))),
                Ok(msg("d2", Flags::DRAFT)),
            ]
            .into_iter(),
        )
        .unwrap();
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    mb.set_flags(&[seq(2)], FlagOp::Add, Flags::DELETED, &[])
        .unwrap();
    mb.close(Close::Keep).unwrap();
    chown_all(&home, &user);
    let dir = e.path("box");
    let lit = "From: dc@example\r\nSubject: d3\r\n\r\nfrom dovecot\r\n";
    let out = dovecot(
        &home,
        &dir,
        &format!(
            "a SELECT INBOX\r\nb FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n\
             c APPEND INBOX (\\Seen \\Answered) {{{}+}}\r\n{lit}\r\n\
             d STORE 1 -FLAGS (\\Flagged)\r\ne LOGOUT\r\n",
            lit.len()
        ),
    );
    let fetched: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(" FETCH (FLAGS (") && l.contains("BODY["))
        .collect();
    assert_eq!(fetched.len(), 2, "{out}");
    assert!(
        fetched[0].contains("FLAGS (\\Flagged \\Seen \\Recent)"),
        "{out}"
    );
    assert!(
        fetched[1].contains("FLAGS (\\Deleted \\Draft \\Recent)"),
        "{out}"
    );
    assert!(
        out.contains("Subject: d1") && out.contains("Subject: d2"),
        "{out}"
    );
    assert!(out.contains("c OK") && out.contains("d OK"), "{out}");
    let mut mb = e.store.open("box", Access::ReadOnly).unwrap();
    assert_eq!(mb.messages().len(), 3);
    assert_eq!(mb.messages()[0].flags, Flags::SEEN);
    assert_eq!(mb.messages()[1].flags, Flags::DRAFT.union(Flags::DELETED));
    assert_eq!(
        mb.messages()[2].flags.minus(Flags::RECENT),
        Flags::SEEN.union(Flags::ANSWERED)
    );
    assert_eq!(subject(&mut *mb, 3), "d3");
    assert_eq!(
        mb.fetch(seq(3), Part::Whole).unwrap(),
        lit.as_bytes().to_vec()
    );
    // LIST does not show Dovecot's files as mailboxes.
    let names: Vec<String> = e
        .store
        .list("", "box/*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains("dovecot") && !n.contains("panda") && n != "box/cur"),
        "{names:?}"
    );
    let _ = fs::remove_dir_all(&home);
}

// --- mbsync (isync) ------------------------------------------------------------------

#[test]
fn mbsync_syncs_with_ours_both_ways() {
    if Command::new("mbsync").arg("--version").output().is_err() {
        eprintln!("mbsync_syncs_with_ours_both_ways: skipped: no mbsync (isync)");
        return;
    }
    let e = Env::new(None);
    e.store.create("#driver.maildir/box").unwrap();
    e.store
        .append(
            "box",
            &mut vec![
                Ok(msg("s1", Flags::SEEN.union(Flags::FLAGGED))),
                Ok(msg("s2", Flags::ANSWERED)),
            ]
            .into_iter(),
        )
        .unwrap();
    let mut mb = e.store.open("box", Access::ReadWrite).unwrap();
    let uids: Vec<u32> = mb.messages().iter().map(|m| m.uid.get()).collect();
    let rc = e.path("mbsyncrc");
    let near = e.path("near");
    fs::create_dir_all(&near).unwrap();
    // Our maildir is the far side; AltMap keeps mbsync from renaming its files.
    fs::write(
        &rc,
        format!(
            "MaildirStore far\nPath {d}/\nInbox {d}/box\nAltMap yes\n\n\
             MaildirStore near\nPath {n}/\nInbox {n}/box\n\n\
             Channel ch\nFar :far:\nNear :near:\nSync All\nCreate Both\nExpunge Both\n\
             SyncState *\n",
            d = e.dir.display(),
            n = near.display()
        ),
    )
    .unwrap();
    let sync = || {
        let out = Command::new("mbsync")
            .arg("-c")
            .arg(&rc)
            .arg("ch")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mbsync: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sync();
    let near_box = near.join("box");
    assert_eq!(
        flags_on_disk(&near_box),
        BTreeMap::from([
            ("s1".to_owned(), "FS".to_owned()),
            ("s2".to_owned(), "R".to_owned())
        ])
    );
    // Flags changed on the near side, and a message added there, come back to us.
    for sub in ["new", "cur"] {
        for entry in fs::read_dir(near_box.join(sub)).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            if fs::read_to_string(&p).unwrap().contains("Subject: s2") {
                let base = name.split_once(':').map_or(name.as_str(), |(b, _)| b);
                fs::rename(&p, near_box.join("cur").join(format!("{base}:2,RS"))).unwrap();
            }
        }
    }
    fs::write(
        near_box.join("new/1800000000.M1P1Q1.near"),
        "From: n@example\nSubject: s3\n\nnear\n",
    )
    .unwrap();
    sync();
    std::thread::sleep(Duration::from_millis(20));
    let changes = mb.poll().unwrap();
    assert!(
        changes.contains(&Change::Flags(seq(2))),
        "{changes:?} {:?}",
        flags_on_disk(&e.path("box"))
    );
    assert!(changes.contains(&Change::Exists(3)), "{changes:?}");
    assert_eq!(
        mb.messages()[1].flags.minus(Flags::RECENT),
        Flags::ANSWERED.union(Flags::SEEN)
    );
    assert_eq!(subject(&mut *mb, 3), "s3");
    assert_eq!(
        mb.messages()[..2]
            .iter()
            .map(|m| m.uid.get())
            .collect::<Vec<_>>(),
        uids
    );
    // mbsync's files beside ours are no mailboxes.
    let names: Vec<String> = e
        .store
        .list("", "box/*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(names.iter().all(|n| !n.contains("isync")), "{names:?}");
}
