//! FETCH and UID FETCH (RFC 3501 §6.4.5); the work is in [`crate::fetch`].

use imap_proto::command::Numbers;
use imap_proto::fetch::FetchAttr;
use imap_proto::sequence::SequenceSet;

use super::{Ctx, Done};
use crate::respond::Failure;
use crate::selected::Selected;

pub(crate) fn run(
    ctx: Ctx<'_>,
    sel: &mut Selected,
    numbers: Numbers,
    set: &SequenceSet,
    attrs: &[FetchAttr],
) -> Result<Done, Failure> {
    crate::fetch::run(sel, ctx.cfg.nul, numbers, set, attrs, ctx.out)?;
    Ok(Done::ok("FETCH completed"))
}
