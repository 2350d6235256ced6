//! NAMESPACE (RFC 2342). The personal namespace is the mail directory; other users'
//! and shared namespaces are offered only where the store can open them (a store with
//! restrictions, as virtual users have, has none).

use super::{Authed, Ctx, Done};
use crate::respond::Failure;

pub(crate) fn run(ctx: Ctx<'_>, a: &Authed) -> Result<Done, Failure> {
    let others = if a.store.config().restrict.other_users() {
        "NIL"
    } else {
        "((\"~\" \"/\"))"
    };
    ctx.out
        .text("* NAMESPACE ((\"\" \"/\")) ")
        .text(others)
        .text(" NIL\r\n");
    Ok(Done::ok("NAMESPACE completed").polling())
}
