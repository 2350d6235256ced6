//! LAST (RFC 1460, dropped by RFC 1725; Panda keeps it): the highest message number
//! accessed, starting at the last message already seen at login.

use super::{Ctx, Transition};
use crate::maildrop::Maildrop;

pub(crate) fn run(ctx: Ctx<'_>, drop: &Maildrop) -> Transition {
    ctx.out.ok(&drop.last().to_string());
    Transition::Stay
}
