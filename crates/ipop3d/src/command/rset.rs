//! RSET (RFC 1939 §5): forgets the session's DELE and RETR marks, and LAST.

use super::{Ctx, Transition};
use crate::maildrop::Maildrop;

pub(crate) fn run(ctx: Ctx<'_>, drop: &mut Maildrop) -> Transition {
    drop.reset();
    let (n, size) = drop.stat();
    ctx.out
        .ok(&format!("Reset state, {n} messages ({size} octets)"));
    Transition::Stay
}
