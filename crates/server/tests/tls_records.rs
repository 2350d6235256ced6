//! The TLS record cap (FAQ 6.7): with `max_fragment = 8192`, no record the server sends
//! carries more than 8 KiB of data; without it, records are larger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use server::conn::{self, Start};
use server::session::{Hangup, Reply, Session, Sink, Then};

/// A session that greets with 100 KB and closes.
struct Big;

impl Session for Big {
    fn set_sink(&mut self, _: Sink) {}
    fn greeting(&mut self) -> Reply {
        Reply::then(vec![b'x'; 100_000], Then::Close)
    }
    fn receive(&mut self, _: &[u8]) {}
    fn step(&mut self) -> Option<Reply> {
        None
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(10)
    }
    fn timed_out(&mut self) -> Reply {
        Reply::default()
    }
    fn tick_every(&self) -> Option<Duration> {
        None
    }
    fn tick(&mut self) -> Option<Reply> {
        None
    }
    fn tls_started(&mut self) {}
    fn hangup(&mut self, _: Hangup) {}
    fn shutdown(&mut self) -> Reply {
        Reply::default()
    }
}

#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A socket that keeps a copy of every byte read.
struct Recording {
    s: std::net::TcpStream,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl Read for Recording {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.s.read(buf)?;
        self.seen.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.s.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.s.flush()
    }
}

/// The payload sizes of the records the server sent after the handshake.
fn record_sizes(max_fragment: Option<usize>) -> Vec<usize> {
    let dir = tempfile::tempdir().unwrap();
    let (c, k) = server::tls::self_signed().unwrap();
    std::fs::write(dir.path().join("c.pem"), c).unwrap();
    std::fs::write(dir.path().join("k.pem"), k).unwrap();
    let cfg = server::tls::server_config(
        &dir.path().join("c.pem"),
        &dir.path().join("k.pem"),
        max_fragment,
    )
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let srv = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_nonblocking(true).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let s = tokio::net::TcpStream::from_std(sock).unwrap();
            let (_tx, rx) = tokio::sync::watch::channel(false);
            conn::serve(Box::new(s), Some(cfg), Start::Tls, Big, rx)
                .await
                .unwrap();
        });
    });
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client_cfg = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    let mut conn = rustls::ClientConnection::new(
        Arc::new(client_cfg),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut sock = Recording {
        s: std::net::TcpStream::connect(addr).unwrap(),
        seen: Arc::clone(&seen),
    };
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    let mut got = Vec::new();
    let _ = tls.read_to_end(&mut got);
    srv.join().unwrap();
    assert_eq!(got.len(), 100_000);
    let bytes = seen.lock().unwrap().clone();
    let mut sizes = Vec::new();
    let mut at = 0;
    while at + 5 <= bytes.len() {
        let len = usize::from(u16::from_be_bytes([bytes[at + 3], bytes[at + 4]]));
        // Application data records (TLS 1.3 wraps everything after the hello in them).
        if bytes[at] == 23 {
            sizes.push(len);
        }
        at += 5 + len;
    }
    sizes
}

#[test]
fn records_are_capped_at_8_kib_when_asked() {
    let capped = record_sizes(Some(8192));
    // 8 KiB of data, plus the inner content type and the AEAD tag.
    assert!(capped.iter().all(|&n| n <= 8192 + 17), "{capped:?}");
    assert!(
        capped.iter().filter(|&&n| n > 8000).count() >= 10,
        "{capped:?}"
    );
    let free = record_sizes(None);
    assert!(free.iter().any(|&n| n > 8192 + 17), "{free:?}");
}
