//! `rename SOURCE DESTINATION`, within one store or on one server.

use super::{Context, Outcome, again_after_connect_failure};
use crate::access::{Error, cant};

/// Renames mailbox `from` to `to`.
pub fn run(ctx: &Context, from: &str, to: &str) -> Outcome {
    match again_after_connect_failure(|| ctx.mailboxes.rename(from, to)) {
        Ok(()) => Outcome::Success,
        Err(Error::Local(mailstore::Error::AlreadyExists { .. })) => {
            // c-client's wording names the source first.
            eprintln!("Can't rename {from}: mailbox {to} already exists");
            Outcome::Failure
        }
        Err(e) => {
            eprintln!("{}", cant("rename", from, &e));
            Outcome::Failure
        }
    }
}
