//! CLOSE (RFC 3501 §6.4.2) and UNSELECT (RFC 3691): leave the mailbox, CLOSE expunging
//! silently first when it may.

use mailstore::mailbox::Close;

use super::{Authed, Ctx, Done, Transition};
use crate::respond::Failure;

/// Which of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leave {
    /// CLOSE.
    Close,
    /// UNSELECT.
    Unselect,
}

pub(crate) fn run(_ctx: Ctx<'_>, a: &mut Authed, how: Leave) -> Result<Done, Failure> {
    let Some(sel) = a.selected.take() else {
        return Err(Failure::bad("No mailbox selected"));
    };
    let mode = if how == Leave::Close && sel.writable() {
        Close::Expunge
    } else {
        Close::Keep
    };
    let name = match how {
        Leave::Close => "CLOSE",
        Leave::Unselect => "UNSELECT",
    };
    sel.close(mode)?;
    Ok(Done::ok(format!("{name} completed")).then(Transition::Unselect))
}
