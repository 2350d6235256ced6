//! DELE (RFC 1939 §5): marks a message; it goes at QUIT.

use super::{Ctx, Transition};
use crate::maildrop::{Lookup, Maildrop};

pub(crate) fn run(ctx: Ctx<'_>, drop: &mut Maildrop, n: u32) -> Transition {
    match drop.lookup(n) {
        Lookup::Found(i) => {
            drop.delete(i);
            ctx.out.ok(&format!("Message {n} deleted"));
        }
        Lookup::Missing => {
            ctx.out.err("No such message");
        }
        Lookup::Deleted => {
            ctx.out.err(&format!("Message {n} already deleted"));
        }
    }
    Transition::Stay
}
