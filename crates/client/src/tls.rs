//! TLS by rustls, with c-client's certificate failure messages.
//!
//! Trust anchors are the system's bundle (`/etc/ssl/certs/ca-certificates.crt`, or the file
//! named by `SSL_CERT_FILE`), loaded here with rustls-pki-types' PEM reader rather than a
//! further crate, plus any anchors the caller adds ([`crate::ClientOptions`]). With
//! `/novalidate-cert` every certificate is taken (handshake signatures are still checked).
//!
//! A refused certificate is reported as c-client reports it: `Certificate failure for
//! HOST: REASON: SUBJECT`, where REASON is the text OpenSSL's `X509_verify_cert_error_string`
//! gives for the same failure (c-client passes it on) or c-client's own name check text,
//! and SUBJECT is OpenSSL's one-line form of the certificate's subject (`/CN=host`):
//!
//! | failure                                   | REASON                                   |
//! |-------------------------------------------|------------------------------------------|
//! | self-signed certificate, not trusted      | `self signed certificate`                |
//! | issuer not among the trust anchors        | `unable to get local issuer certificate` |
//! | expired                                   | `certificate has expired`                |
//! | not yet valid                             | `certificate is not yet valid`           |
//! | host name not in the certificate          | `Server name does not match certificate` |
//!
//! Any other handshake failure is `TLS/SSL failure for HOST: SSL negotiation failed`
//! (FAQ 7.28).

use std::io;
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::ClientError;
use crate::name::CertCheck;

/// The system's CA bundle on Debian and its relatives.
pub const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A TLS stream over TCP.
pub type TlsStream = rustls::StreamOwned<ClientConnection, TcpStream>;

/// The trust anchors: the system bundle (or `SSL_CERT_FILE`), plus `extra`.
pub(crate) fn roots(bundle: Option<&Path>, extra: &[CertificateDer<'static>]) -> RootCertStore {
    let mut store = RootCertStore::empty();
    let env = std::env::var_os("SSL_CERT_FILE");
    let path = bundle
        .map(Path::to_path_buf)
        .or_else(|| env.map(Into::into))
        .unwrap_or_else(|| SYSTEM_BUNDLE.into());
    if let Ok(iter) = CertificateDer::pem_file_iter(&path) {
        store.add_parsable_certificates(iter.filter_map(Result::ok));
    }
    store.add_parsable_certificates(extra.iter().cloned());
    store
}

/// Checks certificates (or not) and remembers the last one seen, for the error message.
#[derive(Debug)]
struct Verifier {
    check: CertCheck,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.clone().into_owned());
        }
        match (self.check, &self.webpki) {
            (CertCheck::NoValidate, _) => Ok(ServerCertVerified::assertion()),
            (CertCheck::Validate, Some(v)) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            (CertCheck::Validate, None) => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Performs the TLS handshake on `tcp` for `host` (as named: brackets of an IP literal are
/// dropped for the check).
pub(crate) fn handshake(
    tcp: TcpStream,
    host: &str,
    check: CertCheck,
    roots: RootCertStore,
) -> Result<TlsStream, ClientError> {
    let fail = |reason: &str| ClientError::Tls {
        host: host.to_owned(),
        reason: reason.to_owned(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let webpki = if roots.is_empty() {
        None
    } else {
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|_| fail("SSL context failed"))?,
        )
    };
    let verifier = Arc::new(Verifier {
        check,
        webpki,
        provider: provider.clone(),
        seen: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| fail("SSL context failed"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_owned()).map_err(|_| fail("SSL connection failed"))?;
    let conn =
        ClientConnection::new(Arc::new(config), name).map_err(|_| fail("SSL connection failed"))?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            let cert = verifier.seen.lock().ok().and_then(|mut s| s.take());
            return Err(classify(host, &e, cert.as_ref()));
        }
    }
    Ok(stream)
}

/// The c-client message for a failed handshake.
fn classify(host: &str, e: &io::Error, cert: Option<&CertificateDer<'_>>) -> ClientError {
    let tls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let Some(rustls::Error::InvalidCertificate(ce)) = tls_error else {
        return ClientError::Tls {
            host: host.to_owned(),
            reason: "SSL negotiation failed".to_owned(),
        };
    };
    let der = cert.map(|c| c.as_ref()).unwrap_or_default();
    let reason = match ce {
        CertificateError::UnknownIssuer if is_self_issued(der) => {
            "self signed certificate".to_owned()
        }
        CertificateError::UnknownIssuer => "unable to get local issuer certificate".to_owned(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "certificate has expired".to_owned()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "certificate is not yet valid".to_owned()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "Server name does not match certificate".to_owned()
        }
        CertificateError::BadSignature => "certificate signature failure".to_owned(),
        CertificateError::Revoked => "certificate revoked".to_owned(),
        other => format!("{other:?}"),
    };
    ClientError::Certificate {
        host: host.to_owned(),
        reason,
        subject: subject_oneline(der).unwrap_or_default(),
    }
}

// --- a little DER, enough for the subject line (RFC 5280 §4.1) ---------------------------

/// One DER element: its tag, its contents, and what follows it.
fn der(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, &d| (a << 8) | usize::from(d));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The issuer and subject Names of a certificate, as raw DER contents.
fn issuer_and_subject(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, cert, _) = der(cert)?;
    let (_, tbs, _) = der(cert)?;
    let (tag, _, mut rest) = der(tbs)?;
    if tag == 0xa0 {
        // version [0] EXPLICIT; then serialNumber
        rest = der(rest)?.2;
    }
    let rest = der(rest)?.2; // signature AlgorithmIdentifier
    let (_, issuer, rest) = der(rest)?;
    let rest = der(rest)?.2; // validity
    let (_, subject, _) = der(rest)?;
    Some((issuer, subject))
}

/// Whether the certificate names itself as its issuer.
fn is_self_issued(cert: &[u8]) -> bool {
    issuer_and_subject(cert).is_some_and(|(i, s)| i == s)
}

/// OpenSSL's `X509_NAME_oneline` form of the subject: `/C=…/O=…/CN=…`.
pub(crate) fn subject_oneline(cert: &[u8]) -> Option<String> {
    let (_, mut rdns) = issuer_and_subject(cert)?;
    let mut out = String::new();
    while !rdns.is_empty() {
        let (_, set, rest) = der(rdns)?;
        rdns = rest;
        let mut atvs = set;
        while !atvs.is_empty() {
            let (_, atv, rest) = der(atvs)?;
            atvs = rest;
            let (_, oid, value) = der(atv)?;
            let (_, value, _) = der(value)?;
            let key = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x06] => "C",
                [0x55, 0x04, 0x07] => "L",
                [0x55, 0x04, 0x08] => "ST",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01] => "emailAddress",
                _ => "UNDEF",
            };
            out.push('/');
            out.push_str(key);
            out.push('=');
            out.push_str(&String::from_utf8_lossy(value));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_of_a_generated_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Panda");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            subject_oneline(cert.der()).as_deref(),
            Some("/O=Panda/CN=localhost")
        );
        assert!(is_self_issued(cert.der()));
        assert_eq!(subject_oneline(b"\x30\x85garbage"), None);
        assert!(!is_self_issued(b""));
    }
}
