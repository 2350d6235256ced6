//! RENAME (RFC 3501 §6.3.5); the selected mailbox cannot be renamed. Renaming INBOX
//! moves its messages and leaves it empty.

use super::{Authed, Ctx, Done, mailbox_name};
use crate::respond::Failure;

pub(crate) fn run(_ctx: Ctx<'_>, a: &Authed, from: &[u8], to: &[u8]) -> Result<Done, Failure> {
    let (from, to) = (mailbox_name(from)?, mailbox_name(to)?);
    if !to.is_ascii() {
        return Err(Failure::no("Invalid mailbox name: 8-bit characters"));
    }
    if a.is_selected(from) {
        return Err(Failure::no_code(
            "INUSE",
            "Can not RENAME the selected mailbox",
        ));
    }
    a.store.rename(from, to)?;
    Ok(Done::ok("RENAME completed").polling())
}
