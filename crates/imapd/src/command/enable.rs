//! ENABLE (RFC 5161). No capability this server has needs enabling, so none is.

use super::{Ctx, Done};
use crate::respond::Failure;

pub(crate) fn run(ctx: Ctx<'_>, _caps: &[Vec<u8>]) -> Result<Done, Failure> {
    ctx.out.text("* ENABLED\r\n");
    Ok(Done::ok("ENABLE completed"))
}
