//! TLS server configuration (rustls), virtual hosts, and certificates for the quick
//! start.
//!
//! Virtual hosts (FAQ 3.19): UW picks `imapd-<ip>.pem` by the local address a client
//! connected to; here a `[[tls.host]]` is picked by the name the client asks for in its
//! hello (SNI), then by the local address, and `[tls]`'s own certificate serves the rest.
//! One rustls configuration is made per configured address, each resolving SNI names
//! the same way and falling back to its address's certificate.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS setup that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate or key file cannot be read or parsed.
    #[error("{path}: {what}")]
    File {
        /// The file.
        path: String,
        /// Why.
        what: String,
    },
    /// rustls refused the pair.
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
    /// A certificate could not be made.
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
}

/// The server's TLS: which configuration a connection gets.
#[derive(Debug)]
pub struct ServerTls {
    default: Arc<ServerConfig>,
    by_address: HashMap<IpAddr, Arc<ServerConfig>>,
}

impl ServerTls {
    /// Loads every certificate of `tls`; a file that cannot be read or parsed, or a key
    /// that does not match its certificate, is an error naming the file.
    pub fn load(tls: &crate::config::Tls) -> Result<ServerTls, TlsError> {
        let provider = Arc::clone(ServerConfig::builder().crypto_provider());
        let default = certified_key(&tls.cert, &tls.key, &provider)?;
        let mut names = HashMap::new();
        let mut addresses = Vec::new();
        for h in &tls.host {
            let ck = certified_key(&h.cert, &h.key, &provider)?;
            for n in &h.names {
                names.insert(n.to_ascii_lowercase(), Arc::clone(&ck));
            }
            for a in &h.address {
                addresses.push((a.to_canonical(), Arc::clone(&ck)));
            }
        }
        let names = Arc::new(names);
        let make = |fallback: Arc<CertifiedKey>| {
            let resolver = Resolver {
                names: Arc::clone(&names),
                fallback,
            };
            let mut cfg = ServerConfig::builder()
                .with_no_client_auth()
                .with_cert_resolver(Arc::new(resolver));
            if let Some(n) = tls.max_fragment {
                // rustls counts the record header (5 bytes) in the fragment size.
                cfg.max_fragment_size = Some(n + 5);
            }
            Arc::new(cfg)
        };
        let by_address = addresses.into_iter().map(|(a, ck)| (a, make(ck))).collect();
        Ok(ServerTls {
            default: make(default),
            by_address,
        })
    }

    /// The configuration for a connection to local address `local` (unknown on pipes).
    pub fn for_local(&self, local: Option<IpAddr>) -> Arc<ServerConfig> {
        let chosen = local.and_then(|a| self.by_address.get(&a.to_canonical()));
        Arc::clone(chosen.unwrap_or(&self.default))
    }
}

/// Picks a certificate by SNI name, else the connection's own.
#[derive(Debug)]
struct Resolver {
    names: Arc<HashMap<String, Arc<CertifiedKey>>>,
    fallback: Arc<CertifiedKey>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let by_name = hello.server_name().and_then(|n| self.by_name(n));
        Some(Arc::clone(by_name.unwrap_or(&self.fallback)))
    }
}

impl Resolver {
    /// The certificate for `name`, exactly or by a wildcard for its first label.
    fn by_name(&self, name: &str) -> Option<&Arc<CertifiedKey>> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.names.get(&name).or_else(|| {
            let (_, parent) = name.split_once('.')?;
            self.names.get(&format!("*.{parent}"))
        })
    }
}

/// A certificate chain and its key from PEM files, checked to belong together.
fn certified_key(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let chain = read_chain(cert)?;
    let der = PrivateKeyDer::from_pem_file(key).map_err(|e| file_err(key, &e))?;
    let ck = CertifiedKey::from_der(chain, der, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::File {
            path: key.display().to_string(),
            what: format!("not the key of the certificate in {}", cert.display()),
        },
        other => file_err(key, &other),
    })?;
    Ok(Arc::new(ck))
}

fn file_err(p: &Path, e: &dyn std::fmt::Display) -> TlsError {
    TlsError::File {
        path: p.display().to_string(),
        what: e.to_string(),
    }
}

fn read_chain(cert: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_err(cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(cert, &e))?;
    if chain.is_empty() {
        return Err(file_err(cert, &"no certificate in file"));
    }
    Ok(chain)
}

/// A server configuration from PEM files; `max_fragment` caps each record's plaintext
/// (Panda's 8 KiB workaround, FAQ 6.7).
pub fn server_config(
    cert: &Path,
    key: &Path,
    max_fragment: Option<usize>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let chain = read_chain(cert)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| file_err(key, &e))?;
    let mut cfg = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    if let Some(n) = max_fragment {
        // rustls counts the record header (5 bytes) in the fragment size.
        cfg.max_fragment_size = Some(n + 5);
    }
    Ok(Arc::new(cfg))
}

/// A self-signed certificate and key (PEM) naming `localhost`, `127.0.0.1` and `::1`.
pub fn self_signed() -> Result<(String, String), TlsError> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)?;
    Ok((certified.cert.pem(), certified.signing_key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_loads() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = self_signed().unwrap();
        std::fs::write(dir.path().join("c.pem"), c).unwrap();
        std::fs::write(dir.path().join("k.pem"), k).unwrap();
        let cfg = server_config(
            &dir.path().join("c.pem"),
            &dir.path().join("k.pem"),
            Some(8192),
        )
        .unwrap();
        assert_eq!(cfg.max_fragment_size, Some(8197));
        assert!(server_config(&dir.path().join("none"), &dir.path().join("k.pem"), None).is_err());
    }

    #[test]
    fn key_in_the_certificate_file_as_uw() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = self_signed().unwrap();
        let both = dir.path().join("imapd-127.0.0.2.pem");
        std::fs::write(&both, format!("{c}{k}")).unwrap();
        let tls = crate::config::Tls {
            cert: both.clone(),
            key: both.clone(),
            max_fragment: None,
            host: vec![crate::config::TlsHost {
                cert: both.clone(),
                key: both,
                address: vec!["127.0.0.2".parse().unwrap()],
                names: vec![],
            }],
        };
        let t = ServerTls::load(&tls).unwrap();
        let two = "::ffff:127.0.0.2".parse().ok();
        assert!(!Arc::ptr_eq(&t.for_local(two), &t.for_local(None)));
    }
}
