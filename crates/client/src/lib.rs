//! IMAP and POP3 clients behind c-client's remote mailbox names,
//! `{host[:port][/service][/switches]}mailbox` (inventory §7).
//!
//! Blocking I/O on `std::net` (the tools that use it are synchronous); the protocols come
//! from the sans-I/O crates `imap-proto`, `pop3-proto` and `sasl`; TLS is rustls.
//!
//! - [`RemoteName`]: parsing and the canonical spelling of names (§7.1);
//! - [`Session`]: connect (TLS per the switches, FAQ 4.3 and 4.4), log in (SASL, LOGIN,
//!   three attempts), and the mailbox operations; [`Prompt`] supplies what the name does
//!   not say (c-client's `mm_login`);
//! - [`ClientError`]: failures worded as c-client words them (FAQ 7.28–7.33).
//!
//! - [`Preauth`]: ssh and rsh pre-authentication (`host -l user exec /etc/rimapd`), only
//!   when `/etc/c-client.cf` configures it (FAQ 4.3, inventory §7.2).

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod conn;
mod error;
mod gssapi;
mod imap;
mod login;
mod name;
mod pop3;
mod preauth;
mod prompt;
mod session;
pub mod tls;

pub use conn::{Link, Route, Trace};
pub use error::ClientError;
pub use name::{CertCheck, Flag, NameError, RemoteName, Service, TlsMode, is_remote};
pub use preauth::{
    C_CLIENT_CF, C_CLIENT_CF_ENV, DEFAULT_TIMEOUT as DEFAULT_PREAUTH_TIMEOUT, Preauth,
    PreauthCommand, PreauthConfig, PreauthKind,
};
pub use prompt::{FixedPrompt, Prompt, Secret, TerminalPrompt};
pub use session::{
    Access, ClientOptions, ListItem, MessageMeta, Selected, Session, Status, StoreMode,
};
