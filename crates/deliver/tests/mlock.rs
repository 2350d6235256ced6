//! `mlock`: the lock made and released over c-client's protocol, its refusals, and the
//! store locking through it (ours or UW's) a spool directory that refuses the user.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use mailstore::lock::mlock::{HelperLock, HelperOutcome};

/// A spool directory as some systems have it: `root:mail 1775`, which a user outside group
/// `mail` cannot create files in; and in it a mailbox of `u`'s.
fn spool_dir(root: &Path, u: &TestUser) -> (PathBuf, PathBuf) {
    let dir = root.join("spool");
    fs::create_dir(&dir).unwrap();
    let mail = nix::unistd::Group::from_name("mail").unwrap().unwrap();
    nix::unistd::chown(&dir, Some(nix::unistd::Uid::from_raw(0)), Some(mail.gid)).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o1775)).unwrap();
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).unwrap();
    let mbox = dir.join(&u.name);
    fs::write(&mbox, b"").unwrap();
    u.own(&mbox);
    fs::set_permissions(&mbox, fs::Permissions::from_mode(0o600)).unwrap();
    (dir, mbox)
}

/// What every test here starts from: a test account, a setgid copy of our `mlock`, and
/// a spool directory that refuses the user, with the user's mailbox in it.
struct Setup {
    u: TestUser,
    _tmp: tempfile::TempDir,
    /// Where the copy of `mlock` is.
    bin: tempfile::TempDir,
    mlock: PathBuf,
    dir: PathBuf,
    mbox: PathBuf,
}

fn setup() -> Setup {
    let u = TestUser::new("l");
    let tmp = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let mlock = setgid_mlock(bin.path());
    let (dir, mbox) = spool_dir(tmp.path(), &u);
    Setup {
        u,
        _tmp: tmp,
        bin,
        mlock,
        dir,
        mbox,
    }
}

#[test]
fn mlock_makes_the_lock_and_removes_it_when_told() {
    if !can_run("mlock_makes_the_lock_and_removes_it_when_told") {
        return;
    }
    let Setup {
        u: _u,
        _tmp,
        bin: _bin,
        mlock,
        dir: _dir,
        mbox,
    } = setup();
    let lock = PathBuf::from(format!("{}.lock", mbox.display()));
    for program in [mlock.as_path(), Path::new(UW_MLOCK)] {
        let HelperOutcome::Held(held) = HelperLock::take(program, &mbox).unwrap() else {
            panic!("{}: no lock", program.display());
        };
        let md = fs::symlink_metadata(&lock).unwrap();
        assert!(md.is_file());
        assert_eq!(md.nlink(), 1, "hitching post left");
        // Made by the helper, as group mail.
        let mail = nix::unistd::Group::from_name("mail").unwrap().unwrap();
        assert_eq!(md.gid(), mail.gid.as_raw(), "{}", program.display());
        drop(held);
        assert!(!lock.exists(), "{}: lock left", program.display());
    }
}

#[test]
fn mlock_refuses_what_uw_mlock_refuses() {
    if !can_run("mlock_refuses_what_uw_mlock_refuses") {
        return;
    }
    let Setup {
        u: _u,
        _tmp,
        bin,
        mlock,
        dir,
        mbox,
    } = setup();
    let other = dir.join("other");
    fs::write(&other, b"").unwrap();
    let run = |program: &Path, args: &[&str]| {
        let mut c = Command::new(program);
        c.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let mut out = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
        // The protocol's byte (Debian's mlock says more after it).
        out.truncate(1);
        (child.wait().unwrap().code(), out)
    };
    // Descriptor 0 is /dev/null: not the mailbox.
    let m = mbox.display().to_string();
    for args in [
        vec!["0", m.as_str()],
        vec!["x", m.as_str()],
        vec![m.as_str()],
    ] {
        let ours = run(&mlock, &args);
        let uw = run(Path::new(UW_MLOCK), &args);
        assert_eq!(ours, uw, "{args:?}");
        assert_eq!(ours, (Some(64), b"?".to_vec()), "{args:?}");
    }
    // Not setgid mail: refused.
    let plain = bin.path().join("plain-mlock");
    fs::copy(ours("mlock"), &plain).unwrap();
    assert_eq!(run(&plain, &["0", &m]), (Some(64), b"?".to_vec()));
    let _ = other;
}

/// Delivers with `tmail -I <mailbox>` for `u`, the helper set by `PANDA_MLOCK`; standard
/// error.
fn deliver_with(helper: &Path, u: &TestUser, mbox: &Path, id: &str) -> String {
    let out = feed(
        Command::new(ours("tmail"))
            .env("PANDA_MLOCK", helper)
            .args(["-I", &mbox.display().to_string(), &u.name]),
        &message(id, 10),
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{err}");
    err
}

#[test]
fn the_store_locks_a_1775_spool_through_mlock_ours_or_uws() {
    if !can_run("the_store_locks_a_1775_spool_through_mlock_ours_or_uws") {
        return;
    }
    let Setup {
        u,
        _tmp,
        bin,
        mlock,
        dir,
        mbox,
    } = setup();
    let vulnerable = format!(
        "Mailbox vulnerable - directory {} must have 1777 protection",
        dir.display()
    );
    // Without a helper, the lock cannot be made: c-client's warning, flock alone.
    let err = deliver_with(&bin.path().join("no-such-mlock"), &u, &mbox, "plain");
    assert!(err.contains(&vulnerable), "{err}");
    // With ours, and with UW's, the lock is made: no warning.
    for (helper, id) in [(mlock.as_path(), "ours"), (Path::new(UW_MLOCK), "uws")] {
        let err = deliver_with(helper, &u, &mbox, id);
        assert!(!err.contains("vulnerable"), "{}: {err}", helper.display());
        assert!(!Path::new(&format!("{}.lock", mbox.display())).exists());
    }
    let text = fs::read_to_string(&mbox).unwrap();
    for id in ["plain", "ours", "uws"] {
        assert_eq!(text.matches(&format!("<{id}@deliver.test>")).count(), 1);
    }
}

#[test]
fn a_lock_held_through_mlock_keeps_a_delivery_waiting() {
    if !can_run("a_lock_held_through_mlock_keeps_a_delivery_waiting") {
        return;
    }
    let Setup {
        u,
        _tmp,
        bin: _bin,
        mlock,
        dir: _dir,
        mbox,
    } = setup();
    // UW's mlock holds the lock for "another process".
    let HelperOutcome::Held(held) = HelperLock::take(Path::new(UW_MLOCK), &mbox).unwrap() else {
        panic!("no lock");
    };
    let mut child = Command::new(ours("tmail"))
        .env("PANDA_MLOCK", &mlock)
        .args(["-I", &mbox.display().to_string(), &u.name])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&message("waited", 3))
        .unwrap();
    // The delivery waits: its mlock is running (and waiting for the lock), and nothing
    // has been written.
    let tmail = child.id();
    while helper_of(tmail, &mlock).is_none() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "tmail finished under a held lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(fs::metadata(&mbox).unwrap().len(), 0);
    let mut stderr = child.stderr.take().unwrap();
    drop(held);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{rest}");
    assert!(
        fs::read_to_string(&mbox)
            .unwrap()
            .contains("<waited@deliver.test>")
    );
}

/// The process running `program` whose parent is `parent`, if there is one.
fn helper_of(parent: u32, program: &Path) -> Option<u32> {
    fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let stat = fs::read_to_string(e.path().join("stat")).ok()?;
        // "pid (comm) state ppid ...": the fields after the last ')'.
        let ppid: u32 = stat[stat.rfind(')')? + 1..]
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        let exe = fs::read_link(e.path().join("exe")).ok()?;
        (ppid == parent && exe == program).then_some(pid)
    })
}
