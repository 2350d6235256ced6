//! Login choices against a scripted IMAP server on loopback: what the client sends for
//! each set of capabilities (c-client's order: CRAM-MD5 before PLAIN before LOGIN;
//! plaintext mechanisms only under TLS; LOGINDISABLED; `/secure`; `/tls`), and literals
//! with and without LITERAL+.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use client::{ClientError, ClientOptions, FixedPrompt, RemoteName, Session};

/// A fake server: greets with `caps`, answers CAPABILITY, takes a CRAM-MD5 answer for
/// user `u` password `p`, LOGIN `u` `p`, APPEND (sending `+` for synchronising literals),
/// and OK to the rest. Returns the port and what the client sent.
fn fake(caps: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        // Two connections, one after the other (for /tryssl's fallback).
        for _ in 0..2 {
            serve_one(&listener, caps, &log);
        }
    });
    (port, seen)
}

fn serve_one(listener: &TcpListener, caps: &str, log: &Mutex<Vec<String>>) {
    {
        let Ok((sock, _)) = listener.accept() else {
            return;
        };
        let mut out = sock.try_clone().unwrap();
        let mut r = BufReader::new(sock);
        writeln!(out, "* OK [CAPABILITY {caps}] fake\r").unwrap();
        let mut line = String::new();
        while r.read_line(&mut line).is_ok_and(|n| n > 0) {
            log.lock().unwrap().push(line.trim_end().to_owned());
            let mut w = line.trim_end().splitn(3, ' ');
            let tag = w.next().unwrap_or("").to_owned();
            let cmd = w.next().unwrap_or("").to_ascii_uppercase();
            let rest = w.next().unwrap_or("").to_owned();
            let reply = match cmd.as_str() {
                "CAPABILITY" => format!("* CAPABILITY {caps}\r\n{tag} OK done\r\n"),
                "AUTHENTICATE" if rest == "CRAM-MD5" => {
                    let ch = "<1.2@fake>";
                    write!(out, "+ {}\r\n", B64.encode(ch)).unwrap();
                    let mut answer = String::new();
                    r.read_line(&mut answer).unwrap();
                    let got = String::from_utf8(B64.decode(answer.trim()).unwrap()).unwrap();
                    log.lock().unwrap().push(format!("cram: {got}"));
                    let want = format!("u {}", sasl::client::cram_md5_digest(b"p", ch.as_bytes()));
                    if got == want {
                        format!("{tag} OK welcome\r\n")
                    } else {
                        format!("{tag} NO [AUTHENTICATIONFAILED] bad\r\n")
                    }
                }
                "LOGIN" if rest == "u p" => format!("{tag} OK welcome\r\n"),
                "LOGIN" => format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
                "APPEND" => {
                    let open = rest.rfind('{').unwrap();
                    let spec = &rest[open + 1..rest.len() - 1];
                    let (n, sync) = match spec.strip_suffix('+') {
                        Some(n) => (n.parse::<usize>().unwrap(), false),
                        None => (spec.parse::<usize>().unwrap(), true),
                    };
                    if sync {
                        out.write_all(b"+ go ahead\r\n").unwrap();
                    }
                    let mut body = vec![0u8; n + 2];
                    r.read_exact(&mut body).unwrap();
                    log.lock()
                        .unwrap()
                        .push(format!("literal: {}", String::from_utf8_lossy(&body[..n])));
                    format!("{tag} OK appended\r\n")
                }
                "LOGOUT" => format!("* BYE bye\r\n{tag} OK done\r\n"),
                _ => format!("{tag} OK done\r\n"),
            };
            if out.write_all(reply.as_bytes()).is_err() {
                return;
            }
            line.clear();
        }
    }
}

fn connect(port: u16, switches: &str, password: &str) -> Result<Session, ClientError> {
    let name =
        RemoteName::parse(&format!("{{127.0.0.1:{port}/imap/notls{switches}/user=u}}")).unwrap();
    Session::connect(
        &name,
        &ClientOptions::default(),
        &mut FixedPrompt::new("u", password),
    )
}

#[test]
fn cram_md5_is_chosen_first_and_plain_is_not_used_in_the_clear() {
    let (port, seen) = fake("IMAP4rev1 AUTH=PLAIN AUTH=LOGIN AUTH=CRAM-MD5");
    connect(port, "", "p").unwrap().logout().unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0], "A0001 AUTHENTICATE CRAM-MD5");
    assert!(seen[1].starts_with("cram: u "));
    assert!(
        !seen
            .iter()
            .any(|l| l.contains("PLAIN") || l.contains("LOGIN "))
    );
}

#[test]
fn logindisabled_without_a_usable_mechanism_refuses_to_log_in() {
    let (port, seen) = fake("IMAP4rev1 LOGINDISABLED AUTH=PLAIN");
    let e = connect(port, "", "p").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Server disables LOGIN, no recognized SASL authenticator"
    );
    assert!(seen.lock().unwrap().is_empty(), "nothing was sent");
}

#[test]
fn secure_refuses_login_in_the_clear_but_takes_cram_md5() {
    let (port, _) = fake("IMAP4rev1");
    let e = connect(port, "/secure", "p").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Can't do secure authentication with this server"
    );
    let (port, _) = fake("IMAP4rev1 AUTH=CRAM-MD5");
    connect(port, "/secure", "p").unwrap().logout().unwrap();
}

#[test]
fn tls_required_but_not_offered() {
    let (port, _) = fake("IMAP4rev1");
    let name = RemoteName::parse(&format!("{{127.0.0.1:{port}/tls/user=u}}")).unwrap();
    let e = Session::connect(
        &name,
        &ClientOptions::default(),
        &mut FixedPrompt::new("u", "p"),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "Unable to negotiate TLS with this server");
}

#[test]
fn login_is_tried_three_times_and_each_failure_is_told() {
    let (port, seen) = fake("IMAP4rev1");
    let name = RemoteName::parse(&format!("{{127.0.0.1:{port}/notls/user=u}}")).unwrap();
    let mut prompt = FixedPrompt::new("u", "wrong");
    let e = Session::connect(&name, &ClientOptions::default(), &mut prompt).unwrap_err();
    assert_eq!(e.to_string(), "Too many login failures");
    assert_eq!(
        prompt.notices,
        vec!["[AUTHENTICATIONFAILED] Authentication failed."; 3]
    );
    assert_eq!(
        seen.lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("LOGIN"))
            .count(),
        3
    );
}

#[test]
fn synchronising_literal_waits_for_the_continuation() {
    let (port, seen) = fake("IMAP4rev1");
    let mut s = connect(port, "", "p").unwrap();
    s.append("INBOX", &[], None, b"Subject: x\r\n\r\nhi\r\n")
        .unwrap();
    s.logout().unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter().any(|l| l.ends_with("APPEND INBOX {18}")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l == "literal: Subject: x\r\n\r\nhi\r\n"),
        "{seen:?}"
    );
}

#[test]
fn literal_plus_when_advertised() {
    let (port, seen) = fake("IMAP4rev1 LITERAL+");
    let mut s = connect(port, "", "p").unwrap();
    s.append(
        "INBOX",
        &["\\Seen".into()],
        Some("01-Jan-2024 00:00:00 +0000"),
        b"x\r\n",
    )
    .unwrap();
    s.logout().unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|l| l.ends_with("APPEND INBOX (\\Seen) \"01-Jan-2024 00:00:00 +0000\" {3+}")),
        "{seen:?}"
    );
}

#[test]
fn tryssl_falls_back_to_plain_when_tls_fails() {
    let (port, seen) = fake("IMAP4rev1");
    let name = RemoteName::parse(&format!("{{127.0.0.1:{port}/tryssl/user=u}}")).unwrap();
    let s = Session::connect(
        &name,
        &ClientOptions::default(),
        &mut FixedPrompt::new("u", "p"),
    )
    .unwrap();
    assert_eq!(s.link(), client::Link::Plain);
    s.logout().unwrap();
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|l| l.ends_with("LOGIN u p"))
    );
}
