//! The mail store: c-client's role in Panda IMAP, in Rust.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]

pub mod driver;
pub mod error;
pub(crate) mod journal;
pub mod lock;
pub mod notify;
pub mod types;

pub use error::{Error, Result};
pub use types::*;
