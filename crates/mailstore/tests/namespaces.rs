//! Shared namespaces (`#ftp/`, `#public/`, `#shared/`, FAQ 4.6) and restrictions (FAQ 5.1):
//! where names lead, the modes of what is made there, LIST and LSUB in them, and a table
//! of hostile names that must all be refused without anything outside being touched.
//!
//! The accounts `ftp`, `imappublic` and `imapshared` are not needed on the machine: the
//! store's [`Homes`] points them at temporary directories.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mailstore::config::{Homes, Restrict, SharedNamespace, SharedNamespaces, UserKind};
use mailstore::name::Target;
use mailstore::{Access, AppendMessage, Error, Flags, StoreConfig};
use mailstore::{Part, SeqNo, Store};

#[derive(Debug)]
struct TestHomes(BTreeMap<String, PathBuf>);

impl Homes for TestHomes {
    fn home_of(&self, user: &str) -> Option<PathBuf> {
        self.0.get(user).cloned()
    }
}

/// A user `me` and the namespace accounts, all under one temporary directory, and a
/// sentinel directory (also the home of user `victim`) that nothing may touch.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        for d in ["me", "ftp", "pub", "shared", "sentinel"] {
            fs::create_dir(dir.path().join(d)).unwrap();
        }
        fs::write(dir.path().join("sentinel/file"), "keep\n").unwrap();
        Site { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn config(&self, accounts: &[&str]) -> StoreConfig {
        let mut homes = BTreeMap::new();
        for (user, dir) in [
            ("ftp", "ftp"),
            ("imappublic", "pub"),
            ("imapshared", "shared"),
            ("victim", "sentinel"),
        ] {
            if accounts.contains(&user) {
                homes.insert(user.to_owned(), self.path(dir));
            }
        }
        homes.insert("root".to_owned(), PathBuf::from("/"));
        let mut cfg = StoreConfig::new("me", self.path("me"));
        cfg.homes = Arc::new(TestHomes(homes));
        cfg.spool = self.path("spool-me");
        cfg.locks.tmp_dir = self.path("locks");
        fs::create_dir_all(&cfg.locks.tmp_dir).unwrap();
        cfg.state_dir = None;
        cfg.news_active = self.path("no-active-file");
        cfg
    }

    fn store(&self) -> Store {
        Store::new(self.config(&["ftp", "imappublic", "imapshared", "victim"]))
    }

    /// Every path under the sentinel, with its contents and mode.
    fn sentinel(&self) -> Vec<(PathBuf, Vec<u8>, u32)> {
        fn walk(p: &Path, out: &mut Vec<(PathBuf, Vec<u8>, u32)>) {
            let m = fs::symlink_metadata(p).unwrap();
            let data = if m.is_file() {
                fs::read(p).unwrap()
            } else {
                Vec::new()
            };
            out.push((p.to_owned(), data, m.permissions().mode()));
            if m.is_dir() {
                let mut names: Vec<_> = fs::read_dir(p)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                names.sort();
                for n in names {
                    walk(&n, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.path("sentinel"), &mut out);
        out
    }
}

fn msg(subject: &str) -> AppendMessage {
    AppendMessage {
        data: format!("Subject: {subject}\r\n\r\nbody\r\n").into_bytes(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: None,
    }
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn file(s: &Store, name: &str) -> PathBuf {
    match s.resolve(name).unwrap().target {
        Target::File(p) => p,
        Target::Inbox => panic!("{name} is INBOX"),
    }
}

#[test]
fn names_lead_to_the_accounts_homes() {
    let site = Site::new();
    let s = site.store();
    assert_eq!(file(&s, "#public/a/b"), site.path("pub/a/b"));
    assert_eq!(file(&s, "#PUBLIC/x"), site.path("pub/x"));
    assert_eq!(file(&s, "#ftp/x"), site.path("ftp/x"));
    assert_eq!(file(&s, "#shared/x"), site.path("shared/x"));
    assert_eq!(file(&s, "#public/"), site.path("pub/"));
    let inbox = s.resolve("#Public/inbox").unwrap();
    assert_eq!(inbox.name, "#public/INBOX");
    assert_eq!(inbox.target, Target::File(site.path("pub/INBOX")));
    assert_eq!(inbox.shared_namespace(), Some(SharedNamespace::Public));
    assert_eq!(file(&s, "~victim/x"), site.path("sentinel/x"));
}

#[test]
fn a_namespace_without_its_account_is_absent() {
    let site = Site::new();
    let s = Store::new(site.config(&["imappublic"]));
    assert!(s.resolve("#public/x").is_ok());
    for name in ["#ftp/x", "#shared/x"] {
        let e = s.resolve(name).unwrap_err();
        assert!(e.to_string().contains("unknown namespace"), "{e}");
    }
    assert!(s.list("", "#ftp/*").unwrap().is_empty());
    let ns = s.namespaces();
    assert_eq!(ns.shared.len(), 1);
    assert_eq!(ns.shared[0].prefix, "#public/");

    let mut cfg = site.config(&["ftp", "imappublic", "imapshared"]);
    cfg.shared_namespaces = SharedNamespaces::Disabled;
    let s = Store::new(cfg);
    assert!(s.resolve("#public/x").is_err());
    assert!(s.namespaces().shared.is_empty());

    let mut cfg = site.config(&["ftp", "imappublic", "imapshared"]);
    cfg.user_kind = UserKind::Anonymous;
    let s = Store::new(cfg);
    assert!(s.resolve("#shared/x").is_err());
    assert!(s.resolve("#public/x").is_ok());
    let prefixes: Vec<String> = s
        .namespaces()
        .shared
        .into_iter()
        .map(|n| n.prefix)
        .collect();
    assert_eq!(prefixes, ["#ftp/", "#public/"]);
}

#[test]
fn namespaces_as_panda_orders_them() {
    let site = Site::new();
    let mut cfg = site.config(&["ftp", "imappublic", "imapshared"]);
    fs::write(site.path("active"), "comp.mail 2 1 y\n").unwrap();
    cfg.news_active = site.path("active");
    let s = Store::new(cfg);
    let ns = s.namespaces();
    let show = |v: &[mailstore::namespace::Namespace]| -> Vec<(String, Option<char>)> {
        v.iter().map(|n| (n.prefix.clone(), n.delimiter)).collect()
    };
    assert_eq!(show(&ns.personal), [("".into(), Some('/'))]);
    assert_eq!(show(&ns.other_users), [("~".into(), Some('/'))]);
    assert_eq!(
        show(&ns.shared),
        [
            ("#shared/".into(), Some('/')),
            ("#ftp/".into(), Some('/')),
            ("#news.".into(), Some('.')),
            ("#public/".into(), Some('/')),
        ]
    );
    fs::write(site.path("me/.mh_profile"), "Path: Mail\n").unwrap();
    assert_eq!(
        show(&s.namespaces().personal),
        [
            ("".into(), Some('/')),
            ("#mhinbox".into(), None),
            ("#mh/".into(), Some('/'))
        ]
    );
    let mut cfg = site.config(&[]);
    cfg.restrict = Restrict::All;
    assert!(Store::new(cfg).namespaces().other_users.is_empty());
}

#[test]
fn new_files_take_the_namespace_modes() {
    let site = Site::new();
    let s = site.store();
    for (name, file, dir_mode, file_mode) in [
        ("#ftp/d/a", "ftp/d/a", 0o755, 0o644),
        ("#public/d/a", "pub/d/a", 0o777, 0o666),
        ("#shared/d/a", "shared/d/a", 0o770, 0o660),
        ("d/a", "me/d/a", 0o700, 0o600),
    ] {
        s.create(name).unwrap();
        let p = site.path(file);
        assert_eq!(mode(&p), file_mode, "{name}");
        assert_eq!(mode(p.parent().unwrap()), dir_mode, "{name}");
    }
    // Other formats, and directories made alone.
    s.create("#driver.mix/#public/m").unwrap();
    assert_eq!(mode(&site.path("pub/m")), 0o777);
    s.append("#public/m", &mut vec![Ok(msg("in mix"))].into_iter())
        .unwrap();
    s.create("#driver.maildir/#public/md").unwrap();
    s.append("#public/md", &mut vec![Ok(msg("in maildir"))].into_iter())
        .unwrap();
    for sub in ["md", "md/cur", "md/new", "md/tmp"] {
        assert_eq!(mode(&site.path("pub").join(sub)), 0o777, "{sub}");
    }
    for f in fs::read_dir(site.path("pub/md/new")).unwrap() {
        assert_eq!(mode(&f.unwrap().path()), 0o666, "a maildir message");
    }
    for f in fs::read_dir(site.path("pub/m")).unwrap() {
        assert_eq!(mode(&f.unwrap().path()), 0o666, "mix's own files");
    }
    s.create("#public/e/").unwrap();
    assert_eq!(mode(&site.path("pub/e")), 0o777);

    // Append, select, rename, delete in the namespace.
    s.append("#public/d/a", &mut vec![Ok(msg("hello"))].into_iter())
        .unwrap();
    let mut mb = s.open("#public/d/a", Access::ReadWrite).unwrap();
    let text = mb.fetch(SeqNo::new(1).unwrap(), Part::Whole).unwrap();
    assert!(String::from_utf8_lossy(&text).contains("hello"));
    drop(mb);
    s.rename("#public/d/a", "#public/n/b").unwrap();
    assert_eq!(mode(&site.path("pub/n")), 0o777);
    assert_eq!(mode(&site.path("pub/n/b")), 0o666);
    assert_eq!(s.status("#public/n/b").unwrap().messages, 1);
    for ns in ["#public/", "#ftp/", "#SHARED/"] {
        assert!(s.delete(ns).is_err(), "{ns}");
        assert!(s.rename(ns, "x").is_err(), "{ns}");
    }
    assert!(s.rename("#public/n", "#public/").is_err());
    assert!(site.path("ftp").is_dir() && site.path("shared").is_dir());
    s.delete("#public/n/b").unwrap();
    assert!(!site.path("pub/n/b").exists());
    assert!(s.format_of("#public/n/b").unwrap().is_none());
}

#[test]
fn list_and_lsub_in_a_namespace() {
    let site = Site::new();
    let s = site.store();
    s.create("#public/a").unwrap();
    s.create("#public/d/b").unwrap();
    let names =
        |v: Vec<mailstore::ListEntry>| -> Vec<String> { v.into_iter().map(|e| e.name).collect() };
    // The namespace's directory is listed too, as c-client lists the directory of a
    // pattern.
    assert_eq!(
        names(s.list("", "#public/*").unwrap()),
        ["#public/", "#public/a", "#public/d", "#public/d/b"]
    );
    assert_eq!(
        names(s.list("", "#public/%").unwrap()),
        ["#public/", "#public/a", "#public/d"]
    );
    assert_eq!(
        names(s.list("#public/", "%").unwrap()),
        ["#public/", "#public/a", "#public/d"]
    );
    let root = s.list("#public/", "").unwrap();
    assert_eq!(root[0].name, "#public/");
    assert_eq!(root[0].delimiter, Some('/'));
    // The personal namespace does not reach into it.
    assert!(
        !names(s.list("", "*").unwrap())
            .iter()
            .any(|n| n.starts_with('#'))
    );
    s.subscribe("#public/d/b").unwrap();
    assert_eq!(names(s.lsub("", "#public/*").unwrap()), ["#public/d/b"]);
    assert_eq!(names(s.lsub("", "#public/%").unwrap()), ["#public/d"]);
}

/// Every operation that takes a name, tried with `name`; none may succeed.
fn every_operation_refuses(s: &Store, name: &str) {
    let what = |op: &str, r: Result<(), Error>| {
        assert!(r.is_err(), "{op} {name:?} accepted");
    };
    what("resolve", s.resolve(name).map(drop));
    what("create", s.create(name));
    if !name.is_empty() {
        // (`/` alone is the filesystem root, which exists, so "making" it does nothing.)
        what("create dir", s.create(&format!("{name}/")));
    }
    what(
        "append",
        s.append(name, &mut vec![Ok(msg("x"))].into_iter())
            .map(drop),
    );
    what("open", s.open(name, Access::ReadWrite).map(drop));
    what("status", s.status(name).map(drop));
    what("delete", s.delete(name));
    what("rename to", s.rename("mine", name));
    what("rename from", s.rename(name, "elsewhere"));
    what("subscribe", s.subscribe(name));
    // LIST may answer nothing, but must not fail in a way that touches files; whatever
    // it gives must not come from the sentinel.
    if let Ok(v) = s.list("", name) {
        assert!(v.iter().all(|e| e.name != "file"), "LIST {name:?}");
    }
}

#[test]
fn hostile_names_are_refused_and_touch_nothing_outside() {
    let site = Site::new();
    // Links that lead out: in the user's mail directory and in the namespaces.
    std::os::unix::fs::symlink(site.path("sentinel"), site.path("me/link")).unwrap();
    std::os::unix::fs::symlink(site.path("sentinel"), site.path("pub/plink")).unwrap();
    std::os::unix::fs::symlink(site.path("sentinel/file"), site.path("pub/flink")).unwrap();
    std::os::unix::fs::symlink(site.path("sentinel/file"), site.path("me/flink")).unwrap();
    let before = site.sentinel();
    let sentinel = site.path("sentinel");
    let abs = format!("{}/x", sentinel.display());
    let abs_file = format!("{}/file", sentinel.display());
    let long = "x".repeat(300);
    let long_ns = format!("#public/{}", "y".repeat(300));
    let always = [
        "#ftp/../../etc",
        "#ftp/../sentinel/x",
        "#public/../x",
        "#public/../sentinel/file",
        "#public//etc/passwd",
        "#public/~victim/x",
        "#shared/a/../../sentinel/x",
        "#public/plink/x",
        "#public/plink/file",
        "#public/flink",
        "a\r\nb",
        "a\nb",
        "#public/a\rb",
        "a\0b",
        "#public/a\0b",
        long.as_str(),
        long_ns.as_str(),
        "#nosuch/x",
        "{evil.example}INBOX",
        "",
    ];
    let restricted = [
        "../..",
        "../sentinel/x",
        "../sentinel/file",
        "a/../../sentinel/x",
        "a//b",
        "a/~victim",
        "/etc/passwd",
        "/",
        abs.as_str(),
        abs_file.as_str(),
        "~root/x",
        "~victim/x",
        "~victim/file",
        "link/x",
        "link/file",
        "flink",
        "~/link/file",
    ];
    for level in [
        Restrict::None,
        Restrict::Root,
        Restrict::OtherUsers,
        Restrict::All,
    ] {
        let mut cfg = site.config(&["ftp", "imappublic", "imapshared", "victim"]);
        cfg.restrict = level;
        let s = Store::new(cfg);
        s.create("mine").unwrap();
        for name in always {
            every_operation_refuses(&s, name);
        }
        if level == Restrict::All {
            for name in restricted {
                every_operation_refuses(&s, name);
            }
        }
        s.delete("mine").unwrap();
        assert_eq!(site.sentinel(), before, "the sentinel changed at {level:?}");
    }
    // What each level refuses by itself.
    let refuses = |level: Restrict, name: &str| {
        let mut cfg = site.config(&["victim"]);
        cfg.restrict = level;
        Store::new(cfg).resolve(name).is_err()
    };
    assert!(refuses(Restrict::Root, "~root/x"), "a home that is /");
    assert!(!refuses(Restrict::Root, "~victim/x"));
    assert!(refuses(Restrict::Root, &abs));
    assert!(refuses(Restrict::Root, "link/x"));
    assert!(refuses(Restrict::OtherUsers, "~victim/x"));
    assert!(!refuses(Restrict::OtherUsers, &abs));
    assert!(refuses(Restrict::OtherUsers, "../x"));
    assert!(!refuses(Restrict::None, "../x"));
    // The error says why.
    let mut cfg = site.config(&[]);
    cfg.restrict = Restrict::All;
    let e = Store::new(cfg).resolve("../x").unwrap_err();
    assert_eq!(e.to_string(), "Invalid mailbox name: ../x: restricted name");
    assert_eq!(site.sentinel(), before);
}

#[test]
fn restricted_users_keep_their_own_names() {
    let site = Site::new();
    let mut cfg = site.config(&["imappublic"]);
    cfg.restrict = Restrict::All;
    let spool = cfg.spool.display().to_string();
    let own = format!("{}/a", site.path("me").display());
    let s = Store::new(cfg);
    for name in [
        "a",
        "d/b",
        "~/c",
        own.as_str(),
        spool.as_str(),
        "INBOX",
        "#public/p",
    ] {
        assert!(s.resolve(name).is_ok(), "{name:?} refused");
    }
    s.create("d/b").unwrap();
    s.create("#public/p").unwrap();
    assert_eq!(mode(&site.path("pub/p")), 0o666);
}

#[test]
fn the_anonymous_user_reads_ftp_public_and_news_only_and_changes_nothing() {
    let site = Site::new();
    let mut cfg = site.config(&["ftp", "imappublic", "imapshared", "victim"]);
    fs::write(site.path("active"), "comp.mail 2 1 y\n").unwrap();
    cfg.news_active = site.path("active");
    let named = Store::new(cfg.clone());
    named.create("#public/x").unwrap();
    let msg = AppendMessage {
        data: b"Subject: hello\r\n\r\nbody\r\n".to_vec(),
        flags: Flags::EMPTY,
        keywords: Vec::new(),
        date: None,
    };
    named
        .append("#public/x", &mut std::iter::once(Ok(msg.clone())))
        .unwrap();
    named.create("#shared/s").unwrap();
    named.create("mine").unwrap();
    cfg.user_kind = UserKind::Anonymous;
    let anon = Store::new(cfg);
    let before = site.sentinel();

    // Reading #public/ works, read-only whatever is asked.
    let mut mb = anon.open("#public/x", Access::ReadWrite).unwrap();
    assert_eq!(mb.access(), Access::ReadOnly);
    assert!(mb.fetch(SeqNo::new(1).unwrap(), Part::Whole).is_ok());
    assert!(anon.resolve("#ftp/y").is_ok());
    assert!(anon.resolve("#news.comp.mail").is_ok());

    // Everything else is refused.
    for name in [
        "INBOX",
        "inbox",
        "mine",
        "~/mine",
        "~victim/file",
        "~root/x",
        "/etc/passwd",
        &site.path("sentinel/file").display().to_string(),
        "#shared/s",
        "#mhinbox",
        "#mh/x",
        "#public/../me/mine",
        "#ftp//etc",
        "#public/a/~victim",
        "#driver.unix/x",
    ] {
        assert!(anon.resolve(name).is_err(), "{name} resolved");
        assert!(anon.open(name, Access::ReadOnly).is_err(), "{name} opened");
    }

    // No change is allowed, even in #public/ (mode 0666).
    for e in [
        anon.create("#public/new").unwrap_err(),
        anon.delete("#public/x").unwrap_err(),
        anon.rename("#public/x", "#public/y").unwrap_err(),
        anon.append("#public/x", &mut std::iter::once(Ok(msg.clone())))
            .unwrap_err(),
        anon.subscribe("#public/x").unwrap_err(),
    ] {
        assert!(matches!(e, Error::AnonymousReadOnly), "{e}");
    }
    assert!(!site.path("pub/new").exists());

    // LIST shows the shared names only; NAMESPACE has no personal or other users'.
    let names = |pat: &str| -> Vec<String> {
        anon.list("", pat)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect()
    };
    assert!(names("*").is_empty(), "{:?}", names("*"));
    assert!(names("%").is_empty());
    assert!(names("INBOX").is_empty());
    assert!(names("#public/*").contains(&"#public/x".to_owned()));
    assert!(names("#shared/*").is_empty());
    assert!(names("~victim/*").is_empty());
    let ns = anon.namespaces();
    assert!(ns.personal.is_empty());
    assert!(ns.other_users.is_empty());
    let shared: Vec<String> = ns.shared.into_iter().map(|n| n.prefix).collect();
    assert_eq!(shared, ["#ftp/", "#news.", "#public/"]);
    assert_eq!(site.sentinel(), before);
}

#[test]
fn configured_namespace_directories_win_over_the_accounts() {
    let site = Site::new();
    fs::create_dir(site.path("export")).unwrap();
    let mut cfg = site.config(&[]);
    cfg.shared_namespaces = SharedNamespaces::Disabled;
    cfg.namespace_dirs.ftp = Some(site.path("export"));
    let s = Store::new(cfg);
    match s.resolve("#ftp/x").unwrap().target {
        Target::File(p) => assert_eq!(p, site.path("export/x")),
        t => panic!("{t:?}"),
    }
    assert!(s.resolve("#public/x").is_err());
    let shared: Vec<String> = s
        .namespaces()
        .shared
        .into_iter()
        .map(|n| n.prefix)
        .collect();
    assert_eq!(shared, ["#ftp/"]);
}
