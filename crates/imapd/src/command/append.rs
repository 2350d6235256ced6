//! APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502) and APPENDUID (RFC 4315). A
//! missing mailbox says TRYCREATE, but INBOX is made when needed.

use imap_proto::command::AppendItem;
use imap_proto::sequence::compact;
use mailstore::mailbox::{AppendMessage, AppendOutcome};

use super::store::parse_flags;
use super::{Authed, Ctx, Done};
use crate::respond::Failure;

pub(crate) fn run(
    _ctx: Ctx<'_>,
    a: &mut Authed,
    mailbox: &[u8],
    items: Vec<AppendItem>,
) -> Result<Done, Failure> {
    let owned = a.mailbox(mailbox)?;
    let name = owned.as_str();
    let mut msgs = Vec::with_capacity(items.len());
    for it in items {
        if it.message.is_empty() {
            return Err(Failure::no("Empty message"));
        }
        let (flags, keywords) = parse_flags(&it.flags)?;
        msgs.push(AppendMessage {
            data: it.message,
            flags,
            keywords,
            date: it.date,
        });
    }
    let mut iter = msgs.into_iter().map(Ok);
    let outcome: AppendOutcome = if a.is_selected(name) {
        match a.selected.as_mut() {
            Some(sel) if sel.writable() => sel.mailbox.append(&mut iter)?,
            _ => a
                .store
                .append(name, &mut iter)
                .map_err(|e| Failure::from(e).try_create())?,
        }
    } else {
        a.store
            .append(name, &mut iter)
            .map_err(|e| Failure::from(e).try_create())?
    };
    let done = Done::ok("APPEND completed").polling();
    Ok(match outcome.uids {
        Some((validity, uids)) if !uids.is_empty() => {
            let list: Vec<u32> = uids.iter().map(|u| u.get()).collect();
            done.code(format!("APPENDUID {} {}", validity.get(), compact(&list)))
        }
        _ => done,
    })
}
