//! `prune MAILBOX SEARCH_CRITERIA`: deletes and expunges the messages that match
//! c-client search criteria (see [`crate::criteria`]). The expunge takes any message
//! already flagged \Deleted with it, and the count printed includes them.
//!
//! As UW's `mailutil`, `prune` exits with status 1 even when it worked: scripts cannot
//! tell success from failure by the status, only by the output.

use super::{Context, Outcome};
use crate::access::{Access, cant};
use crate::criteria::Criteria;

/// Prunes mailbox `name` of the messages matching `criteria`.
pub fn run(ctx: &Context, name: &str, criteria: &Criteria) -> Outcome {
    let mut mailbox = match ctx.mailboxes.open(name, Access::ReadWrite) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{}", cant("open", name, &e));
            return Outcome::Failure;
        }
    };
    match mailbox.search(criteria) {
        Ok(found) if found.is_empty() => println!("No matching messages, so nothing purged"),
        Ok(found) => match mailbox.delete_and_expunge(&found) {
            Ok(purged) => {
                ctx.note_expunged(purged);
                println!("{purged} message(s) purged");
            }
            Err(e) => eprintln!("{}", e.reason()),
        },
        Err(e) => eprintln!("{}", e.reason()),
    }
    if let Err(e) = mailbox.close() {
        eprintln!("{}", e.reason());
    }
    // UW's status, whatever happened.
    Outcome::Failure
}
