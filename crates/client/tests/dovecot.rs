//! The IMAP client against Dovecot: Debian's `/usr/lib/dovecot/imap` run inetd-style on a
//! loopback connection the test accepts, pre-authenticated as `nobody` on a maildir in a
//! temporary directory (no Dovecot daemon, no accounts, no names to resolve).
//!
//! Needs root (to run Dovecot as `nobody`) and Dovecot; in CI (`CI=true`) their absence
//! fails the test, elsewhere it says it skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use client::{Access, ClientError, ClientOptions, FixedPrompt, RemoteName, Session, StoreMode};

const DOVECOT_IMAP: &str = "/usr/lib/dovecot/imap";

fn available(test: &str) -> bool {
    let ok = Path::new(DOVECOT_IMAP).exists() && nix::unistd::geteuid().is_root();
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: needs root and Dovecot's imap ({DOVECOT_IMAP})"
        );
        eprintln!("{test}: skipped: needs root and Dovecot's imap ({DOVECOT_IMAP})");
    }
    ok
}

/// Serves one connection with Dovecot's imap on `home`/Maildir; returns the port.
fn dovecot(home: &Path) -> u16 {
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(home.join("Maildir")).unwrap();
    for d in ["", "Maildir"] {
        nix::unistd::chown(&home.join(d), Some(nobody.uid), Some(nobody.gid)).unwrap();
    }
    let conf = home.join("dovecot.conf");
    std::fs::write(
        &conf,
        format!(
            "base_dir = {h}/run\nstate_dir = {h}/state\nlog_path = /dev/stderr\nssl = no\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n",
            h = home.display()
        ),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let home = home.to_owned();
    std::thread::spawn(move || {
        let Ok((sock, _)) = listener.accept() else {
            return;
        };
        let out = sock.try_clone().unwrap();
        let mut child = Command::new("runuser")
            .args(["-u", "nobody", "--", "env", "USER=nobody", "TZ=UTC"])
            .arg(format!("HOME={}", home.display()))
            .arg(DOVECOT_IMAP)
            .arg("-c")
            .arg(&conf)
            .arg("-o")
            .arg(format!("mail_location=maildir:{}/Maildir", home.display()))
            .stdin(Stdio::from(std::os::fd::OwnedFd::from(sock)))
            .stdout(Stdio::from(std::os::fd::OwnedFd::from(out)))
            .spawn()
            .unwrap();
        let _ = child.wait();
    });
    port
}

const MESSAGE: &[u8] =
    b"From: a@example.org\r\nTo: b@example.org\r\nSubject: to dovecot\r\n\r\nbody\r\n";

#[test]
fn dovecot_round_trip() {
    if !available("dovecot_round_trip") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let port = dovecot(home.path());
    let name = RemoteName::parse(&format!("{{127.0.0.1:{port}/imap/notls}}")).unwrap();
    let mut prompt = FixedPrompt::new("unused", "unused");
    let mut s = Session::connect(&name, &ClientOptions::default(), &mut prompt).unwrap();
    assert!(
        s.capabilities()
            .iter()
            .any(|c| c.eq_ignore_ascii_case("IMAP4rev1"))
    );

    s.create("Work").unwrap();
    s.create("Work/Old").unwrap();
    let list = s.list("", "*").unwrap();
    let names: Vec<&str> = list.iter().map(|l| l.name.as_str()).collect();
    assert!(
        names.contains(&"INBOX") && names.contains(&"Work/Old"),
        "{names:?}"
    );
    assert!(list.iter().all(|l| l.delimiter.is_some()));

    s.append(
        "Work",
        &["\\Seen".into(), "$Label1".into()],
        Some("01-Feb-2020 10:11:12 +0100"),
        MESSAGE,
    )
    .unwrap();
    s.append("Work", &[], None, b"Subject: two\r\n\r\nsecond\r\n")
        .unwrap();
    let st = s.status("Work").unwrap();
    assert_eq!(st.messages, 2);
    assert_eq!(st.unseen, 1);
    assert!(st.uid_validity != 0);

    let sel = s.select("Work", Access::ReadWrite).unwrap();
    assert_eq!(sel.exists, 2);
    assert_eq!(sel.uid_validity, st.uid_validity);
    assert!(sel.permanent_flags.iter().any(|f| f == "\\Deleted"));
    let meta = s.fetch_meta("1:*").unwrap();
    assert_eq!(meta.len(), 2);
    assert!(
        meta[0].flags.contains(&"\\Seen".to_owned())
            && meta[0].flags.contains(&"$Label1".to_owned())
    );
    // Dovecot keeps the instant and shows it in its zone (UTC here).
    assert_eq!(meta[0].internal_date, "01-Feb-2020 09:11:12 +0000");
    assert_eq!(meta[0].size, MESSAGE.len() as u64);
    assert!(meta[1].uid > meta[0].uid);
    assert_eq!(s.fetch_message(1).unwrap(), MESSAGE);
    assert_eq!(s.search("UNSEEN").unwrap(), vec![2]);

    s.store_flags("2", StoreMode::Add, &["\\Deleted".into()])
        .unwrap();
    s.store_flags("1", StoreMode::Replace, &["\\Answered".into()])
        .unwrap();
    s.expunge().unwrap();
    let meta = s.fetch_meta("1:*").unwrap();
    assert_eq!(meta.len(), 1);
    let kept: Vec<&String> = meta[0].flags.iter().filter(|f| *f != "\\Recent").collect();
    assert_eq!(kept, vec!["\\Answered"]);

    let ro = s.select("Work", Access::ReadOnly).unwrap();
    assert_eq!(ro.read_only, Access::ReadOnly);
    s.close().unwrap();

    s.rename("Work/Old", "Archive").unwrap();
    assert!(matches!(
        s.select("Work/Old", Access::ReadOnly),
        Err(ClientError::Server(_))
    ));
    s.delete("Archive").unwrap();
    s.delete("Work").unwrap();
    let names: Vec<String> = s
        .list("", "*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, vec!["INBOX".to_owned()]);
    s.logout().unwrap();
}
