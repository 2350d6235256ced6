//! What the IMAP and POP3 servers share: configuration, accounts and authentication, TLS,
//! and the quick start.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod auth;
pub mod cclient_cf;
pub mod config;
pub mod conn;
pub mod gssapi;
pub mod log;
pub mod quickstart;
pub mod session;
pub mod system_users;
pub mod tls;
pub mod transcript;
