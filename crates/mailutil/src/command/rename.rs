//! `rename SOURCE DESTINATION`, within one store.

use super::{Context, Outcome};
use crate::access::{Error, cant};

/// Renames mailbox `from` to `to`.
pub fn run(ctx: &Context, from: &str, to: &str) -> Outcome {
    match ctx.mailboxes.rename(from, to) {
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
