//! What a session is told by whoever starts it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use server::auth::{Authenticator, CramSecrets};
use server::config::Plaintext;
use server::gssapi::Gssapi;
use server::log::Log;

/// The settings every session of one server shares.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The server's name in the greeting and BYE.
    pub hostname: String,
    /// When plaintext passwords are allowed.
    pub plaintext: Plaintext,
    /// Whether STARTTLS can be offered (a certificate is configured).
    pub starttls: StartTls,
    /// Autologout timers.
    pub timeouts: Timeouts,
    /// The system alert file (`/etc/imapd.alert`, FAQ 4.2), if any.
    pub alert_file: Option<PathBuf>,
    /// The file whose presence shuts the service (`/etc/nologin`), if any.
    pub nologin_file: Option<PathBuf>,
    /// The file whose presence allows anonymous access (`/etc/anonymous.newsgroups`,
    /// FAQ 4.1), if any.
    pub anonymous_file: Option<PathBuf>,
    /// How NUL bytes in message data are sent (FAQ 7.34).
    pub nul: NulBytes,
    /// How long a failed login waits before its answer.
    pub failed_login_delay: Duration,
    /// How often IDLE looks for changes.
    pub idle_poll: Duration,
    /// How often an idling client is sent `* OK Timeout in N minutes` (every other
    /// minute, as Panda, to keep NAT state alive).
    pub idle_keepalive: Duration,
    /// CRAM-MD5 secrets, if CRAM-MD5 is offered.
    pub cram: Option<Arc<CramSecrets>>,
    /// GSSAPI settings, if AUTH=GSSAPI may be offered.
    pub gssapi: Option<Arc<Gssapi>>,
    /// Who may log in.
    pub auth: Arc<dyn Authenticator>,
    /// Where log lines go.
    pub log: Arc<dyn Log>,
}

/// Whether STARTTLS is possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartTls {
    /// A certificate is configured.
    Available,
    /// None is.
    Unavailable,
}

/// How NUL bytes in message data are sent (RFC 3501 forbids them in literals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NulBytes {
    /// As 0x80, as Panda does (FAQ 7.34).
    #[default]
    As0x80,
    /// Unchanged.
    AsIs,
}

/// Autologout timers (panda-inventory.md §1.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Before login (3 minutes).
    pub login: Duration,
    /// After login, between commands (30 minutes, RFC 3501's minimum).
    pub idle: Duration,
    /// In the middle of a command: a literal or an AUTHENTICATE answer (5 minutes).
    pub input: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            login: Duration::from_secs(180),
            idle: Duration::from_secs(1800),
            input: Duration::from_secs(300),
        }
    }
}

impl SessionConfig {
    /// A configuration with Panda's defaults, for `hostname`, checking logins with `auth`.
    pub fn new(hostname: &str, auth: Arc<dyn Authenticator>, log: Arc<dyn Log>) -> Self {
        SessionConfig {
            hostname: hostname.to_owned(),
            plaintext: Plaintext::TlsOnly,
            starttls: StartTls::Unavailable,
            timeouts: Timeouts::default(),
            alert_file: Some(PathBuf::from("/etc/imapd.alert")),
            nologin_file: Some(PathBuf::from("/etc/nologin")),
            anonymous_file: Some(PathBuf::from("/etc/anonymous.newsgroups")),
            nul: NulBytes::As0x80,
            failed_login_delay: Duration::from_secs(3),
            idle_poll: Duration::from_secs(1),
            idle_keepalive: Duration::from_secs(120),
            cram: None,
            gssapi: None,
            auth,
            log,
        }
    }
}
