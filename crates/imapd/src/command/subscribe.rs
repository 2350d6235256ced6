//! SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6, §6.3.7), kept in `~/.mailboxlist`.

use super::{Authed, Ctx, Done};
use crate::respond::Failure;

/// Which of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// SUBSCRIBE.
    Subscribe,
    /// UNSUBSCRIBE.
    Unsubscribe,
}

pub(crate) fn run(
    _ctx: Ctx<'_>,
    a: &Authed,
    mailbox: &[u8],
    change: Change,
) -> Result<Done, Failure> {
    let owned = a.mailbox(mailbox)?;
    let name = owned.as_str();
    match change {
        Change::Subscribe => {
            a.store.subscribe(name)?;
            Ok(Done::ok("SUBSCRIBE completed").polling())
        }
        Change::Unsubscribe => {
            a.store.unsubscribe(name)?;
            Ok(Done::ok("UNSUBSCRIBE completed").polling())
        }
    }
}
