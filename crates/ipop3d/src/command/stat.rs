//! STAT (RFC 1939 §5): count and size of the messages not deleted.

use super::{Ctx, Transition};
use crate::maildrop::Maildrop;

pub(crate) fn run(ctx: Ctx<'_>, drop: &Maildrop) -> Transition {
    let (n, size) = drop.stat();
    ctx.out.ok(&format!("{n} {size}"));
    Transition::Stay
}
