//! Operating-system accounts.
//!
//! For now: checking and making password hashes with the system's own `crypt(3)`
//! (libxcrypt), so that every scheme the host's `passwd` can make (yescrypt, SHA-512,
//! bcrypt, MD5, …) verifies here too. Shadow, PAM and privilege drop come with system
//! users.

#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod crypt;
