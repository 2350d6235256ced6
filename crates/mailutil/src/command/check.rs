//! `check [MAILBOX]`: the counts of a mailbox (INBOX by default), as c-client's
//! `mm_status` prints them.

use super::{Context, Outcome};
use crate::access::cant;

/// Prints `N new message(s) (M unseen), T total in NAME` or `No new messages, T total
/// in NAME`.
pub fn run(ctx: &Context, name: &str) -> Outcome {
    match ctx.mailboxes.status(name) {
        Ok(s) => {
            if s.recent > 0 || s.unseen > 0 {
                print!("{} new message(s) ({} unseen),", s.recent, s.unseen);
            } else {
                print!("No new messages,");
            }
            println!(" {} total in {name}", s.messages);
            Outcome::Success
        }
        Err(e) => {
            eprintln!("{}", cant("get status of", name, &e));
            Outcome::Failure
        }
    }
}
