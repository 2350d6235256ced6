//! RENAME (RFC 3501 §6.3.5); the selected mailbox cannot be renamed. Renaming INBOX
//! moves its messages and leaves it empty. The new name is checked as CREATE checks it;
//! the old one may be any name that exists.

use super::{Authed, Ctx, Done};
use crate::names::{NewName, new_name};
use crate::respond::Failure;

pub(crate) fn run(_ctx: Ctx<'_>, a: &Authed, from: &[u8], to: &[u8]) -> Result<Done, Failure> {
    let from = a.mailbox(from)?;
    let to = new_name(to, a.utf8, NewName::Rename)?;
    if a.is_selected(&from) {
        return Err(Failure::no_code(
            "INUSE",
            "Can not RENAME the selected mailbox",
        ));
    }
    a.store.rename(&from, &to)?;
    Ok(Done::ok("RENAME completed").polling())
}
