//! Certificate checking against servers with certificates made here with rcgen: each
//! failure gives c-client's message (FAQ 7.28–7.33, ssl_unix.c), a certificate from a CA
//! trusted through a test-only anchor is taken, and `/novalidate-cert` takes anything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use client::{ClientError, ClientOptions, FixedPrompt, RemoteName, Session};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate for `name` (SAN and CN), with its key.
struct Leaf {
    der: CertificateDer<'static>,
    key: KeyPair,
}

fn params(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(vec![name.to_owned()]).unwrap();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, name);
    p
}

struct Ca {
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let mut p = params(name);
    p.subject_alt_names = Vec::new();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let der = p.self_signed(&key).unwrap().der().clone();
    Ca {
        der,
        issuer: Issuer::new(p, key),
    }
}

fn self_signed(name: &str) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let der = params(name).self_signed(&key).unwrap().der().clone();
    Leaf { der, key }
}

fn signed(name: &str, by: &Ca, expired: bool) -> Leaf {
    let mut p = params(name);
    if expired {
        p.not_before = rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let key = KeyPair::generate().unwrap();
    let der = p.signed_by(&key, &by.issuer).unwrap().der().clone();
    Leaf { der, key }
}

/// An IMAPS server on loopback for one connection: PREAUTH greeting, then `OK` to every
/// command (with CAPABILITY data when asked). Returns its port.
fn serve(leaf: Leaf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der], key)
    .unwrap();
    std::thread::spawn(move || {
        let Ok((tcp, _)) = listener.accept() else {
            return;
        };
        let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        if tls.write_all(b"* PREAUTH ready\r\n").is_err() {
            return;
        }
        let _ = tls.flush();
        let mut reader = BufReader::new(tls);
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
            let tag = line.split(' ').next().unwrap_or("*").to_owned();
            let mut answer = String::new();
            if line.to_ascii_uppercase().contains("CAPABILITY") {
                answer.push_str("* CAPABILITY IMAP4rev1\r\n");
            }
            if line.to_ascii_uppercase().contains("LOGOUT") {
                answer.push_str("* BYE bye\r\n");
            }
            answer.push_str(&format!("{tag} OK done\r\n"));
            let s = reader.get_mut();
            if s.write_all(answer.as_bytes()).is_err() || s.flush().is_err() {
                return;
            }
            line.clear();
        }
    });
    port
}

fn connect(port: u16, switches: &str, options: &ClientOptions) -> Result<Session, ClientError> {
    let name = RemoteName::parse(&format!("{{localhost:{port}/ssl{switches}}}INBOX")).unwrap();
    Session::connect(&name, options, &mut FixedPrompt::new("u", "p"))
}

fn failure(port: u16, options: &ClientOptions) -> String {
    match connect(port, "", options) {
        Ok(_) => panic!("the certificate was taken"),
        Err(e) => e.to_string(),
    }
}

fn trusting(ca: &Ca) -> ClientOptions {
    ClientOptions {
        trust_anchors: vec![ca.der.clone()],
        ..ClientOptions::default()
    }
}

#[test]
fn self_signed_for_another_name_is_self_signed_first() {
    let port = serve(self_signed("wrong.example"));
    assert_eq!(
        failure(port, &ClientOptions::default()),
        "Certificate failure for localhost: self signed certificate: /CN=wrong.example"
    );
}

#[test]
fn expired_certificate() {
    let ca = ca("Panda Test CA");
    let port = serve(signed("localhost", &ca, true));
    assert_eq!(
        failure(port, &trusting(&ca)),
        "Certificate failure for localhost: certificate has expired: /CN=localhost"
    );
}

#[test]
fn unknown_ca() {
    let ca = ca("Panda Unknown CA");
    let port = serve(signed("localhost", &ca, false));
    assert_eq!(
        failure(port, &ClientOptions::default()),
        "Certificate failure for localhost: unable to get local issuer certificate: /CN=localhost"
    );
}

#[test]
fn trusted_ca_but_wrong_host_name() {
    let ca = ca("Panda Test CA");
    let port = serve(signed("other.example", &ca, false));
    assert_eq!(
        failure(port, &trusting(&ca)),
        "Certificate failure for localhost: Server name does not match certificate: /CN=other.example"
    );
}

#[test]
fn trusted_ca_through_a_test_anchor_succeeds() {
    let ca = ca("Panda Test CA");
    let port = serve(signed("localhost", &ca, false));
    let s = connect(port, "", &trusting(&ca)).unwrap();
    assert_eq!(s.link(), client::Link::Encrypted);
    assert_eq!(s.capabilities(), ["IMAP4rev1".to_owned()]);
    s.logout().unwrap();
}

#[test]
fn trusted_ca_through_a_bundle_file_succeeds() {
    let ca = ca("Panda Test CA");
    let port = serve(signed("localhost", &ca, false));
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("ca.pem");
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64_lines(&ca.der)
    );
    std::fs::write(&bundle, pem).unwrap();
    let options = ClientOptions {
        ca_file: Some(bundle),
        ..ClientOptions::default()
    };
    connect(port, "", &options).unwrap().logout().unwrap();
}

#[test]
fn novalidate_cert_takes_a_self_signed_certificate() {
    let port = serve(self_signed("wrong.example"));
    connect(port, "/novalidate-cert", &ClientOptions::default())
        .unwrap()
        .logout()
        .unwrap();
}

#[test]
fn plaintext_server_on_the_ssl_port_is_ssl_negotiation_failed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let _ = s.write_all(b"* OK plain IMAP here\r\n");
            let mut b = [0u8; 512];
            let _ = std::io::Read::read(&mut s, &mut b);
        }
    });
    assert_eq!(
        failure(port, &ClientOptions::default()),
        "TLS/SSL failure for localhost: SSL negotiation failed"
    );
}

#[test]
fn nothing_listening_is_cant_connect() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let name = RemoteName::parse(&format!("{{127.0.0.1:{port}/imap}}")).unwrap();
    let e = Session::connect(
        &name,
        &ClientOptions::default(),
        &mut FixedPrompt::new("u", "p"),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Can't connect to 127.0.0.1,{port}: Connection refused")
    );
}

fn base64_lines(der: &[u8]) -> String {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    b.as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}
