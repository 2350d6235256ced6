//! DELETE (RFC 3501 §6.3.4); the selected mailbox cannot be deleted.

use super::{Authed, Ctx, Done};
use crate::respond::Failure;

pub(crate) fn run(_ctx: Ctx<'_>, a: &Authed, mailbox: &[u8]) -> Result<Done, Failure> {
    let owned = a.mailbox(mailbox)?;
    let name = owned.as_str();
    if a.is_selected(name) {
        return Err(Failure::no_code(
            "INUSE",
            "Can not DELETE the selected mailbox",
        ));
    }
    a.store.delete(name)?;
    Ok(Done::ok("DELETE completed").polling())
}
