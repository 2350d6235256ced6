//! Mailbox formats.
pub mod unix;
