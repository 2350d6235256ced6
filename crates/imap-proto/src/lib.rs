//! The IMAP4rev1 wire protocol (RFC 3501) without I/O.
//!
//! Bytes come in and typed values come out; typed values go in and bytes come out. No
//! sockets, files or runtimes here (see `STYLE.md`, habit 4):
//!
//! - [`frame`]: cuts the client's byte stream into whole commands (lines and `{n}` /
//!   `{n+}` literals) under size limits, before anything is parsed; a command that breaks
//!   a limit is discarded whole and the session goes on;
//! - [`command`]: parses one whole command into a [`command::Command`];
//! - [`sequence`], [`fetch`], [`search`]: the grammar of sequence sets, FETCH attributes
//!   and SEARCH keys;
//! - [`mutf7`]: modified UTF-7, the spelling of international mailbox names;
//! - [`response`]: writes responses, choosing atom, quoted string or literal for each
//!   string as its contents require.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod client;
pub mod command;
pub mod fetch;
pub mod frame;
pub mod mutf7;
pub(crate) mod parse;
pub mod response;
pub mod search;
pub mod sequence;
