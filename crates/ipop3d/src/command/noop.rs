//! NOOP (RFC 1939 §5).

use super::{Ctx, Transition};

pub(crate) fn run(ctx: Ctx<'_>) -> Transition {
    ctx.out.ok("No-op to you too!");
    Transition::Stay
}
