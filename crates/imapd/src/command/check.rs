//! CHECK (RFC 3501 §6.4.1): pending flag changes to disk.

use super::{Ctx, Done};
use crate::respond::Failure;
use crate::selected::Selected;

pub(crate) fn run(_ctx: Ctx<'_>, sel: &mut Selected) -> Result<Done, Failure> {
    if sel.writable() {
        sel.mailbox.check()?;
    }
    Ok(Done::ok("CHECK completed").polling())
}
