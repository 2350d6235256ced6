//! `delete MAILBOX`.

use super::{Context, Outcome, again_after_connect_failure};
use crate::access::cant;

/// Deletes mailbox `name`.
pub fn run(ctx: &Context, name: &str) -> Outcome {
    match again_after_connect_failure(|| ctx.mailboxes.delete(name)) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            eprintln!("{}", cant("delete", name, &e));
            Outcome::Failure
        }
    }
}
