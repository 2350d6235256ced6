//! CAPABILITY (RFC 3501 §6.1.1).

use super::{Ctx, Done};
use crate::capability::{self, Phase};
use crate::respond::Failure;

pub(crate) fn run(ctx: Ctx<'_>, phase: Phase) -> Result<Done, Failure> {
    ctx.out
        .text("* CAPABILITY ")
        .text(&capability::list(ctx.cfg, ctx.transport, phase))
        .crlf();
    Ok(Done::ok("CAPABILITY completed").polling())
}
