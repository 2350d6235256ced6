//! LOGOUT (RFC 3501 §6.1.3). The mailbox is closed without expunging.

use super::{Ctx, Done, Transition};
use crate::respond::Failure;

pub(crate) fn run(ctx: Ctx<'_>) -> Result<Done, Failure> {
    ctx.out
        .text("* BYE ")
        .text(&ctx.cfg.hostname)
        .text(" IMAP4rev1 server terminating connection\r\n");
    Ok(Done::ok("LOGOUT completed").then(Transition::Logout))
}
