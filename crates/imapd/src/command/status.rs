//! STATUS (RFC 3501 §6.3.10). On the selected mailbox it is a client bug (a client should
//! not ask), answered from the open mailbox after Panda's warning (FAQ 7.39).

use imap_proto::command::StatusItem;

use super::{Authed, Ctx, Done};
use crate::names;
use crate::respond::Failure;

pub(crate) fn run(
    ctx: Ctx<'_>,
    a: &Authed,
    mailbox: &[u8],
    items: &[StatusItem],
) -> Result<Done, Failure> {
    let owned = a.mailbox(mailbox)?;
    let name = owned.as_str();
    let st = match &a.selected {
        Some(sel) if a.is_selected(name) => {
            ctx.out.status(
                None,
                "NO",
                None,
                &format!(
                    "CLIENT BUG DETECTED: STATUS on selected mailbox: {}",
                    names::to_client(name, a.utf8)
                ),
            );
            sel.mailbox.status()
        }
        _ => a.store.status(name)?,
    };
    let out = &mut *ctx.out;
    out.text("* STATUS ");
    names::write(out, name, a.utf8);
    out.text(" (");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.text(" ");
        }
        let (word, n) = match item {
            StatusItem::Messages => ("MESSAGES", st.messages),
            StatusItem::Recent => ("RECENT", st.recent),
            StatusItem::Unseen => ("UNSEEN", st.unseen),
            StatusItem::UidNext => ("UIDNEXT", st.uid_next.get()),
            StatusItem::UidValidity => ("UIDVALIDITY", st.uid_validity.get()),
        };
        out.text(word).text(" ").num(n);
    }
    out.text(")\r\n");
    Ok(Done::ok("STATUS completed").polling())
}
