//! The POP3 session (RFC 1939, with CAPA, STLS, SASL AUTH and APOP), over the mail store,
//! behaving as Panda's `ipop3d` (panda-inventory.md §2.1).
//!
//! [`Pop3Session`] takes the client's lines, runs each command in its own module under
//! [`command`] against the session's state, and answers. Only INBOX is served, opened
//! read-write; what the client does (RETR, DELE) is kept in the session and written to the
//! mailbox on QUIT alone, so a dropped connection changes nothing. It implements
//! [`server::session::Session`], so the daemon and the inetd mode carry it as they carry
//! the IMAP session.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod command;
pub mod config;
mod maildrop;
pub mod session;

pub use config::Pop3Config;
pub use session::Pop3Session;
