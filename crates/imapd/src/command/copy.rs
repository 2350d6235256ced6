//! COPY, UID COPY (RFC 3501 §6.4.7, COPYUID of RFC 4315) and MOVE, UID MOVE (RFC 6851).

use imap_proto::command::{CopyKind, Numbers};
use imap_proto::sequence::{SequenceSet, compact};
use mailstore::mailbox::{AppendMessage, AppendOutcome, ExpungeScope, FlagOp, Part as StorePart};
use mailstore::{CopyKeywords, Flags, Uid};

use super::{Authed, Ctx, Done};
use crate::respond::Failure;

pub(crate) fn run(
    ctx: Ctx<'_>,
    a: &mut Authed,
    numbers: Numbers,
    set: &SequenceSet,
    mailbox: &[u8],
    kind: CopyKind,
) -> Result<Done, Failure> {
    let owned = a.mailbox(mailbox)?;
    let name = owned.as_str();
    let to_self = a.is_selected(name);
    let Authed {
        store, selected, ..
    } = a;
    let Some(sel) = selected.as_mut() else {
        return Err(Failure::bad("No mailbox selected"));
    };
    let verb = match kind {
        CopyKind::Copy => "COPY",
        CopyKind::Move => "MOVE",
    };
    if kind == CopyKind::Move && !sel.writable() {
        return Err(Failure::no_code("READ-ONLY", "Mailbox is read-only"));
    }
    let seqs = sel.resolve(numbers, set)?;
    if seqs.is_empty() {
        return Ok(Done::ok(format!("{verb} completed: no messages")));
    }
    let src_uids: Vec<Uid> = seqs
        .iter()
        .filter_map(|s| sel.messages().get(s.index()).map(|m| m.uid))
        .collect();
    let outcome: AppendOutcome = if to_self {
        if !sel.writable() {
            return Err(Failure::no_code("READ-ONLY", "Mailbox is read-only"));
        }
        // Read first: the messages go into the mailbox they are read from.
        let table = sel.mailbox.keywords().to_vec();
        let mut msgs = Vec::with_capacity(seqs.len());
        for &seq in &seqs {
            let info = sel.messages()[seq.index()].clone();
            msgs.push(AppendMessage {
                data: sel.mailbox.fetch(seq, StorePart::Whole)?,
                flags: info.flags.intersect(Flags::SETTABLE),
                keywords: info
                    .keywords
                    .iter()
                    .filter_map(|k| table.get(k).cloned())
                    .collect(),
                date: Some(info.internal_date),
            });
        }
        sel.mailbox.append(&mut msgs.into_iter().map(Ok))?
    } else {
        store
            .copy(&mut *sel.mailbox, &seqs, name, CopyKeywords::Keep)
            .map_err(|e| Failure::from(e).try_create())?
    };
    let copyuid = outcome
        .uids
        .as_ref()
        .filter(|(_, d)| !d.is_empty())
        .map(|(v, dst)| {
            let src: Vec<u32> = src_uids.iter().map(|u| u.get()).collect();
            let dst: Vec<u32> = dst.iter().map(|u| u.get()).collect();
            format!("COPYUID {} {} {}", v.get(), compact(&src), compact(&dst))
        });
    match kind {
        CopyKind::Copy => {
            let done = Done::ok("COPY completed");
            Ok(match copyuid {
                Some(c) => done.code(c),
                None => done,
            })
        }
        CopyKind::Move => {
            if let Some(c) = &copyuid {
                ctx.out.status(None, "OK", Some(c), "Moved");
            }
            sel.mailbox
                .set_flags(&seqs, FlagOp::Add, Flags::DELETED, &[])?;
            let gone = sel.mailbox.expunge(ExpungeScope::Uids(&src_uids))?;
            for seq in gone {
                ctx.out.text("* ").num(seq.get()).text(" EXPUNGE\r\n");
                sel.exists = sel.exists.saturating_sub(1);
            }
            Ok(Done::ok("MOVE completed"))
        }
    }
}
