//! The mail store: c-client's role in Panda IMAP, in Rust.
//!
//! A [`Store`] is one user's view of their mail: it resolves mailbox names
//! ([`name`]), finds each mailbox's format ([`driver`]), opens mailboxes as
//! [`Mailbox`] sessions, and creates, deletes, renames, lists and subscribes. Locking
//! ([`lock`]) interoperates with UW c-client processes working on the same files, and
//! every rewrite is journaled so that a crash loses nothing.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub(crate) mod clock;
pub mod config;
pub mod derived;
pub mod driver;
pub mod error;
pub(crate) mod journal;
pub mod list;
pub mod lock;
pub mod mailbox;
pub mod name;
pub mod namespace;
pub mod notify;
pub mod store;
pub mod types;

pub use config::{Format, StoreConfig};
pub use error::{Error, Result};
pub use list::{Attributes, ListEntry};
pub use mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
pub use store::{CopyKeywords, Store};
pub use types::*;
