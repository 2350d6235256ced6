//! RETR and TOP (RFC 1939 §7): the message with Panda's `Status:` line, dot-stuffed; TOP
//! gives the header and the first lines of the body. RETR marks the message for `\Seen`
//! at QUIT.

use super::{Ctx, Transition};
use crate::maildrop::{Lookup, Maildrop};

/// All of it, or the header and some body lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Extent {
    /// RETR.
    Whole,
    /// TOP n.
    Top(u32),
}

pub(crate) fn run(ctx: Ctx<'_>, drop: &mut Maildrop, n: u32, extent: Extent) -> Transition {
    let i = match drop.lookup(n) {
        Lookup::Found(i) => i,
        Lookup::Missing => {
            ctx.out.err("No such message");
            return Transition::Stay;
        }
        Lookup::Deleted => {
            ctx.out.err("Message deleted");
            return Transition::Stay;
        }
    };
    let (header, body) = match drop.message(i) {
        Ok(m) => m,
        Err(e) => {
            ctx.out.err(&format!("Can't read message: {e}"));
            return Transition::Stay;
        }
    };
    match extent {
        Extent::Whole => {
            ctx.out.ok(&format!("{} octets", drop.size(i)));
            ctx.out.data(&header).data(&body).end();
            drop.retrieved(i);
        }
        Extent::Top(lines) => {
            ctx.out.ok("Top of message follows");
            let mut end = 0;
            for _ in 0..lines {
                match memchr::memchr(b'\n', &body[end..]) {
                    Some(p) => end += p + 1,
                    None => {
                        end = body.len();
                        break;
                    }
                }
            }
            ctx.out.data(&header).data(&body[..end]).end();
        }
    }
    Transition::Stay
}
