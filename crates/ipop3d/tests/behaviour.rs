//! POP3 behaviour beyond transcripts: QUIT alone changes the mailbox, plaintext policy,
//! APOP, STLS injection, autologout, the kiss of death honoured only when idle.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{fixture, fixture_with};
use ipop3d::Pop3Session;
use ipop3d::config::TlsOffer;
use mailstore::{Access, Flags};
use server::auth::CramSecrets;
use server::config::Plaintext;
use server::session::{Hangup, Session, Then, Transport};

fn run(s: &mut Pop3Session, input: &str) -> (String, Then) {
    s.receive(input.as_bytes());
    let mut out = String::new();
    let mut then = Then::Continue;
    while let Some(r) = s.step() {
        out.push_str(&String::from_utf8_lossy(&r.bytes));
        then = r.then;
        if then != Then::Continue {
            break;
        }
    }
    (out, then)
}

fn session(f: &common::Fixture) -> Pop3Session {
    let mut s = Pop3Session::new(Arc::clone(&f.cfg), "[192.0.2.9]", Transport::Plain);
    s.greeting();
    s
}

/// The flags of the INBOX's messages, read afresh.
fn inbox(f: &common::Fixture) -> Vec<Flags> {
    let mb = f.store.open("INBOX", Access::ReadOnly).unwrap();
    let v = mb
        .messages()
        .iter()
        .map(|m| m.flags.minus(Flags::RECENT))
        .collect();
    mb.close(mailstore::mailbox::Close::Keep).unwrap();
    v
}

#[test]
fn a_dropped_connection_changes_nothing() {
    let f = fixture();
    let before = inbox(&f);
    let mut s = session(&f);
    run(&mut s, "USER mrc\r\nPASS secret\r\nRETR 2\r\nDELE 1\r\n");
    s.hangup(Hangup::EndOfFile);
    assert_eq!(inbox(&f), before);
    assert!(
        f.log
            .lines()
            .iter()
            .any(|l| l == "Command stream end of file user=mrc host=[192.0.2.9]")
    );
}

#[test]
fn quit_marks_retrieved_seen_and_expunges_deleted() {
    let f = fixture();
    let mut s = session(&f);
    let (out, _) = run(
        &mut s,
        "USER mrc\r\nPASS secret\r\nRETR 2\r\nTOP 3 0\r\nDELE 1\r\n",
    );
    assert!(out.contains("+OK Message 1 deleted"), "{out}");
    let (out, then) = run(&mut s, "QUIT\r\n");
    assert_eq!((out.as_str(), then), ("+OK Sayonara\r\n", Then::Close));
    // 1 deleted by DELE, 3 flagged \Deleted before: both gone. 2 RETRieved: seen. 4 was
    // only TOPped: not seen.
    assert_eq!(inbox(&f), vec![Flags::SEEN, Flags::EMPTY]);
    assert!(
        f.log
            .lines()
            .iter()
            .any(|l| l == "Logout user=mrc host=[192.0.2.9] nmsgs=3 ndele=1")
    );
}

#[test]
fn autologout_leaves_the_mailbox_alone() {
    let f = fixture();
    let before = inbox(&f);
    let mut s = session(&f);
    assert!(s.timeout() <= Duration::from_secs(180));
    run(&mut s, "USER mrc\r\nPASS secret\r\nDELE 1\r\n");
    assert!(s.timeout() > Duration::from_secs(590));
    let r = s.timed_out();
    assert_eq!(r.bytes, b"-ERR Autologout; idle for too long\r\n");
    assert_eq!(r.then, Then::Close);
    assert_eq!(inbox(&f), before);
}

#[test]
fn plaintext_policy_and_stls() {
    let f = fixture_with(|c, _| {
        c.plaintext = Plaintext::TlsOnly;
        c.tls = TlsOffer::Available;
    });
    let mut s = session(&f);
    let (out, _) = run(&mut s, "CAPA\r\n");
    assert!(
        out.contains("STLS\r\n") && !out.contains("USER\r\n"),
        "{out}"
    );
    let (out, _) = run(&mut s, "USER mrc\r\n");
    assert_eq!(out, "-ERR Unknown AUTHORIZATION state command\r\n");
    let (out, _) = run(&mut s, "AUTH PLAIN AG1yYwBzZWNyZXQ=\r\n");
    assert!(out.starts_with("-ERR Plaintext"), "{out}");
    let (out, then) = run(&mut s, "STLS\r\nUSER mrc\r\n");
    assert_eq!(
        (out.as_str(), then),
        ("+OK STLS completed\r\n", Then::StartTls)
    );
    s.tls_started();
    assert!(s.step().is_none(), "plain text after STLS is dropped");
    let (out, _) = run(&mut s, "CAPA\r\n");
    assert!(
        !out.contains("STLS") && out.contains("USER\r\n") && out.contains("SASL PLAIN LOGIN"),
        "{out}"
    );
    let (out, _) = run(&mut s, "USER mrc\r\nPASS secret\r\n");
    assert!(out.ends_with("+OK Mailbox open, 3 messages\r\n"), "{out}");
}

#[test]
fn apop_with_the_secrets_file() {
    let f = fixture_with(|c, dir| {
        let secrets = dir.join("cram-md5.pwd");
        std::fs::write(&secrets, "mrc\ttanstaaf\n").unwrap();
        c.cram = Some(Arc::new(CramSecrets::new(&secrets)));
    });
    let mut s = Pop3Session::new(Arc::clone(&f.cfg), "[192.0.2.9]", Transport::Plain);
    let greeting = String::from_utf8(s.greeting().bytes).unwrap();
    // The challenge is there, and the host name is not.
    assert!(
        greeting.starts_with("+OK POP3 0.1.0 server ready <"),
        "{greeting}"
    );
    let challenge = greeting.trim_end().rsplit(' ').next().unwrap().to_owned();
    use md5::Digest;
    let mut h = md5::Md5::new();
    h.update(challenge.as_bytes());
    h.update(b"tanstaaf");
    let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let (out, _) = run(&mut s, "APOP mrc 00000000000000000000000000000000\r\n");
    assert_eq!(out, "-ERR Bad login\r\n");
    let (out, _) = run(&mut s, &format!("APOP mrc {digest}\r\n"));
    assert_eq!(out, "+OK Mailbox open, 3 messages\r\n");
}

#[test]
fn the_kiss_of_death_is_honoured_only_when_idle() {
    // Idle long enough at once: the session gives the mailbox up when asked.
    let f = fixture_with(|c, _| c.kod_after = Duration::ZERO);
    let mut s = session(&f);
    run(&mut s, "USER mrc\r\nPASS secret\r\nDELE 1\r\n");
    assert!(!s.tick_due());
    let store = f.store.clone();
    let other = std::thread::spawn(move || {
        let mb = store.open("INBOX", Access::ReadWrite).unwrap();
        let access = mb.access();
        mb.close(mailstore::mailbox::Close::Keep).unwrap();
        access
    });
    let mut said = String::new();
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(50));
        if s.tick_due()
            && let Some(r) = s.tick()
        {
            said = String::from_utf8_lossy(&r.bytes).into_owned();
            break;
        }
    }
    assert_eq!(said, "-ERR Received Kiss of Death\r\n");
    assert_eq!(other.join().unwrap(), Access::ReadWrite);
    // The DELE was not applied.
    assert_eq!(inbox(&f).len(), 4);
}

#[test]
fn a_busy_session_keeps_its_mailbox() {
    use std::os::unix::fs::MetadataExt;
    let f = fixture_with(|c, _| c.kod_after = Duration::from_secs(3600));
    let mut s = session(&f);
    run(&mut s, "USER mrc\r\nPASS secret\r\n");
    let meta = std::fs::metadata(f.dir.path().join("mail/mrc/INBOX")).unwrap();
    assert!(mailstore::lock::kod::ask_in_process((
        meta.dev(),
        meta.ino()
    )));
    assert!(!s.tick_due(), "asked, but not idle for five minutes");
    assert!(s.tick().is_none());
    let (out, _) = run(&mut s, "STAT\r\n");
    assert!(out.starts_with("+OK 3 "), "{out}");
}

#[test]
fn auth_cram_md5_from_the_secrets_file() {
    use hmac_free::hmac_md5_hex;
    let f = fixture_with(|c, dir| {
        let secrets = dir.join("cram-md5.pwd");
        std::fs::write(&secrets, "mrc\ttanstaaf\n").unwrap();
        c.cram = Some(Arc::new(CramSecrets::new(&secrets)));
        c.plaintext = Plaintext::Never;
    });
    let mut s = session(&f);
    let (out, _) = run(&mut s, "CAPA\r\n");
    assert!(
        out.contains("SASL CRAM-MD5\r\n") && !out.contains("USER\r\n"),
        "{out}"
    );
    let (out, _) = run(&mut s, "AUTH CRAM-MD5\r\n");
    let challenge = rfc822::decode::base64(out.trim_start_matches("+ ").trim_end().as_bytes());
    let answer = rfc822::decode::base64_encode(
        format!("mrc {}", hmac_md5_hex(b"tanstaaf", &challenge)).as_bytes(),
    );
    let (out, _) = run(&mut s, &format!("{answer}\r\n"));
    assert_eq!(out, "+OK Mailbox open, 3 messages\r\n");
}

/// HMAC-MD5 (RFC 2104) from MD5 alone, as the test's own check of the server's.
mod hmac_free {
    use md5::Digest;

    pub fn hmac_md5_hex(key: &[u8], msg: &[u8]) -> String {
        let mut k = [0u8; 64];
        k[..key.len()].copy_from_slice(key);
        let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
        let mut inner = md5::Md5::new();
        inner.update(pad(0x36));
        inner.update(msg);
        let mut outer = md5::Md5::new();
        outer.update(pad(0x5c));
        outer.update(inner.finalize());
        outer
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
