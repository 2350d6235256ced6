//! `scripts/install.sh`: run with `--no-build` into a staging root (`DESTDIR`), it puts
//! the built programs under UW's names in `sbin` and `bin` (mlock setgid mail), every page
//! of `man/` in its section, and `dist/` in the documentation directory naming the
//! installed paths (under the default prefix, the files of `dist/` as they are); `/etc`
//! is touched only with `--etc`, and never overwritten. The systemd units, installed,
//! pass `systemd-analyze verify` (in CI its absence is a failure).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use testkit::have;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn install(destdir: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg(repo().join("scripts/install.sh"))
        .args(args)
        .env("DESTDIR", destdir)
        .env_remove("PREFIX")
        .output()
        .unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

const SBIN: &[&str] = &["imapd", "ipop3d", "pandad", "tmail", "mlock"];
const BIN: &[&str] = &["mailutil", "dmail"];

#[test]
fn installs_the_built_programs_pages_and_operator_files() {
    let built = Path::new(env!("CARGO_BIN_EXE_imapd")).parent().unwrap();
    let stage = tempfile::tempdir().unwrap();
    let out = install(
        stage.path(),
        &[
            "--no-build",
            "--bin-dir",
            built.to_str().unwrap(),
            "--prefix",
            "/opt/panda",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "install.sh: {err}");
    let root = stage.path().join("opt/panda");
    for p in ["imapd", "ipop3d", "pandad"] {
        let installed = root.join("sbin").join(p);
        assert_eq!(mode(&installed), 0o755, "{p}");
        let v = Command::new(&installed).arg("--version").output().unwrap();
        assert!(v.status.success(), "installed {p} runs");
    }
    // The others only when they were built.
    for (names, dir) in [(SBIN, "sbin"), (BIN, "bin")] {
        for p in names.iter() {
            assert_eq!(
                root.join(dir).join(p).exists(),
                built.join(p).is_file(),
                "{dir}/{p}"
            );
        }
    }
    // Every page, in its section.
    let mut pages = 0;
    for e in std::fs::read_dir(repo().join("man")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let section = name.rsplit('.').next().unwrap();
        let installed = root.join(format!("share/man/man{section}/{name}"));
        assert_eq!(mode(&installed), 0o644, "{name}");
        assert_eq!(
            std::fs::read(&installed).unwrap(),
            std::fs::read(repo().join("man").join(&name)).unwrap()
        );
        pages += 1;
    }
    assert!(pages >= 4);
    // dist/, naming where the programs now are.
    let doc = root.join("share/doc/panda-imap");
    assert!(doc.join("README.md").is_file());
    for f in [
        "inetd.conf",
        "xinetd.d/imaps",
        "systemd/panda-imap@.service",
    ] {
        let text = std::fs::read_to_string(doc.join(f)).unwrap();
        assert!(text.contains("/opt/panda/sbin/imapd"), "{f}: {text}");
        assert!(!text.contains("/usr/local/bin/imapd"), "{f}: {text}");
    }
    for f in ["systemd/pandad.service", "systemd/pandad-system.service"] {
        let unit = std::fs::read_to_string(doc.join(f)).unwrap();
        assert!(
            unit.contains("ExecStart=/opt/panda/sbin/pandad --config"),
            "{f}: {unit}"
        );
    }
    assert!(
        !stage.path().join("etc").exists(),
        "nothing in /etc without --etc"
    );
}

#[test]
fn programs_go_under_uw_names_and_mlock_is_setgid_mail() {
    let bins = tempfile::tempdir().unwrap();
    for p in SBIN.iter().chain(BIN) {
        let f = bins.path().join(p);
        std::fs::write(&f, format!("#!/bin/sh\necho {p}\n")).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    // Not a program: left alone.
    std::fs::write(bins.path().join("notes.txt"), "x").unwrap();
    let stage = tempfile::tempdir().unwrap();
    let kept = stage.path().join("etc/xinetd.d/imap");
    std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
    std::fs::write(&kept, "# the operator's own\n").unwrap();
    let out = install(
        stage.path(),
        &[
            "--no-build",
            "--etc",
            &format!("--bin-dir={}", bins.path().display()),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "install.sh: {err}");
    let root = stage.path().join("usr/local");
    for p in SBIN {
        assert!(root.join("sbin").join(p).is_file(), "sbin/{p}");
        assert!(!root.join("bin").join(p).exists(), "bin/{p}");
    }
    for p in BIN {
        assert_eq!(mode(&root.join("bin").join(p)), 0o755, "bin/{p}");
        assert!(!root.join("sbin").join(p).exists(), "sbin/{p}");
    }
    assert!(!root.join("bin/notes.txt").exists() && !root.join("sbin/notes.txt").exists());
    let mlock = root.join("sbin/mlock");
    if nix::unistd::Uid::effective().is_root() {
        let mail = nix::unistd::Group::from_name("mail")
            .unwrap()
            .expect("group mail");
        assert_eq!(mode(&mlock), 0o2755);
        assert_eq!(std::fs::metadata(&mlock).unwrap().gid(), mail.gid.as_raw());
    } else {
        assert_eq!(mode(&mlock), 0o755, "without root, no setgid");
        assert!(err.contains("without setgid"), "{err}");
    }
    // --etc: the units and xinetd files, an existing file kept.
    let etc = stage.path().join("etc");
    let unit = std::fs::read_to_string(etc.join("systemd/system/panda-imaps@.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/local/sbin/imapd "), "{unit}");
    assert!(etc.join("xinetd.d/pop3s").is_file());
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "# the operator's own\n"
    );
    assert!(err.contains("exists: left as it is"), "{err}");
    // Under the default prefix the copies of dist/ are the repository's files as they
    // are: those name the default paths already.
    let doc = root.join("share/doc/panda-imap");
    for f in dist_files() {
        assert_eq!(
            std::fs::read_to_string(doc.join(&f)).unwrap(),
            std::fs::read_to_string(repo().join("dist").join(&f)).unwrap(),
            "dist/{f} does not name the default installed paths"
        );
    }
}

/// Every file under `dist/`, relative to it.
fn dist_files() -> Vec<String> {
    let dist = repo().join("dist");
    let mut out = Vec::new();
    let mut dirs = vec![dist.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(p.strip_prefix(&dist).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    assert!(out.len() >= 10, "{out:?}");
    out
}

/// A unit file's settings (`Key=value` lines, comments left out).
fn settings(unit: &str) -> Vec<(String, String)> {
    unit.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn setting<'a>(settings: &'a [(String, String)], key: &str) -> Option<&'a str> {
    settings
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn installed_systemd_units_pass_systemd_analyze_verify() {
    if !have(
        "systemd-analyze",
        "installed_systemd_units_pass_systemd_analyze_verify",
    ) {
        return;
    }
    // Installed for real under a temporary prefix (no DESTDIR), so that every ExecStart
    // names a program that exists.
    let built = Path::new(env!("CARGO_BIN_EXE_imapd")).parent().unwrap();
    let prefix = tempfile::tempdir().unwrap();
    let out = install(
        Path::new(""),
        &[
            "--no-build",
            "--bin-dir",
            built.to_str().unwrap(),
            "--prefix",
            prefix.path().to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "install.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let units = prefix.path().join("share/doc/panda-imap/systemd");
    let mut names: Vec<String> = std::fs::read_dir(&units)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for want in [
        "pandad.service",
        "pandad-system.service",
        "panda-imaps@.service",
    ] {
        assert!(names.iter().any(|n| n == want), "{want}: {names:?}");
    }
    for name in &names {
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(units.join(name))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {err}");
        // Unknown keys and bad values are only warnings to systemd-analyze.
        let about: Vec<&str> = err
            .lines()
            .filter(|l| names.iter().any(|n| l.contains(n.as_str())))
            .collect();
        assert!(about.is_empty(), "{name}: {about:?}");
    }
    // The two daemon units: the same command; the one for system accounts runs as root
    // and leaves the sessions to end alone when the daemon stops.
    let read = |n: &str| settings(&std::fs::read_to_string(units.join(n)).unwrap());
    let virtual_users = read("pandad.service");
    let system = read("pandad-system.service");
    let exec = setting(&system, "ExecStart").unwrap();
    assert_eq!(Some(exec), setting(&virtual_users, "ExecStart"));
    assert!(exec.starts_with(&format!("{}/sbin/pandad ", prefix.path().display())));
    assert_eq!(setting(&virtual_users, "User"), Some("panda"));
    assert_eq!(setting(&system, "User"), None, "runs as root");
    assert_eq!(setting(&system, "KillMode"), Some("process"));
    assert_eq!(setting(&system, "Conflicts"), Some("pandad.service"));
    assert_eq!(
        setting(&virtual_users, "Conflicts"),
        Some("pandad-system.service")
    );
}

#[test]
fn bad_command_lines() {
    let stage = tempfile::tempdir().unwrap();
    let out = install(stage.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
    for args in [&["--bogus"][..], &["--prefix"], &["--prefix", "relative"]] {
        let out = install(stage.path(), args);
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let empty = tempfile::tempdir().unwrap();
    let out = install(
        stage.path(),
        &["--no-build", "--bin-dir", empty.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no program found"));
    assert_eq!(
        std::fs::read_dir(stage.path()).unwrap().count(),
        0,
        "nothing installed"
    );
}
