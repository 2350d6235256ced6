//! When the strongest mechanism fails, the next one the server advertises is tried, as
//! c-client's `imap_auth` does: a scripted IMAP server over TLS (so that PLAIN may be
//! used) whose CRAM-MD5 refuses every answer, or refuses the mechanism outright.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use client::{ClientOptions, FixedPrompt, RemoteName, Session};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// How the fake's CRAM-MD5 fails.
#[derive(Clone, Copy)]
enum Cram {
    /// A challenge, then NO whatever the answer.
    RefusesEveryAnswer,
    /// NO at once, without a challenge.
    Unsupported,
}

/// A TLS server advertising `caps`, taking PLAIN or LOGIN for `u`/`p`; the lines it read.
fn fake(caps: &'static str, cram: Cram) -> (u16, Arc<Mutex<Vec<String>>>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let tls = rustls::StreamOwned::new(conn, sock);
        let mut r = BufReader::new(tls);
        let mut line = String::new();
        let say = |r: &mut BufReader<rustls::StreamOwned<_, _>>, text: &str| {
            let s = r.get_mut();
            s.write_all(text.as_bytes()).unwrap();
            s.flush().unwrap();
        };
        say(&mut r, &format!("* OK [CAPABILITY {caps}] fake\r\n"));
        let answer = |r: &mut BufReader<_>, challenge: &str| -> String {
            say(r, &format!("+ {}\r\n", B64.encode(challenge)));
            let mut a = String::new();
            r.read_line(&mut a).unwrap();
            String::from_utf8(B64.decode(a.trim()).unwrap_or_default()).unwrap_or_default()
        };
        while r.read_line(&mut line).is_ok_and(|n| n > 0) {
            let l = line.trim_end().to_owned();
            log.lock().unwrap().push(l.clone());
            let mut w = l.splitn(3, ' ');
            let tag = w.next().unwrap_or("").to_owned();
            let cmd = w.next().unwrap_or("").to_ascii_uppercase();
            let rest = w.next().unwrap_or("");
            let reply = match (cmd.as_str(), rest) {
                ("AUTHENTICATE", "CRAM-MD5") => match cram {
                    Cram::Unsupported => format!("{tag} NO Unsupported mechanism\r\n"),
                    Cram::RefusesEveryAnswer => {
                        answer(&mut r, "<1.2@fake>");
                        format!("{tag} NO [AUTHENTICATIONFAILED] bad\r\n")
                    }
                },
                ("AUTHENTICATE", "PLAIN") => match answer(&mut r, "").as_str() {
                    "\0u\0p" => format!("{tag} OK welcome\r\n"),
                    _ => format!("{tag} NO [AUTHENTICATIONFAILED] bad\r\n"),
                },
                ("AUTHENTICATE", "LOGIN") => {
                    let user = answer(&mut r, "Username:");
                    let pass = answer(&mut r, "Password:");
                    match (user.as_str(), pass.as_str()) {
                        ("u", "p") => format!("{tag} OK welcome\r\n"),
                        _ => format!("{tag} NO [AUTHENTICATIONFAILED] bad\r\n"),
                    }
                }
                ("CAPABILITY", _) => format!("* CAPABILITY {caps}\r\n{tag} OK done\r\n"),
                ("LOGOUT", _) => format!("* BYE bye\r\n{tag} OK done\r\n"),
                _ => format!("{tag} OK done\r\n"),
            };
            say(&mut r, &reply);
            if cmd == "LOGOUT" {
                return;
            }
            line.clear();
        }
    });
    (port, seen)
}

fn connect(port: u16, prompt: &mut FixedPrompt) -> Session {
    let name =
        RemoteName::parse(&format!("{{127.0.0.1:{port}/ssl/novalidate-cert/user=u}}")).unwrap();
    Session::connect(&name, &ClientOptions::default(), prompt).unwrap()
}

/// The mechanisms the client asked for, in order.
fn mechanisms(seen: &Mutex<Vec<String>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|l| l.split_once(" AUTHENTICATE ").map(|(_, m)| m.to_owned()))
        .collect()
}

#[test]
fn cram_md5_refused_three_times_then_plain() {
    let (port, seen) = fake(
        "IMAP4rev1 AUTH=CRAM-MD5 AUTH=PLAIN",
        Cram::RefusesEveryAnswer,
    );
    let mut prompt = FixedPrompt::new("u", "p");
    connect(port, &mut prompt).logout().unwrap();
    assert_eq!(
        mechanisms(&seen),
        ["CRAM-MD5", "CRAM-MD5", "CRAM-MD5", "PLAIN"]
    );
    assert_eq!(
        prompt.notices.last().unwrap(),
        "Retrying using PLAIN authentication after [AUTHENTICATIONFAILED] bad"
    );
}

#[test]
fn a_mechanism_refused_outright_is_tried_once() {
    let (port, seen) = fake("IMAP4rev1 AUTH=CRAM-MD5 AUTH=LOGIN", Cram::Unsupported);
    let mut prompt = FixedPrompt::new("u", "p");
    connect(port, &mut prompt).logout().unwrap();
    assert_eq!(mechanisms(&seen), ["CRAM-MD5", "LOGIN"]);
    assert_eq!(
        prompt.notices,
        ["Retrying using LOGIN authentication after Unsupported mechanism"]
    );
}
