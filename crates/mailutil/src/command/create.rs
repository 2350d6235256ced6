//! `create MAILBOX`: a new, empty mailbox (`#driver.FORMAT/NAME` picks its format).

use super::{Context, Outcome};
use crate::access::cant;

/// Creates mailbox `name`.
pub fn run(ctx: &Context, name: &str) -> Outcome {
    match ctx.mailboxes.create(name, &[]) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            eprintln!("{}", cant("create", name, &e));
            Outcome::Failure
        }
    }
}
