//! NOOP (RFC 3501 §6.1.2): lets changes be told.

use super::{Ctx, Done};
use crate::respond::Failure;

pub(crate) fn run(_ctx: Ctx<'_>) -> Result<Done, Failure> {
    Ok(Done::ok("NOOP completed").polling())
}
