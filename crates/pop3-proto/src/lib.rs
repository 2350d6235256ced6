//! The POP3 wire protocol (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH), with no
//! I/O: bytes in, commands out; responses in, bytes out.
//!
//! - [`frame`]: cutting the client's bytes into lines under a length limit;
//! - [`command`]: the commands, parsed;
//! - [`response`]: `+OK` / `-ERR` lines and multi-line answers with dot-stuffing.
//! - [`client`]: the client direction: status and multi-line replies, APOP timestamp, CAPA.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod client;
pub mod command;
pub mod frame;
pub mod response;
