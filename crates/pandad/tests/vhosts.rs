//! TLS virtual hosts (FAQ 3.19): the certificate a client gets is chosen by the name it
//! asks for (SNI), else by the local address it connected to (127.0.0.1 or 127.0.0.2:
//! Linux routes all of 127/8 to the loopback device), else it is `[tls]`'s own. Checked
//! for IMAPS, IMAP STARTTLS and POP3 STLS against the daemon and in inetd mode (imapd,
//! ipop3d) on a socket; and a certificate that cannot be used stops the daemon at
//! start-up with the file's name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

const ONE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
const TWO: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A certificate written as `<name>.pem` and `<name>.key`, and its DER.
struct Cert {
    der: Vec<u8>,
}

fn make_cert(dir: &Path, file: &str, names: &[&str]) -> Cert {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let c = rcgen::generate_simple_self_signed(names).unwrap();
    std::fs::write(dir.join(format!("{file}.pem")), c.cert.pem()).unwrap();
    std::fs::write(
        dir.join(format!("{file}.key")),
        c.signing_key.serialize_pem(),
    )
    .unwrap();
    Cert {
        der: c.cert.der().to_vec(),
    }
}

/// The three certificates: `[tls]`'s own, host A (127.0.0.2 and `a.test`), host B
/// (`b.test` and `*.b.test`, no address).
struct Certs {
    default: Cert,
    a: Cert,
    b: Cert,
}

fn certs(dir: &Path) -> Certs {
    Certs {
        default: make_cert(dir, "default", &["default.test"]),
        a: make_cert(dir, "a", &["a.test"]),
        b: make_cert(dir, "b", &["b.test"]),
    }
}

const HOSTS: &str = "[tls]\ncert = \"default.pem\"\nkey = \"default.key\"\n\
    [[tls.host]]\ncert = \"a.pem\"\nkey = \"a.key\"\naddress = \"127.0.0.2\"\nnames = [\"a.test\"]\n\
    [[tls.host]]\ncert = \"b.pem\"\nkey = \"b.key\"\nnames = [\"B.test\", \"*.b.test\"]\n";

fn write_config(dir: &Path, tls: &str, listen: &str) -> PathBuf {
    std::fs::write(dir.join("users"), "").unwrap();
    let p = dir.join("panda.toml");
    std::fs::write(
        &p,
        format!(
            "hostname = \"h.test\"\ndata_dir = \"data\"\nusers = \"users\"\n\
             alert_file = \"none\"\nnologin_file = \"none\"\n{tls}{listen}"
        ),
    )
    .unwrap();
    p
}

/// A port free on `ip`.
fn free_port(ip: IpAddr) -> u16 {
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Imaps,
    Imap,
    Pop3,
}

/// A daemon listening on both addresses with IMAPS, IMAP and POP3.
struct Daemon {
    child: Child,
    ports: Vec<(IpAddr, Kind, u16)>,
}

impl Daemon {
    fn start(dir: &Path) -> Daemon {
        Daemon::start_with(dir, "")
    }

    /// A daemon whose configuration also has the top-level lines `keys`.
    fn start_with(dir: &Path, keys: &str) -> Daemon {
        let mut ports = Vec::new();
        let mut listen = String::new();
        for ip in [ONE, TWO] {
            for (kind, proto) in [
                (Kind::Imaps, "imaps"),
                (Kind::Imap, "imap"),
                (Kind::Pop3, "pop3"),
            ] {
                let port = free_port(ip);
                ports.push((ip, kind, port));
                listen.push_str(&format!(
                    "[[listen]]\naddress = \"{ip}:{port}\"\nprotocol = \"{proto}\"\n"
                ));
            }
        }
        let config = write_config(dir, &format!("{keys}{HOSTS}"), &listen);
        let mut child = Command::new(env!("CARGO_BIN_EXE_pandad"))
            .arg("--config")
            .arg(&config)
            .args(["--log", "stderr"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        for &(ip, _, port) in &ports {
            while TcpStream::connect((ip, port)).is_err() {
                assert!(Instant::now() < deadline, "pandad did not start");
                assert!(child.try_wait().unwrap().is_none(), "pandad exited");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Daemon { child, ports }
    }

    fn port(&self, ip: IpAddr, kind: Kind) -> u16 {
        self.ports
            .iter()
            .find(|&&(i, k, _)| i == ip && k == kind)
            .unwrap()
            .2
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Trusts any certificate: the test looks at which one came, not whether it is valid.
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

/// Does the TLS handshake on `sock` as a client sending SNI `sni` (none when `None`:
/// rustls sends no SNI for an address), and returns the server's certificate and the
/// first line it sends, if `greeting` says one comes.
fn handshake(mut sock: TcpStream, sni: Option<&str>, greeting: Greeting) -> (Vec<u8>, String) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    let name = match sni {
        Some(n) => ServerName::try_from(n.to_owned()).unwrap(),
        None => ServerName::IpAddress(sock.peer_addr().unwrap().ip().into()),
    };
    let mut conn = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).unwrap();
    }
    let der = conn.peer_certificates().unwrap()[0].to_vec();
    let mut line = String::new();
    if greeting == Greeting::Expected {
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        let mut byte = [0u8; 1];
        while !line.ends_with('\n') {
            if tls.read(&mut byte).unwrap() == 0 {
                break;
            }
            line.push(char::from(byte[0]));
        }
    }
    (der, line)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Greeting {
    Expected,
    None,
}

/// Connects to `ip:port` speaking `kind`, upgrades to TLS, and returns the certificate.
fn certificate_from(ip: IpAddr, port: u16, kind: Kind, sni: Option<&str>) -> Vec<u8> {
    let sock = TcpStream::connect((ip, port)).unwrap();
    certificate_on(sock, kind, sni)
}

fn certificate_on(mut sock: TcpStream, kind: Kind, sni: Option<&str>) -> Vec<u8> {
    let (command, ok) = match kind {
        Kind::Imaps => {
            let (der, line) = handshake(sock, sni, Greeting::Expected);
            assert!(line.starts_with("* OK"), "{line}");
            return der;
        }
        Kind::Imap => ("a STARTTLS\r\n", "a OK"),
        Kind::Pop3 => ("STLS\r\n", "+OK"),
    };
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut reader = BufReader::new(sock.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("* OK") || line.starts_with("+OK"),
        "{line}"
    );
    sock.write_all(command.as_bytes()).unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with(ok), "{line}");
    assert!(
        reader.buffer().is_empty(),
        "nothing more before the handshake"
    );
    handshake(sock, sni, Greeting::None).0
}

/// What each client should get: (address, SNI, certificate).
fn expectations(c: &Certs) -> Vec<(IpAddr, Option<&'static str>, &[u8], &'static str)> {
    vec![
        (ONE, None, &c.default.der, "default"),
        (TWO, None, &c.a.der, "A by address"),
        (ONE, Some("a.test"), &c.a.der, "A by name"),
        (ONE, Some("b.test"), &c.b.der, "B by name"),
        (
            TWO,
            Some("b.test"),
            &c.b.der,
            "B by name before A's address",
        ),
        (ONE, Some("mail.b.test"), &c.b.der, "B by wildcard"),
        (
            ONE,
            Some("other.test"),
            &c.default.der,
            "unknown name: default",
        ),
        (
            TWO,
            Some("other.test"),
            &c.a.der,
            "unknown name: A's address",
        ),
    ]
}

#[test]
fn daemon_picks_certificate_by_sni_then_local_address() {
    let dir = tempfile::tempdir().unwrap();
    let c = certs(dir.path());
    let d = Daemon::start(dir.path());
    for kind in [Kind::Imaps, Kind::Imap, Kind::Pop3] {
        for &(ip, sni, want, what) in &expectations(&c) {
            let got = certificate_from(ip, d.port(ip, kind), kind, sni);
            assert!(got == want, "{kind:?} to {ip} with SNI {sni:?}: not {what}");
        }
    }
}

#[test]
fn daemon_of_system_users_picks_certificate_in_each_session_process() {
    // Each connection is served by a child process, which finds the local address on
    // its standard input.
    let dir = tempfile::tempdir().unwrap();
    let c = certs(dir.path());
    let d = Daemon::start_with(dir.path(), "accounts = \"system\"\n");
    for kind in [Kind::Imaps, Kind::Imap, Kind::Pop3] {
        for &(ip, sni, want, what) in &expectations(&c) {
            let got = certificate_from(ip, d.port(ip, kind), kind, sni);
            assert!(got == want, "{kind:?} to {ip} with SNI {sni:?}: not {what}");
        }
    }
}

/// Runs imapd or ipop3d (inetd mode) on one accepted connection to `ip`, with `args`, while the
/// client gets the certificate.
fn inetd_certificate(
    config: &Path,
    ip: IpAddr,
    args: &[&str],
    kind: Kind,
    sni: Option<&str>,
) -> Vec<u8> {
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let sni = sni.map(str::to_owned);
    let client = std::thread::spawn(move || {
        let sock = TcpStream::connect(addr).unwrap();
        let der = certificate_on(sock.try_clone().unwrap(), kind, sni.as_deref());
        let _ = sock.shutdown(std::net::Shutdown::Both);
        der
    });
    let (sock, _) = listener.accept().unwrap();
    let fd: std::os::fd::OwnedFd = sock.into();
    let fd2 = fd.try_clone().unwrap();
    let program = match kind {
        Kind::Imaps | Kind::Imap => env!("CARGO_BIN_EXE_imapd"),
        Kind::Pop3 => env!("CARGO_BIN_EXE_ipop3d"),
    };
    let mut child = Command::new(program)
        .arg("--config")
        .arg(config)
        .arg("--log-stderr")
        .args(args)
        .stdin(Stdio::from(fd))
        .stdout(Stdio::from(fd2))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let der = client.join().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    der
}

#[test]
fn inetd_mode_picks_certificate_by_its_socket_address() {
    let dir = tempfile::tempdir().unwrap();
    let c = certs(dir.path());
    let config = write_config(dir.path(), HOSTS, "");
    for (args, kind) in [
        (&["--tls"][..], Kind::Imaps),
        (&[][..], Kind::Imap),
        (&[][..], Kind::Pop3),
    ] {
        for &(ip, sni, want, what) in &expectations(&c) {
            let got = inetd_certificate(&config, ip, args, kind, sni);
            assert!(
                got == want,
                "inetd {kind:?} to {ip} with SNI {sni:?}: not {what}"
            );
        }
    }
}

/// pandad's start-up failure with the `[tls]` text `tls`.
fn startup_error(dir: &Path, tls: &str) -> String {
    let port = free_port(ONE);
    let config = write_config(
        dir,
        tls,
        &format!("[[listen]]\naddress = \"127.0.0.1:{port}\"\nprotocol = \"imaps\"\n"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_pandad"))
        .arg("--config")
        .arg(&config)
        .args(["--log", "stderr"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "pandad started with {tls}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn unusable_certificates_stop_the_daemon_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    certs(dir.path());
    let p = |f: &str| dir.path().join(f).display().to_string();

    let missing = HOSTS.replace("\"b.pem\"", "\"missing.pem\"");
    let e = startup_error(dir.path(), &missing);
    assert!(e.contains(&p("missing.pem")), "{e}");

    // A's certificate with B's key.
    let mismatched = HOSTS.replace("key = \"a.key\"", "key = \"b.key\"");
    let e = startup_error(dir.path(), &mismatched);
    assert!(e.contains(&p("b.key")), "{e}");
    assert!(
        e.contains(&format!("not the key of the certificate in {}", p("a.pem"))),
        "{e}"
    );

    // The default pair is checked as well.
    let mismatched = HOSTS.replace("key = \"default.key\"", "key = \"a.key\"");
    let e = startup_error(dir.path(), &mismatched);
    assert!(e.contains(&p("default.pem")), "{e}");

    std::fs::write(dir.path().join("junk.pem"), "not PEM\n").unwrap();
    let junk = HOSTS.replace("\"a.pem\"", "\"junk.pem\"");
    let e = startup_error(dir.path(), &junk);
    assert!(e.contains(&p("junk.pem")), "{e}");
    assert!(e.contains("no certificate"), "{e}");
}
