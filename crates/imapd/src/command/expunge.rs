//! EXPUNGE and UID EXPUNGE (RFC 3501 §6.4.3, RFC 4315).

use imap_proto::command::Numbers;
use imap_proto::sequence::SequenceSet;
use mailstore::Uid;
use mailstore::mailbox::ExpungeScope;

use super::{Ctx, Done};
use crate::respond::Failure;
use crate::selected::Selected;

pub(crate) fn run(
    ctx: Ctx<'_>,
    sel: &mut Selected,
    uids: Option<&SequenceSet>,
) -> Result<Done, Failure> {
    if !sel.writable() {
        return Err(Failure::no_code("READ-ONLY", "Mailbox is read-only"));
    }
    let gone = match uids {
        None => sel.mailbox.expunge(ExpungeScope::AllDeleted)?,
        Some(set) => {
            let seqs = sel.resolve(Numbers::Uid, set)?;
            let list: Vec<Uid> = seqs
                .iter()
                .filter_map(|s| sel.messages().get(s.index()).map(|m| m.uid))
                .collect();
            if list.is_empty() {
                Vec::new()
            } else {
                sel.mailbox.expunge(ExpungeScope::Uids(&list))?
            }
        }
    };
    for seq in gone {
        ctx.out.text("* ").num(seq.get()).text(" EXPUNGE\r\n");
        sel.exists = sel.exists.saturating_sub(1);
    }
    Ok(Done::ok("EXPUNGE completed").polling())
}
