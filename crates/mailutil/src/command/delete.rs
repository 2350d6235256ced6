//! `delete MAILBOX`.

use super::{Context, Outcome};
use crate::access::cant;

/// Deletes mailbox `name`.
pub fn run(ctx: &Context, name: &str) -> Outcome {
    match ctx.mailboxes.delete(name) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            eprintln!("{}", cant("delete", name, &e));
            Outcome::Failure
        }
    }
}
