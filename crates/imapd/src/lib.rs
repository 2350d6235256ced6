//! The IMAP session (RFC 3501 with the extensions Panda serves), over the mail store.
//!
//! [`ImapSession`] is one client's session: it takes the client's bytes, cuts them into
//! commands with `imap-proto`'s framer, checks each command against the session's state
//! in one table ([`session`]'s `dispatch`), runs it in its own module under
//! [`command`], and answers with bytes. It implements [`server::session::Session`], so
//! the daemon and the inetd mode carry it the same way.
//!
//! This is the only crate that knows both the protocol and the store: store values become
//! response items here (`fetch`, `search`), store errors become response codes in one
//! place (`respond`).

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod capability;
mod command;
pub mod config;
mod fetch;
mod names;
mod respond;
mod search;
mod selected;
pub mod session;
mod sort;
mod thread;

pub use config::{NulBytes, SessionConfig, Timeouts};
pub use session::ImapSession;
