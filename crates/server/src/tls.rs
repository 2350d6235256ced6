//! TLS server configuration (rustls), and certificates for the quick start.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
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

/// A server configuration from PEM files; `max_fragment` caps each record's plaintext
/// (Panda's 8 KiB workaround, FAQ 6.7).
pub fn server_config(
    cert: &Path,
    key: &Path,
    max_fragment: Option<usize>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let file_err = |p: &Path, e: &dyn std::fmt::Display| TlsError::File {
        path: p.display().to_string(),
        what: e.to_string(),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_err(cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(cert, &e))?;
    if chain.is_empty() {
        return Err(file_err(cert, &"no certificate in file"));
    }
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
}
