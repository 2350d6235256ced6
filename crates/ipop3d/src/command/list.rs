//! LIST and UIDL (RFC 1939 §5, §7): sizes, and unique ids as Panda's (UIDVALIDITY and UID
//! in hex, so they survive reconnects and match Panda's for the same mailbox).

use super::{Ctx, Transition};
use crate::maildrop::{Lookup, Maildrop};

/// Which listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listing {
    /// LIST: sizes.
    Sizes,
    /// UIDL: unique ids.
    Uids,
}

pub(crate) fn run(ctx: Ctx<'_>, drop: &Maildrop, msg: Option<u32>, what: Listing) -> Transition {
    let item = |i: usize| match what {
        Listing::Sizes => drop.size(i).to_string(),
        Listing::Uids => drop.uid_string(i),
    };
    match msg {
        Some(n) => match drop.lookup(n) {
            Lookup::Found(i) => {
                ctx.out.ok(&format!("{n} {}", item(i)));
            }
            Lookup::Missing => {
                ctx.out.err("No such message");
            }
            Lookup::Deleted => {
                ctx.out.err("Message deleted");
            }
        },
        None => {
            ctx.out.ok(match what {
                Listing::Sizes => "Mailbox scan listing follows",
                Listing::Uids => "Unique-ID listing follows",
            });
            match what {
                Listing::Sizes => {
                    for (n, size) in drop.sizes() {
                        ctx.out.line(&format!("{n} {size}"));
                    }
                }
                Listing::Uids => {
                    for (n, uid) in drop.uids() {
                        ctx.out.line(&format!("{n} {uid}"));
                    }
                }
            }
            ctx.out.end();
        }
    }
    Transition::Stay
}
