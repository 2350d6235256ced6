//! The `client` crate against our own quick-start daemon: IMAP over plain TCP with
//! STARTTLS, IMAPS, POP3 with STLS and POP3S, through `{host:port/switches}` names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use client::{
    Access, ClientError, ClientOptions, FixedPrompt, Link, RemoteName, Session, StoreMode,
};
use testkit::QuickStart;

mod common;

/// The quick start, with the client's sessions on it.
struct Daemon(QuickStart);

impl std::ops::Deref for Daemon {
    type Target = QuickStart;

    fn deref(&self) -> &QuickStart {
        &self.0
    }
}

impl Daemon {
    fn start() -> Daemon {
        Daemon(common::quick_start())
    }

    fn session(&self, name: &str) -> Result<Session, ClientError> {
        let name = RemoteName::parse(name).unwrap();
        let options = ClientOptions {
            timeout: Some(Duration::from_secs(60)),
            ..ClientOptions::default()
        };
        Session::connect(
            &name,
            &options,
            &mut FixedPrompt::new("demo", &self.password),
        )
    }
}

const MESSAGE: &[u8] = b"From: a@example.org\r\nTo: demo@example.org\r\nSubject: remote\r\n\r\nline one\r\n.line with a dot\r\n";

/// The same round trip on any IMAP link.
fn imap_round_trip(s: &mut Session) {
    s.create("remote-test").unwrap();
    s.append(
        "remote-test",
        &["\\Flagged".to_owned()],
        Some("17-Jul-1996 02:44:25 -0700"),
        MESSAGE,
    )
    .unwrap();
    let st = s.status("remote-test").unwrap();
    assert_eq!(st.messages, 1);
    assert!(st.uid_validity != 0 && st.uid_next != 0);
    let names: Vec<String> = s
        .list("", "*")
        .unwrap()
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert!(names.iter().any(|n| n == "remote-test"), "{names:?}");
    let sel = s.select("remote-test", Access::ReadWrite).unwrap();
    assert_eq!(sel.exists, 1);
    assert_eq!(sel.read_only, Access::ReadWrite);
    let meta = s.fetch_meta("1:*").unwrap();
    assert_eq!(meta.len(), 1);
    assert!(
        meta[0].flags.contains(&"\\Flagged".to_owned()),
        "{:?}",
        meta[0]
    );
    assert_eq!(meta[0].internal_date, "17-Jul-1996 02:44:25 -0700");
    assert_eq!(meta[0].size, MESSAGE.len() as u64);
    assert_eq!(s.fetch_message(1).unwrap(), MESSAGE);
    assert_eq!(s.search("SUBJECT remote").unwrap(), vec![1]);
    assert_eq!(
        s.search("SUBJECT nothing-like-it").unwrap(),
        Vec::<u32>::new()
    );
    s.store_flags("1", StoreMode::Add, &["\\Deleted".to_owned()])
        .unwrap();
    s.expunge().unwrap();
    assert_eq!(s.fetch_meta("1:*").unwrap_or_default().len(), 0);
    s.close().unwrap();
    s.rename("remote-test", "remote-renamed").unwrap();
    let e = s.select("remote-test", Access::ReadOnly).unwrap_err();
    assert!(matches!(e, ClientError::Server(_)), "{e:?}");
    s.delete("remote-renamed").unwrap();
}

#[test]
fn imap_with_starttls_and_imaps() {
    let d = Daemon::start();
    let mut s = d
        .session(&format!(
            "{{127.0.0.1:{}/imap/novalidate-cert/user=demo}}",
            d.imap
        ))
        .unwrap();
    assert_eq!(s.link(), Link::Encrypted, "STARTTLS is done when offered");
    imap_round_trip(&mut s);
    s.logout().unwrap();

    let mut s = d
        .session(&format!(
            "{{127.0.0.1:{}/imap/ssl/novalidate-cert/user=demo}}",
            d.imaps
        ))
        .unwrap();
    assert_eq!(s.link(), Link::Encrypted);
    imap_round_trip(&mut s);
    s.logout().unwrap();

    // /tls on a server offering STARTTLS works; /notls stays in the clear (the quick start
    // takes plaintext passwords on loopback), and /secure then refuses to send one.
    let s = d
        .session(&format!(
            "{{127.0.0.1:{}/tls/novalidate-cert/user=demo}}",
            d.imap
        ))
        .unwrap();
    assert_eq!(s.link(), Link::Encrypted);
    s.logout().unwrap();
    let s = d
        .session(&format!("{{127.0.0.1:{}/notls/user=demo}}", d.imap))
        .unwrap();
    assert_eq!(s.link(), Link::Plain);
    s.logout().unwrap();
    let e = d
        .session(&format!("{{127.0.0.1:{}/notls/secure/user=demo}}", d.imap))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Can't do secure authentication with this server"
    );
}

#[test]
fn imap_wrong_password_three_times() {
    let d = Daemon::start();
    let name = RemoteName::parse(&format!(
        "{{127.0.0.1:{}/ssl/novalidate-cert/user=demo}}",
        d.imaps
    ))
    .unwrap();
    let mut prompt = FixedPrompt::new("demo", "not the password");
    let e = Session::connect(&name, &ClientOptions::default(), &mut prompt).unwrap_err();
    assert_eq!(e.to_string(), "Too many login failures");
    // Three tries of the strongest mechanism, each told; then, as c-client, the next
    // advertised one (which the server, after three failures, refuses outright).
    let failed = "[AUTHENTICATIONFAILED] Invalid authentication credentials";
    assert_eq!(prompt.notices[..3], [failed; 3], "{:?}", prompt.notices);
    assert_eq!(
        prompt.notices[3..],
        [format!(
            "Retrying using LOGIN authentication after {failed}"
        )],
        "{:?}",
        prompt.notices
    );
}

#[test]
fn imap_self_signed_quick_start_certificate_is_refused_without_novalidate_cert() {
    let d = Daemon::start();
    let e = d
        .session(&format!("{{localhost:{}/ssl/user=demo}}", d.imaps))
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Certificate failure for localhost: self-signed certificate: /CN="),
        "{e}"
    );
}

#[test]
fn pop3_with_stls_and_pop3s() {
    let d = Daemon::start();
    for name in [
        format!("{{127.0.0.1:{}/pop3/novalidate-cert/user=demo}}", d.pop3),
        format!(
            "{{127.0.0.1:{}/pop3/ssl/novalidate-cert/user=demo}}",
            d.pop3s
        ),
    ] {
        let mut s = d.session(&name).unwrap();
        assert_eq!(s.link(), Link::Encrypted);
        let sel = s.select("INBOX", Access::ReadWrite).unwrap();
        assert!(sel.exists >= 1, "the quick start seeds the INBOX");
        let meta = s.fetch_meta("1:*").unwrap();
        assert_eq!(meta.len() as u32, sel.exists);
        let text = s.fetch_message(1).unwrap();
        assert_eq!(text.len() as u64, meta[0].size);
        assert!(matches!(
            s.create("x"),
            Err(ClientError::Unsupported {
                service: "POP3",
                ..
            })
        ));
        assert_eq!(s.list("", "*").unwrap().len(), 1);
        s.logout().unwrap();
    }
}

#[test]
fn pop3_delete_happens_at_quit() {
    let d = Daemon::start();
    let name = format!(
        "{{127.0.0.1:{}/pop3/ssl/novalidate-cert/user=demo}}",
        d.pop3s
    );
    let mut s = d.session(&name).unwrap();
    let before = s.select("INBOX", Access::ReadWrite).unwrap().exists;
    s.store_flags("1", StoreMode::Add, &["\\Deleted".to_owned()])
        .unwrap();
    s.expunge().unwrap();
    s.logout().unwrap();
    let mut s = d.session(&name).unwrap();
    assert_eq!(
        s.select("INBOX", Access::ReadWrite).unwrap().exists,
        before - 1
    );
    s.logout().unwrap();
}
