//! SELECT and EXAMINE (RFC 3501 §6.3.1, §6.3.2).
//!
//! Any mailbox selected before is closed first (without expunging); if the new one
//! cannot be opened, none is selected.

use imap_proto::command::SelectMode;
use mailstore::{Access, Flags};

use super::{Authed, Ctx, Done, Transition};
use crate::respond::Failure;
use crate::selected::Selected;

pub(crate) fn run(
    ctx: Ctx<'_>,
    a: &mut Authed,
    mailbox: &[u8],
    mode: SelectMode,
) -> Result<Done, Failure> {
    if let Some(old) = a.selected.take() {
        old.close(mailstore::mailbox::Close::Keep)?;
    }
    let owned = a.mailbox(mailbox)?;
    let name = owned.as_str();
    let access = match mode {
        SelectMode::ReadWrite => Access::ReadWrite,
        SelectMode::ReadOnly => Access::ReadOnly,
    };
    let mb = a.store.open(name, access)?;
    let mut sel = Selected::new(mb, mode == SelectMode::ReadOnly);
    let out = &mut *ctx.out;
    sel.announce_counts(out);
    out.status(
        None,
        "OK",
        Some(&format!("UIDVALIDITY {}", sel.mailbox.uid_validity().get())),
        "UID validity status",
    );
    out.status(
        None,
        "OK",
        Some(&format!("UIDNEXT {}", sel.mailbox.uid_next().get())),
        "Predicted next UID",
    );
    sel.write_flags(out);
    if let Some(i) = sel
        .messages()
        .iter()
        .position(|m| !m.flags.contains(Flags::SEEN))
    {
        out.status(
            None,
            "OK",
            Some(&format!("UNSEEN {}", i + 1)),
            &format!("{} is first unseen", i + 1),
        );
    }
    let (code, verb) = (
        if sel.writable() {
            "READ-WRITE"
        } else {
            "READ-ONLY"
        },
        match mode {
            SelectMode::ReadWrite => "SELECT",
            SelectMode::ReadOnly => "EXAMINE",
        },
    );
    Ok(Done::ok(format!("{verb} completed"))
        .code(code)
        .then(Transition::Select(Box::new(sel))))
}
