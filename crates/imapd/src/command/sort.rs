//! SORT and UID SORT (RFC 5256).

use imap_proto::command::{Numbers, SortCriterion};
use imap_proto::search::SearchKey;

use super::{Ctx, Done};
use crate::respond::Failure;
use crate::selected::Selected;

pub(crate) fn run(
    ctx: Ctx<'_>,
    sel: &mut Selected,
    numbers: Numbers,
    criteria: &[SortCriterion],
    charset: &[u8],
    key: &SearchKey,
) -> Result<Done, Failure> {
    let seqs = crate::search::run(sel, key, Some(charset))?;
    let mut facts = crate::sort::facts(sel, &seqs)?;
    crate::sort::order(&mut facts, criteria);
    ctx.out.text("* SORT");
    for f in &facts {
        let id = match numbers {
            Numbers::Sequence => f.seq.get(),
            Numbers::Uid => f.uid,
        };
        ctx.out.text(" ").num(id);
    }
    ctx.out.crlf();
    Ok(Done::ok("SORT completed"))
}
