//! Anonymous access (FAQ 4.1), mail administrators acting for users (`user*admin`,
//! panda-inventory.md §8.4) and login alerts, over IMAP. The accounts are a test
//! [`Authenticator`] over temporary directories: the store rules are the real ones; the
//! system side (becoming `nobody`, the `mailadm` group, `/etc/shadow`) is tested in
//! `pandad/tests/system_users.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;

use common::TestHomes;
use imapd::{ImapSession, SessionConfig};
use mailstore::config::UserKind;
use mailstore::{AppendMessage, Flags, Store, StoreConfig};
use server::auth::{Account, Alert, AlertLevel, Authenticator};
use server::config::Plaintext;
use server::log::Memory;
use server::session::{Session, Transport};

/// Users `me` (password `secret`) and `boss` (an administrator, password `boss-pw`), the
/// anonymous user, and alerts to give at the next login.
#[derive(Debug)]
struct Site {
    store: StoreConfig,
    alerts: Mutex<Vec<Alert>>,
}

impl Authenticator for Site {
    fn login(&self, user: &str, password: &[u8]) -> Option<Account> {
        match (user, password) {
            ("me", b"secret") => self.account_of("me"),
            ("boss", b"boss-pw") => self.account_of("boss"),
            _ => None,
        }
    }

    fn account_of(&self, user: &str) -> Option<Account> {
        matches!(user, "me" | "boss").then(|| Account {
            user: user.to_owned(),
            store: self.store.clone(),
        })
    }

    fn anonymous(&self) -> Option<Account> {
        let mut store = self.store.clone();
        store.user_kind = UserKind::Anonymous;
        Some(Account {
            user: "ANONYMOUS".into(),
            store,
        })
    }

    fn login_as_admin(&self, user: &str, admin: &str, password: &[u8]) -> Option<Account> {
        (admin == "boss" && password == b"boss-pw")
            .then(|| self.account_of(user))
            .flatten()
    }

    fn take_alerts(&self) -> Vec<Alert> {
        std::mem::take(&mut *self.alerts.lock().unwrap())
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    cfg: Arc<SessionConfig>,
    site: Arc<Site>,
    log: Arc<Memory>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let p = |s: &str| dir.path().join(s);
        for d in ["me", "ftp", "pub", "shared", "victim", "locks"] {
            std::fs::create_dir_all(p(d)).unwrap();
        }
        let mut homes = BTreeMap::new();
        homes.insert("ftp".to_owned(), p("ftp"));
        homes.insert("imappublic".to_owned(), p("pub"));
        homes.insert("imapshared".to_owned(), p("shared"));
        homes.insert("victim".to_owned(), p("victim"));
        let mut store = StoreConfig::new("me", p("me"));
        store.homes = Arc::new(TestHomes(homes));
        store.spool = p("spool-me");
        store.locks.tmp_dir = p("locks");
        store.state_dir = None;
        store.news_active = p("no-active-file");
        store.hostname = "test.example".into();
        // What the anonymous user could look at, were it allowed.
        let named = Store::new(store.clone());
        for name in ["#public/x", "#shared/s", "mine", "INBOX", "~victim/v"] {
            let msg = AppendMessage {
                data: b"Subject: hi\r\n\r\nbody\r\n".to_vec(),
                flags: Flags::EMPTY,
                keywords: Vec::new(),
                date: None,
            };
            if name != "INBOX" {
                named.create(name).unwrap();
            }
            named.append(name, &mut std::iter::once(Ok(msg))).unwrap();
        }
        let site = Arc::new(Site {
            store,
            alerts: Mutex::new(Vec::new()),
        });
        let log = Arc::new(Memory::default());
        let mut cfg = SessionConfig::new("test.example", site.clone(), log.clone());
        cfg.plaintext = Plaintext::Always;
        cfg.alert_file = None;
        cfg.nologin_file = None;
        cfg.anonymous_file = Some(p("anonymous.newsgroups"));
        cfg.failed_login_delay = Duration::ZERO;
        Fixture {
            dir,
            cfg: Arc::new(cfg),
            site,
            log,
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn allow_anonymous(&self) {
        std::fs::write(self.path("anonymous.newsgroups"), "").unwrap();
    }

    fn session(&self) -> ImapSession {
        let mut s = ImapSession::new(Arc::clone(&self.cfg), "[192.0.2.7]", Transport::Plain);
        s.greeting();
        s
    }
}

/// Sends `input`, runs every command, returns the output.
fn run(s: &mut ImapSession, input: &str) -> String {
    s.receive(input.as_bytes());
    let mut out = Vec::new();
    while let Some(r) = s.step() {
        out.extend_from_slice(&r.bytes);
    }
    String::from_utf8(out).unwrap()
}

/// Every file under `dir`, with its contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(p: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(p).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

#[test]
fn no_anonymous_file_no_anonymous_access() {
    let f = Fixture::new();
    let mut s = f.session();
    let caps = run(&mut s, "c CAPABILITY\r\n");
    assert!(!caps.contains("AUTH=ANONYMOUS"), "{caps}");
    let out = run(&mut s, "a LOGIN anonymous guest@example.org\r\n");
    assert!(
        out.ends_with("a NO [AUTHENTICATIONFAILED] Invalid login credentials\r\n"),
        "{out}"
    );
    let out = run(&mut s, "b AUTHENTICATE ANONYMOUS\r\n");
    assert!(out.starts_with("b NO [CANNOT] "), "{out}");
}

#[test]
fn anonymous_reads_public_and_nothing_else() {
    let f = Fixture::new();
    f.allow_anonymous();
    let before = snapshot(f.dir.path());
    let mut s = f.session();
    let caps = run(&mut s, "c CAPABILITY\r\n");
    assert!(caps.contains(" AUTH=ANONYMOUS"), "{caps}");
    let out = run(&mut s, "a LOGIN ANONYMOUS guest@example.org\r\n");
    assert!(out.contains("a OK [CAPABILITY "), "{out}");
    assert!(out.ends_with("] User ANONYMOUS authenticated\r\n"), "{out}");
    assert!(
        f.log
            .lines()
            .iter()
            .any(|l| l == "Login anonymous=guest@example.org host=[192.0.2.7]"),
        "{:?}",
        f.log.lines()
    );
    assert_eq!(
        run(&mut s, "n NAMESPACE\r\n"),
        "* NAMESPACE NIL NIL ((\"#ftp/\" \"/\")(\"#public/\" \"/\"))\r\nn OK NAMESPACE completed\r\n"
    );

    // #public/x can be read; SELECT acts as EXAMINE.
    let out = run(&mut s, "s SELECT #public/x\r\n");
    assert!(out.contains("* 1 EXISTS\r\n"), "{out}");
    assert!(
        out.ends_with("s OK [READ-ONLY] SELECT completed\r\n"),
        "{out}"
    );
    let out = run(&mut s, "f FETCH 1 BODY[TEXT]\r\n");
    assert!(out.contains("body"), "{out}");
    let out = run(&mut s, "t STORE 1 +FLAGS (\\Deleted)\r\n");
    assert!(
        out.ends_with("t NO [READ-ONLY] Mailbox is read-only\r\n"),
        "{out}"
    );

    // Nothing changes mailboxes: UW's imapd does not know these commands here.
    for cmd in [
        "APPEND #public/x {5+}\r\nhello",
        "CREATE #public/new",
        "DELETE #public/x",
        "RENAME #public/x #public/y",
        "SUBSCRIBE #public/x",
        "UNSUBSCRIBE #public/x",
        "COPY 1 #public/x",
        "MOVE 1 #public/x",
        "EXPUNGE",
        "UID EXPUNGE 1",
    ] {
        let out = run(&mut s, &format!("w {cmd}\r\n"));
        assert_eq!(out, "w BAD Command unrecognized\r\n", "{cmd}");
    }

    // Only #ftp/, #public/ and #news. exist for it.
    let victim = f.path("victim/v").display().to_string();
    for name in [
        "INBOX",
        "inbox",
        "mine",
        "~/mine",
        "~victim/v",
        "~root/.profile",
        "/etc/passwd",
        victim.as_str(),
        "#shared/s",
        "#mhinbox",
        "#public/../me/mine",
        "#ftp/../../etc",
        "#public//x",
        "#driver.unix/mine",
    ] {
        for cmd in ["SELECT", "EXAMINE", "STATUS"] {
            let args = if cmd == "STATUS" {
                format!("\"{name}\" (MESSAGES)")
            } else {
                format!("\"{name}\"")
            };
            let out = run(&mut s, &format!("x {cmd} {args}\r\n"));
            assert!(
                out.lines().last().unwrap().starts_with("x NO "),
                "{cmd} {name}: {out}"
            );
            assert!(!out.contains("EXISTS"), "{cmd} {name}: {out}");
        }
    }
    let out = run(&mut s, "l LIST \"\" *\r\n");
    assert_eq!(out, "l OK LIST completed\r\n");
    let out = run(&mut s, "l LIST \"\" #shared/*\r\n");
    assert_eq!(out, "l OK LIST completed\r\n");
    let out = run(&mut s, "l LIST \"\" #public/*\r\n");
    assert!(out.contains(" #public/x\r\n"), "{out}");
    run(&mut s, "z LOGOUT\r\n");
    assert_eq!(
        snapshot(f.dir.path()),
        before,
        "the anonymous session changed files"
    );
}

#[test]
fn authenticate_anonymous_with_and_without_initial_response() {
    let f = Fixture::new();
    f.allow_anonymous();
    let mut s = f.session();
    // "sirhc" is RFC 4505's example trace.
    let out = run(&mut s, "a AUTHENTICATE ANONYMOUS c2lyaGM=\r\n");
    assert!(out.ends_with("] User ANONYMOUS authenticated\r\n"), "{out}");
    assert!(
        f.log
            .lines()
            .iter()
            .any(|l| l == "Authenticated anonymous=sirhc host=[192.0.2.7]")
    );
    let mut s = f.session();
    assert_eq!(run(&mut s, "b AUTHENTICATE ANONYMOUS\r\n"), "+ \r\n");
    let out = run(&mut s, "c2lyaGM=\r\n");
    assert!(out.starts_with("b OK [CAPABILITY "), "{out}");
    let out = run(&mut s, "c CREATE foo\r\n");
    assert_eq!(out, "c BAD Command unrecognized\r\n");
}

#[test]
fn an_administrator_logs_in_as_a_user() {
    let f = Fixture::new();
    let mut s = f.session();
    let out = run(&mut s, "a LOGIN \"me*boss\" boss-pw\r\n");
    assert!(out.ends_with("] User me authenticated\r\n"), "{out}");
    let mut s = f.session();
    let out = run(&mut s, "a LOGIN \"me*boss\" secret\r\n");
    assert!(
        out.ends_with("a NO [AUTHENTICATIONFAILED] Invalid login credentials\r\n"),
        "{out}"
    );
    let out = run(&mut s, "b LOGIN \"me*me\" secret\r\n");
    assert!(out.starts_with("b NO "), "{out}");
    // SASL PLAIN: authorization identity "me", authentication identity "boss".
    let mut s = f.session();
    let out = run(&mut s, "c AUTHENTICATE PLAIN bWUAYm9zcwBib3NzLXB3\r\n");
    assert!(out.ends_with("] User me authenticated\r\n"), "{out}");
    let mut s = f.session();
    // "boss\0me\0secret": me is no administrator.
    let out = run(&mut s, "d AUTHENTICATE PLAIN Ym9zcwBtZQBzZWNyZXQ=\r\n");
    assert!(out.starts_with("d NO [AUTHENTICATIONFAILED] "), "{out}");
}

#[test]
fn expiry_alerts_come_before_the_tagged_ok() {
    let f = Fixture::new();
    *f.site.alerts.lock().unwrap() = vec![
        Alert {
            level: AlertLevel::Notice,
            text: "Password expires in 3 day(s)".into(),
        },
        Alert {
            level: AlertLevel::Warning,
            text: "Account expires today!".into(),
        },
    ];
    let mut s = f.session();
    let out = run(&mut s, "a LOGIN me secret\r\n");
    assert!(
        out.starts_with(
            "* OK [ALERT] Password expires in 3 day(s)\r\n* NO [ALERT] Account expires today!\r\na OK ["
        ),
        "{out}"
    );
}
