//! Operating-system accounts.
//!
//! - [`crypt`]: password hashes with the system's own `crypt(3)` (libxcrypt), so that every
//!   scheme the host's `passwd` can make (yescrypt, SHA-512, bcrypt, MD5, …) verifies here;
//! - [`account`]: accounts from the password database;
//! - [`shadow`]: passwords and expiry from `/etc/shadow`, as c-client's `ckp_psx`;
//! - [`pam`]: passwords, account checks and sessions through PAM;
//! - [`privilege`]: becoming the user, irreversibly.

#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod account;
pub mod crypt;
pub mod pam;
pub mod privilege;
pub mod shadow;
