//! CREATE (RFC 3501 §6.3.3). A trailing `/` makes a directory; `#driver.FORMAT/` chooses
//! the format. The name must be valid modified UTF-7 without 8-bit octets, or UTF-8 from
//! a client that enabled UTF8=ACCEPT (see [`crate::names`]).

use super::{Authed, Ctx, Done};
use crate::names::{NewName, new_name};
use crate::respond::Failure;

pub(crate) fn run(_ctx: Ctx<'_>, a: &Authed, mailbox: &[u8]) -> Result<Done, Failure> {
    let name = new_name(mailbox, a.utf8, NewName::Create)?;
    a.store.create(&name)?;
    Ok(Done::ok("CREATE completed").polling())
}
