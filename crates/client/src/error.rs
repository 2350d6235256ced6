//! What can go wrong, worded as c-client words it where it has words (FAQ 7.28–7.33,
//! `ssl_unix.c`, `tcp_unix.c`, `imap4r1.c`).

use crate::name::NameError;

/// A client error.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The name is not a remote name this client takes.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The host name does not resolve.
    #[error("No such host as {0}")]
    NoSuchHost(String),
    /// TCP connect failed.
    #[error("Can't connect to {host},{port}: {reason}")]
    Connect {
        /// The host.
        host: String,
        /// The port.
        port: u16,
        /// The system's words (`Connection refused`).
        reason: String,
    },
    /// The server's certificate was refused (FAQ 7.30–7.33).
    #[error("Certificate failure for {host}: {reason}: {subject}")]
    Certificate {
        /// The host as named.
        host: String,
        /// OpenSSL's words for the failure, as c-client passes them on
        /// (`self signed certificate`, `certificate has expired`,
        /// `unable to get local issuer certificate`) or c-client's own
        /// (`Server name does not match certificate`).
        reason: String,
        /// The certificate's subject, in OpenSSL's one-line form (`/CN=host`).
        subject: String,
    },
    /// TLS failed for another reason (FAQ 7.28).
    #[error("TLS/SSL failure for {host}: {reason}")]
    Tls {
        /// The host.
        host: String,
        /// `SSL negotiation failed`, or what failed.
        reason: String,
    },
    /// `/tls` was asked for and the server does not offer STARTTLS (FAQ 4.4).
    #[error("Unable to negotiate TLS with this server")]
    TlsRequired,
    /// The server sent LOGINDISABLED and no SASL mechanism usable here.
    #[error("Server disables LOGIN, no recognized SASL authenticator")]
    LoginDisabled,
    /// `/secure` and no way to log in without a plaintext password.
    #[error("Can't do secure authentication with this server")]
    NoSecureAuthentication,
    /// Three logins failed; the last server text is kept.
    #[error("Too many login failures")]
    TooManyLoginFailures {
        /// What the server said to the last attempt.
        last: String,
    },
    /// The server said NO or BAD; Display gives its words, `[CODE]` first.
    #[error("{0}")]
    Server(String),
    /// The server closed the connection, with its BYE text when it sent one.
    #[error("{0}")]
    Closed(String),
    /// The server sent something that is not the protocol.
    #[error("Protocol error: {0}")]
    Protocol(String),
    /// The operation does not exist for this service (most of them for POP3).
    #[error("{operation} is not supported by {service}")]
    Unsupported {
        /// The service.
        service: &'static str,
        /// What was asked.
        operation: &'static str,
    },
    /// Reading the user name or password failed.
    #[error("Can't read login credentials: {0}")]
    Prompt(std::io::Error),
    /// A read or write on the connection failed.
    #[error("Connection error: {0}")]
    Io(#[from] std::io::Error),
}

/// The system's words for an I/O error, without Rust's `(os error N)`.
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}
