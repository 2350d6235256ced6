//! THREAD and UID THREAD (RFC 5256).

use imap_proto::command::{Numbers, ThreadAlgorithm};
use imap_proto::search::SearchKey;

use super::{Ctx, Done};
use crate::respond::Failure;
use crate::selected::Selected;

pub(crate) fn run(
    ctx: Ctx<'_>,
    sel: &mut Selected,
    numbers: Numbers,
    algorithm: ThreadAlgorithm,
    charset: &[u8],
    key: &SearchKey,
) -> Result<Done, Failure> {
    let seqs = crate::search::run(sel, key, Some(charset))?;
    let facts = crate::sort::facts(sel, &seqs)?;
    let threads = crate::thread::threads(&facts, algorithm);
    ctx.out.text("* THREAD");
    if !threads.is_empty() {
        ctx.out.text(" ");
    }
    let id = |i: usize| match numbers {
        Numbers::Sequence => facts[i].seq.get(),
        Numbers::Uid => facts[i].uid,
    };
    crate::thread::write(ctx.out, &threads, &id);
    ctx.out.crlf();
    Ok(Done::ok("THREAD completed"))
}
