//! ID (RFC 2971): the server says what it is; what the client says is not kept.

use super::{Ctx, Done};
use crate::respond::Failure;

pub(crate) fn run(ctx: Ctx<'_>) -> Result<Done, Failure> {
    ctx.out
        .text("* ID (\"name\" \"Panda IMAP in Rust\" \"version\" \"")
        .text(env!("CARGO_PKG_VERSION"))
        .text("\")\r\n");
    Ok(Done::ok("ID completed"))
}
