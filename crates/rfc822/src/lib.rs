//! Internet message syntax (RFC 5322, formerly RFC 822), with no I/O.
//!
//! This crate holds the pieces of message syntax that every other layer shares:
//!
//! - [`header`]: finding the end of a header block and walking its fields (with their
//!   continuation lines) as raw bytes, without decoding them;
//! - [`date`]: a point in time with the UTC offset it was written in, and the calendar
//!   arithmetic needed to print and read the date forms that mail software uses
//!   (RFC 5322 `Date:` values and the `ctime(3)` form of UNIX `From ` lines).
//!
//! - [`address`], [`envelope`]: address lists and the envelope IMAP's ENVELOPE gives;
//! - [`mime`]: the MIME structure of a message with byte ranges, for BODYSTRUCTURE and
//!   body sections;
//! - [`charset`]: every charset Panda knows, decoded to Unicode;
//! - [`decode`], [`text`]: transfer encodings, RFC 2047 words and the folding SEARCH
//!   compares with.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod address;
pub mod charset;
pub mod date;
pub mod decode;
pub mod envelope;
pub mod header;
pub mod mime;
pub mod text;

pub use date::{Civil, DateError, DateTime, Month, Weekday};
