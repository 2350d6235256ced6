//! The CAPABILITY list, which depends on the session (panda-inventory.md §1.2).

use server::config::Plaintext;
use server::session::Transport;

use crate::config::{SessionConfig, StartTls};

/// Whether the session has logged in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Not yet.
    PreAuth,
    /// Yes.
    PostAuth,
}

/// Whether plaintext passwords may be used now (FAQ 3.17, 3.18).
pub(crate) fn plaintext_allowed(cfg: &SessionConfig, transport: Transport) -> bool {
    match cfg.plaintext {
        Plaintext::Always => true,
        Plaintext::Never => false,
        Plaintext::TlsOnly => transport == Transport::Tls,
    }
}

/// Whether CRAM-MD5 is offered (a secrets file exists, as UW's `/etc/cram-md5.pwd`).
pub(crate) fn cram_offered(cfg: &SessionConfig) -> bool {
    cfg.cram.as_ref().is_some_and(|c| c.available())
}

/// Whether GSSAPI is offered (built with it and a keytab holds a key for the service).
pub(crate) fn gssapi_offered(cfg: &SessionConfig) -> bool {
    cfg.gssapi.as_ref().is_some_and(|g| g.offered())
}

/// Whether anonymous access is offered (the anonymous file exists, as UW's
/// `/etc/anonymous.newsgroups`).
pub(crate) fn anonymous_offered(cfg: &SessionConfig) -> bool {
    cfg.anonymous_file
        .as_deref()
        .is_some_and(std::path::Path::exists)
}

/// The capability names, space-separated.
pub(crate) fn list(cfg: &SessionConfig, transport: Transport, phase: Phase) -> String {
    let mut caps = vec!["IMAP4REV1", "I18NLEVEL=1", "LITERAL+"];
    match phase {
        Phase::PreAuth => {
            caps.push("SASL-IR");
            if transport == Transport::Plain && cfg.starttls == StartTls::Available {
                caps.push("STARTTLS");
            }
            let plain = plaintext_allowed(cfg, transport);
            if !plain {
                caps.push("LOGINDISABLED");
            }
            if cram_offered(cfg) {
                caps.push("AUTH=CRAM-MD5");
            }
            if gssapi_offered(cfg) {
                caps.push("AUTH=GSSAPI");
            }
            if anonymous_offered(cfg) {
                caps.push("AUTH=ANONYMOUS");
            }
            // PLAIN and LOGIN are hidden until the connection is encrypted (they still
            // work where plaintext is allowed).
            if plain && transport == Transport::Tls {
                caps.push("AUTH=PLAIN");
                caps.push("AUTH=LOGIN");
            }
        }
        Phase::PostAuth => caps.extend([
            "IDLE",
            "UIDPLUS",
            "NAMESPACE",
            "CHILDREN",
            "BINARY",
            "UNSELECT",
            "ESEARCH",
            "WITHIN",
            "SCAN",
            "SORT",
            "THREAD=ORDEREDSUBJECT",
            "THREAD=REFERENCES",
            "MULTIAPPEND",
            "ENABLE",
            "ID",
            "MOVE",
            "UTF8=ACCEPT",
        ]),
    }
    caps.join(" ")
}
