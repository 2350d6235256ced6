//! The client direction of IMAP, without I/O: what a client writes and what it reads.
//!
//! - [`command`]: writes tagged commands, choosing atom, quoted string or literal for each
//!   argument; a synchronising literal (`{n}`) splits the command into parts the caller
//!   sends one at a time, each after the server's `+` continuation; once the server
//!   advertises LITERAL+ (RFC 7888) literals are written `{n+}` and the command is one part;
//! - [`frame`]: cuts the server's byte stream into whole responses (lines and `{n}`
//!   literals) under size limits, before anything is parsed;
//! - [`response`]: parses one whole response into a typed [`response::Response`].
//!
//! Every function here takes any bytes without panicking; malformed input is a typed error.

pub mod command;
pub mod frame;
pub mod response;
