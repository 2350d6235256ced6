//! What a POP3 session is told by whoever starts it.

use std::sync::Arc;
use std::time::Duration;

use server::auth::{Authenticator, CramSecrets};
use server::config::Plaintext;
use server::gssapi::Gssapi;
use server::log::Log;

/// The settings every POP3 session of one server shares.
#[derive(Debug, Clone)]
pub struct Pop3Config {
    /// The server's name in the greeting and the APOP challenge.
    pub hostname: String,
    /// When plaintext passwords (USER/PASS, AUTH PLAIN and LOGIN) are allowed.
    pub plaintext: Plaintext,
    /// Whether STLS can be offered.
    pub tls: TlsOffer,
    /// Autologout before login (3 minutes).
    pub login_timeout: Duration,
    /// Autologout after login (10 minutes).
    pub idle_timeout: Duration,
    /// How long a session must have been idle before it gives its mailbox to a process
    /// that asks (the kiss of death; 5 minutes, as Panda).
    pub kod_after: Duration,
    /// How long a failed login waits before its answer.
    pub failed_login_delay: Duration,
    /// The CRAM-MD5/APOP secrets, if any (APOP and CRAM-MD5 are offered when the file
    /// exists).
    pub cram: Option<Arc<CramSecrets>>,
    /// GSSAPI settings, if AUTH GSSAPI may be offered.
    pub gssapi: Option<Arc<Gssapi>>,
    /// Who may log in.
    pub auth: Arc<dyn Authenticator>,
    /// Where log lines go.
    pub log: Arc<dyn Log>,
}

/// Whether STLS is possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsOffer {
    /// A certificate is configured.
    Available,
    /// None is.
    Unavailable,
}

impl Pop3Config {
    /// A configuration with Panda's defaults.
    pub fn new(hostname: &str, auth: Arc<dyn Authenticator>, log: Arc<dyn Log>) -> Self {
        Pop3Config {
            hostname: hostname.to_owned(),
            plaintext: Plaintext::TlsOnly,
            tls: TlsOffer::Unavailable,
            login_timeout: Duration::from_secs(180),
            idle_timeout: Duration::from_secs(600),
            kod_after: Duration::from_secs(300),
            failed_login_delay: Duration::from_secs(3),
            cram: None,
            gssapi: None,
            auth,
            log,
        }
    }
}
