//! Session behaviour that transcripts cannot show: timers, alert files, TLS policy,
//! STARTTLS injection, CRAM-MD5, login limits, what logs contain, changes made by other
//! sessions, NUL bytes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{fixture, fixture_with};
use hmac::{Hmac, KeyInit, Mac};
use imapd::ImapSession;
use imapd::config::StartTls;
use server::auth::CramSecrets;
use server::config::Plaintext;
use server::session::{Reply, Session, Then, Transport};

/// Sends `input`, runs every command, returns the output and the last reply's effect.
fn run(s: &mut ImapSession, input: &str) -> (String, Then, Option<Duration>) {
    s.receive(input.as_bytes());
    let mut out = String::new();
    let mut then = Then::Continue;
    let mut delay = None;
    while let Some(Reply {
        bytes,
        then: t,
        delay: d,
    }) = s.step()
    {
        out.push_str(&String::from_utf8_lossy(&bytes));
        then = t;
        delay = delay.or(d);
        if t != Then::Continue {
            break;
        }
    }
    (out, then, delay)
}

fn session(f: &common::Fixture, transport: Transport) -> ImapSession {
    let mut s = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", transport);
    s.greeting();
    s
}

#[test]
fn autologout_before_and_after_login() {
    let f = fixture_with(|c| {
        c.timeouts.login = Duration::from_secs(180);
        c.timeouts.idle = Duration::from_secs(1800);
    });
    let mut s = session(&f, Transport::Plain);
    assert!(s.timeout() <= Duration::from_secs(180));
    assert!(s.timeout() > Duration::from_secs(170));
    run(&mut s, "a LOGIN mrc secret\r\n");
    assert!(s.timeout() > Duration::from_secs(1790));
    let r = s.timed_out();
    assert_eq!(r.bytes, b"* BYE Autologout; idle for too long\r\n");
    assert_eq!(r.then, Then::Close);
    assert!(
        f.log
            .lines()
            .iter()
            .any(|l| l == "Autologout user=mrc host=[192.0.2.7]")
    );
    assert!(s.step().is_none(), "nothing is read after the autologout");
}

#[test]
fn alert_files_are_shown_at_greeting_and_login() {
    let dir = tempfile::tempdir().unwrap();
    let alert = dir.path().join("imapd.alert");
    std::fs::write(&alert, "Maintenance at 18:00\r\nSecond line\0\n").unwrap();
    let f = fixture_with(|c| c.alert_file = Some(alert.clone()));
    let mut s = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", Transport::Plain);
    let g = String::from_utf8(s.greeting().bytes).unwrap();
    assert!(
        g.ends_with("* OK [ALERT] Maintenance at 18:00\r\n* OK [ALERT] Second line\r\n"),
        "{g}"
    );
    // The user's own alert, right after login; the system alert is not repeated.
    std::fs::write(
        f.dir.path().join("mail/mrc/.imapalert"),
        "Your quota is nearly full\n",
    )
    .unwrap();
    let (out, _, _) = run(&mut s, "a LOGIN mrc secret\r\n");
    assert!(
        out.ends_with(" User mrc authenticated\r\n* OK [ALERT] Your quota is nearly full\r\n"),
        "{out}"
    );
    let (out, _, _) = run(&mut s, "b NOOP\r\n");
    assert_eq!(out, "b OK NOOP completed\r\n");
}

#[test]
fn nologin_refuses_service() {
    let dir = tempfile::tempdir().unwrap();
    let nologin = dir.path().join("nologin");
    std::fs::write(&nologin, "").unwrap();
    let f = fixture_with(|c| c.nologin_file = Some(nologin.clone()));
    let mut s = ImapSession::new(Arc::clone(&f.cfg), "[192.0.2.7]", Transport::Plain);
    let g = s.greeting();
    assert_eq!(g.bytes, b"* BYE Service not available\r\n");
    assert_eq!(g.then, Then::Close);
}

#[test]
fn starttls_drops_plaintext_sent_after_it() {
    let f = fixture_with(|c| {
        c.starttls = StartTls::Available;
        c.plaintext = Plaintext::TlsOnly;
    });
    let mut s = session(&f, Transport::Plain);
    let (out, then, _) = run(&mut s, "a STARTTLS\r\nb LOGIN mrc secret\r\n");
    assert_eq!(out, "a OK Begin TLS negotiation now\r\n");
    assert_eq!(then, Then::StartTls);
    s.tls_started();
    // The LOGIN that came in plain text with STARTTLS is gone.
    assert!(s.step().is_none());
    let (out, _, _) = run(&mut s, "c CAPABILITY\r\n");
    assert!(out.contains("AUTH=PLAIN AUTH=LOGIN"), "{out}");
    assert!(
        !out.contains("STARTTLS") && !out.contains("LOGINDISABLED"),
        "{out}"
    );
    let (out, _, _) = run(&mut s, "d STARTTLS\r\n");
    assert_eq!(out, "d BAD Already in TLS\r\n");
}

#[test]
fn plaintext_policy() {
    // tls-only: LOGINDISABLED and no AUTH=PLAIN in plain text; LOGIN refused.
    let f = fixture_with(|c| {
        c.starttls = StartTls::Available;
        c.plaintext = Plaintext::TlsOnly;
    });
    let mut s = session(&f, Transport::Plain);
    let (out, _, _) = run(&mut s, "a CAPABILITY\r\n");
    assert!(out.contains(" STARTTLS LOGINDISABLED\r\n"), "{out}");
    assert!(!out.contains("AUTH=PLAIN"), "{out}");
    let (out, _, _) = run(&mut s, "b LOGIN mrc secret\r\n");
    assert!(out.starts_with("b NO [PRIVACYREQUIRED]"), "{out}");
    let (out, _, _) = run(&mut s, "c AUTHENTICATE PLAIN AG1yYwBzZWNyZXQ=\r\n");
    assert!(out.starts_with("c NO [PRIVACYREQUIRED]"), "{out}");
    // never: not even over TLS.
    let f = fixture_with(|c| c.plaintext = Plaintext::Never);
    let mut s = session(&f, Transport::Tls);
    let (out, _, _) = run(&mut s, "a CAPABILITY\r\n");
    assert!(
        out.contains("LOGINDISABLED") && !out.contains("AUTH=PLAIN"),
        "{out}"
    );
    let (out, _, _) = run(&mut s, "b LOGIN mrc secret\r\n");
    assert!(out.starts_with("b NO"), "{out}");
    // always: LOGIN works in plain text, PLAIN stays hidden until TLS but works.
    let f = fixture_with(|c| c.plaintext = Plaintext::Always);
    let mut s = session(&f, Transport::Plain);
    let (out, _, _) = run(&mut s, "a CAPABILITY\r\n");
    assert!(
        !out.contains("LOGINDISABLED") && !out.contains("AUTH=PLAIN"),
        "{out}"
    );
    let (out, _, _) = run(&mut s, "b AUTHENTICATE PLAIN AG1yYwBzZWNyZXQ=\r\n");
    assert!(out.starts_with("b OK"), "{out}");
}

#[test]
fn cram_md5_from_the_secrets_file() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("cram-md5.pwd");
    std::fs::write(&secrets, "mrc\tsharedsecret\n").unwrap();
    let f = fixture_with(|c| {
        c.plaintext = Plaintext::Never;
        c.cram = Some(Arc::new(CramSecrets::new(&secrets)));
    });
    let mut s = session(&f, Transport::Plain);
    let (out, _, _) = run(&mut s, "a CAPABILITY\r\n");
    assert!(out.contains("AUTH=CRAM-MD5"), "{out}");
    let (out, _, _) = run(&mut s, "b AUTHENTICATE CRAM-MD5\r\n");
    let challenge = rfc822::decode::base64(out.trim_start_matches("+ ").trim_end().as_bytes());
    assert!(challenge.starts_with(b"<") && challenge.ends_with(b"@test.example>"));
    let mut mac = <Hmac<md5::Md5> as KeyInit>::new_from_slice(b"sharedsecret").unwrap();
    mac.update(&challenge);
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let answer = rfc822::decode::base64_encode(format!("mrc {digest}").as_bytes());
    let (out, _, _) = run(&mut s, &format!("{answer}\r\n"));
    assert!(out.starts_with("b OK [CAPABILITY"), "{out}");
    assert!(
        f.log
            .lines()
            .iter()
            .any(|l| l == "Authenticated user=mrc host=[192.0.2.7] mech=CRAM-MD5")
    );
}

#[test]
fn failed_logins_wait_and_are_limited() {
    let f = fixture_with(|c| c.failed_login_delay = Duration::from_millis(1500));
    let mut s = session(&f, Transport::Plain);
    for i in 0..3 {
        let (out, _, delay) = run(&mut s, &format!("a{i} LOGIN mrc hunter{i}\r\n"));
        assert!(out.contains("NO [AUTHENTICATIONFAILED]"), "{out}");
        assert_eq!(delay, Some(Duration::from_millis(1500)));
    }
    let (out, _, _) = run(&mut s, "b LOGIN mrc secret\r\n");
    assert_eq!(out, "b NO Too many login failures\r\n");
    let long = "x".repeat(70);
    let f = fixture();
    let mut s = session(&f, Transport::Plain);
    let (out, _, _) = run(&mut s, &format!("c LOGIN {long} pw\r\n"));
    assert!(out.starts_with("c NO"), "{out}");
    let (out, _, _) = run(&mut s, "d LOGIN mrc secret\r\n");
    assert_eq!(out, "d NO Too many login failures\r\n");
    assert!(
        f.log
            .lines()
            .iter()
            .any(|l| l.starts_with("SYSTEM BREAK-IN ATTEMPT"))
    );
}

#[test]
fn secrets_never_reach_the_log() {
    let f = fixture();
    let mut s = session(&f, Transport::Plain);
    run(&mut s, "a LOGIN mrc hunter2\r\n");
    run(&mut s, "b AUTHENTICATE PLAIN AG1yYwBodW50ZXIz\r\n");
    run(&mut s, "c LOGIN mrc secret\r\n");
    run(&mut s, "d LOGOUT\r\n");
    let lines = f.log.lines();
    assert!(
        lines.iter().any(|l| l == "Login user=mrc host=[192.0.2.7]"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "Logout user=mrc host=[192.0.2.7]"),
        "{lines:?}"
    );
    for l in &lines {
        for secret in ["hunter2", "hunter3", "secret", "AG1yYwBodW50ZXIz"] {
            assert!(!l.contains(secret), "{l}");
        }
    }
}

#[test]
fn long_line_before_login_closes() {
    let f = fixture();
    let mut s = session(&f, Transport::Plain);
    let (out, then, _) = run(&mut s, &format!("a {}\r\n", "x".repeat(70_000)));
    assert_eq!(out, "* BYE Command line too long\r\n");
    assert_eq!(then, Then::Close);
}

#[test]
fn other_sessions_changes_wait_for_noop() {
    let f = fixture();
    let mut a = session(&f, Transport::Plain);
    run(&mut a, "a LOGIN mrc secret\r\na SELECT INBOX\r\n");
    let mut b = session(&f, Transport::Plain);
    run(&mut b, "b LOGIN mrc secret\r\n");
    let (out, _, _) = run(&mut b, "b APPEND INBOX {17+}\r\nSubject: new\r\n\r\nx\r\n");
    assert!(out.contains("OK"), "{out}");
    // FETCH does not learn of it; NOOP does.
    let (out, _, _) = run(&mut a, "c FETCH 1 FLAGS\r\n");
    assert!(!out.contains("EXISTS"), "{out}");
    let (out, _, _) = run(&mut a, "d NOOP\r\n");
    assert!(out.starts_with("* 13 EXISTS\r\n"), "{out}");
}

#[test]
fn nul_in_messages_is_sent_as_0x80() {
    let f = fixture();
    let mut s = session(&f, Transport::Plain);
    run(&mut s, "a LOGIN mrc secret\r\n");
    s.receive(b"b APPEND INBOX {15+}\r\nSubject: n\r\n\r\n\0\r\n");
    while s.step().is_some() {}
    run(&mut s, "c SELECT INBOX\r\n");
    s.receive(b"d FETCH 13 BODY[TEXT]\r\n");
    let mut out = Vec::new();
    while let Some(r) = s.step() {
        out.extend_from_slice(&r.bytes);
    }
    assert!(out.windows(3).any(|w| w == b"\x80\r\n"), "{out:?}");
    assert!(!out.contains(&0));
}

#[test]
fn bodystructure_is_kept_for_the_next_session() {
    let f = fixture();
    let fetch = |f: &common::Fixture| {
        let mut s = session(f, Transport::Plain);
        run(&mut s, "a LOGIN mrc secret\r\nb EXAMINE INBOX\r\n");
        let (out, _, _) = run(&mut s, "c FETCH 11:12 (BODYSTRUCTURE BODY)\r\n");
        run(&mut s, "d LOGOUT\r\n");
        out
    };
    let first = fetch(&f);
    assert!(
        first.contains("* 12 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\""),
        "{first}"
    );
    let state = f.dir.path().join("state/mrc");
    let cached: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bodystructure") || n.ends_with(".body"))
        .collect();
    assert_eq!(cached.len(), 2, "{cached:?}");
    // The next session answers the same, from the cache.
    assert_eq!(fetch(&f), first);
}

#[test]
fn idle_keepalive_fake_new_mail_and_done() {
    // Timers shrunk: autologout after 4 s of IDLE, keep-alives every second; the fake new
    // mail comes 2 s before the autologout.
    let f = fixture_with(|c| {
        c.timeouts.idle = Duration::from_secs(4);
        c.idle_keepalive = Duration::from_secs(1);
    });
    let mut s = session(&f, Transport::Plain);
    run(&mut s, "a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    let (out, _, _) = run(&mut s, "c IDLE\r\n");
    assert_eq!(out, "+ Waiting for DONE\r\n");
    assert!(s.tick_every().is_some());
    let mut ticks = String::new();
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_millis(2600) {
        std::thread::sleep(Duration::from_millis(250));
        if let Some(r) = s.tick() {
            ticks.push_str(&String::from_utf8_lossy(&r.bytes));
        }
    }
    assert!(ticks.contains("* OK Timeout in 1 minutes\r\n"), "{ticks}");
    assert!(ticks.contains("* 13 EXISTS\r\n* 13 RECENT\r\n"), "{ticks}");
    assert_eq!(ticks.matches("EXISTS").count(), 1, "{ticks}");
    // DONE takes the fake back.
    let (out, _, _) = run(&mut s, "DONE\r\n");
    assert_eq!(
        out,
        "* 13 EXPUNGE\r\n* 12 RECENT\r\nc OK IDLE completed\r\n"
    );
    // Out of IDLE, ticks only look (cheaply) for a kiss of death.
    assert_eq!(s.tick_every(), Some(Duration::from_secs(1)));
    assert!(!s.tick_due());
    // An IDLE that runs out is an autologout.
    run(&mut s, "d IDLE\r\n");
    assert!(s.timeout() <= Duration::from_secs(4));
    let (out, _, _) = run(&mut s, "DONE\r\n");
    assert_eq!(out, "d OK IDLE completed\r\n");
    let (out, _, _) = run(&mut s, "e IDLE\r\nbogus\r\n");
    assert_eq!(
        out,
        "+ Waiting for DONE\r\ne BAD Bogus IDLE continuation\r\n"
    );
}

#[test]
fn envelopes_made_in_parallel_are_the_ones_made_one_by_one() {
    let add = |f: &common::Fixture| {
        let msgs = (0..700).map(|i| {
            Ok(mailstore::mailbox::AppendMessage {
                data: format!(
                    "From: \"Person {i}\" <p{i}@example.org>\r\nTo: a@b, c@d\r\nSubject: =?UTF-8?Q?n=C2=B0{i}?=\r\nMessage-ID: <{i}@x>\r\n\r\nbody\r\n"
                )
                .into_bytes(),
                flags: mailstore::Flags::EMPTY,
                keywords: Vec::new(),
                date: None,
            })
        });
        f.store
            .append("INBOX", &mut msgs.collect::<Vec<_>>().into_iter())
            .unwrap();
    };
    let (a, b) = (fixture(), fixture());
    add(&a);
    add(&b);
    let mut s = session(&a, Transport::Plain);
    run(&mut s, "a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    let (all, _, _) = run(&mut s, "c FETCH 1:* ENVELOPE\r\n");
    let mut t = session(&b, Transport::Plain);
    run(&mut t, "a LOGIN mrc secret\r\nb SELECT INBOX\r\n");
    let mut one_by_one = String::new();
    for n in 1..=712 {
        let (out, _, _) = run(&mut t, &format!("c FETCH {n} ENVELOPE\r\n"));
        one_by_one.push_str(out.strip_suffix("c OK FETCH completed\r\n").unwrap());
    }
    one_by_one.push_str("c OK FETCH completed\r\n");
    assert_eq!(all.matches(" FETCH (ENVELOPE (").count(), 712);
    assert_eq!(all, one_by_one);
}
