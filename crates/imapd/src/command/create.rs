//! CREATE (RFC 3501 §6.3.3). A trailing `/` makes a directory; `#driver.FORMAT/` chooses
//! the format. Names must be 7-bit (modified UTF-7).

use super::{Authed, Ctx, Done, mailbox_name};
use crate::respond::Failure;

pub(crate) fn run(_ctx: Ctx<'_>, a: &Authed, mailbox: &[u8]) -> Result<Done, Failure> {
    let name = mailbox_name(mailbox)?;
    if !name.is_ascii() {
        return Err(Failure::no("Invalid mailbox name: 8-bit characters"));
    }
    a.store.create(name)?;
    Ok(Done::ok("CREATE completed").polling())
}
