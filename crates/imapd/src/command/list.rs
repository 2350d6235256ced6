//! LIST and LSUB (RFC 3501 §6.3.8, §6.3.9), and the legacy forms: RLIST/RLSUB (the same
//! here), SCAN (LIST of the mailboxes whose text holds a string) and IMAP2bis FIND.

use imap_proto::command::{FindScope, Utf8Mode};
use mailstore::ListEntry;
use mailstore::mailbox::Part as StorePart;
use mailstore::{Access, SeqNo};

use super::{Authed, Ctx, Done};
use crate::names::{self, Listing};
use crate::respond::Failure;
use crate::search::text::{self, Needle, WithHeader};

/// LIST or LSUB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    /// All mailboxes.
    List,
    /// Subscribed ones.
    Lsub,
}

pub(crate) fn run(
    ctx: Ctx<'_>,
    a: &Authed,
    reference: &[u8],
    pattern: &[u8],
    which: Which,
) -> Result<Done, Failure> {
    let l = Listing::new(reference, pattern, a.utf8)?;
    let (entries, word) = match which {
        Which::List => (a.store.list(&l.reference, &l.pattern)?, "LIST"),
        Which::Lsub => (a.store.lsub(&l.reference, &l.pattern)?, "LSUB"),
    };
    for e in entries.iter().filter(|e| l.keeps(&e.name)) {
        write_entry(ctx.out, word, e, a.utf8);
    }
    Ok(Done::ok(format!("{word} completed")).polling())
}

fn write_entry(out: &mut imap_proto::response::Writer, word: &str, e: &ListEntry, utf8: Utf8Mode) {
    out.text("* ").text(word).text(" (");
    out.text(&e.attributes.names().join(" "));
    out.text(") ");
    match e.delimiter {
        Some(d) => {
            out.text("\"").text(&d.to_string()).text("\"");
        }
        None => {
            out.text("NIL");
        }
    }
    out.text(" ");
    names::write(out, &e.name, utf8);
    out.crlf();
}

/// SCAN: LIST restricted to mailboxes with a message whose text holds `text`.
pub(crate) fn scan(
    ctx: Ctx<'_>,
    a: &Authed,
    reference: &[u8],
    pattern: &[u8],
    needle_text: &[u8],
) -> Result<Done, Failure> {
    let l = Listing::new(reference, pattern, a.utf8)?;
    let needle = Needle::new(&String::from_utf8_lossy(needle_text));
    for e in a.store.list(&l.reference, &l.pattern)? {
        if e.attributes.contains(mailstore::Attributes::NO_SELECT) || !l.keeps(&e.name) {
            continue;
        }
        let Ok(mut mb) = a.store.open(&e.name, Access::ReadOnly) else {
            continue;
        };
        let mut found = false;
        for i in 0..mb.messages().len() {
            let Some(seq) = SeqNo::from_index(i) else {
                break;
            };
            if let Ok(m) = mb.fetch(seq, StorePart::Whole)
                && text::in_message(&m, &needle, WithHeader::Yes)
            {
                found = true;
                break;
            }
        }
        let _ = mb.close(mailstore::mailbox::Close::Keep);
        if found {
            write_entry(ctx.out, "LIST", &e, a.utf8);
        }
    }
    Ok(Done::ok("SCAN completed").polling())
}

/// IMAP2bis FIND MAILBOXES / FIND ALL.MAILBOXES: `* MAILBOX name` lines.
pub(crate) fn find(
    ctx: Ctx<'_>,
    a: &Authed,
    scope: FindScope,
    pattern: &[u8],
) -> Result<Done, Failure> {
    let l = Listing::new(b"", pattern, a.utf8)?;
    let entries = match scope {
        FindScope::Subscribed => a.store.lsub("", &l.pattern)?,
        FindScope::All => a.store.list("", &l.pattern)?,
    };
    for e in entries
        .iter()
        .filter(|e| !e.attributes.contains(mailstore::Attributes::NO_SELECT) && l.keeps(&e.name))
    {
        ctx.out.text("* MAILBOX ");
        names::write(ctx.out, &e.name, a.utf8);
        ctx.out.crlf();
    }
    Ok(Done::ok("FIND completed").polling())
}
