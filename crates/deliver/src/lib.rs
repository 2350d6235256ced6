//! Local mail delivery, as UW's tools do it, over our mail store.
//!
//! - [`tmail`]: the delivery agent an MTA runs (as root, or setuid root) for each message,
//!   `tmail [-D] [-b format] [-I inbox] [-f from] user[+folder] ...`: the message goes to
//!   each recipient's INBOX in whatever format it is, written by a process that has become
//!   the recipient;
//! - [`dmail`]: the same for procmail, run as the recipient, `dmail [-D] [-s] [-k
//!   keywords] [-f from] [user][+folder]`;
//! - [`mlock`]: the setgid-`mail` helper that makes `<mailbox>.lock` for a process that may
//!   not write the spool directory (FAQ 7.10).
//!
//! What the three share lives in the other modules: the exit codes ([`sysexits`]), how a
//! message is prepared from standard input ([`message`]), what is said on standard error
//! and syslog ([`report`]), the checks made on a mailbox before and after delivering to it
//! ([`safety`]) and the delivery itself ([`target`]).
//!
//! Source of the behaviour: panda-inventory.md §6.2–6.4; UW's `tmail.c`, `dmail.c`,
//! `mlock.c` and their manual pages.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod dmail;
pub mod message;
pub mod mlock;
pub mod report;
pub mod safety;
pub mod sysexits;
pub mod target;
pub mod tmail;
