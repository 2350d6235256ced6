//! `check [MAILBOX]`: the counts of a mailbox (INBOX by default), as c-client's
//! `mm_status` prints them.

use super::{Context, Outcome, again_after_connect_failure};
use crate::access::{Error, cant};

/// Prints `N new message(s) (M unseen), T total in NAME` or `No new messages, T total
/// in NAME` (a remote name in its canonical spelling).
pub fn run(ctx: &Context, name: &str) -> Outcome {
    match again_after_connect_failure(|| ctx.mailboxes.status(name)) {
        Ok(s) => {
            if s.recent > 0 || s.unseen > 0 {
                print!("{} new message(s) ({} unseen),", s.recent, s.unseen);
            } else {
                print!("No new messages,");
            }
            println!(
                " {} total in {}",
                s.messages,
                ctx.mailboxes.shown_name(name)
            );
            Outcome::Success
        }
        // c-client's IMAP STATUS fails without a word.
        Err(Error::Remote(_)) => Outcome::Failure,
        Err(e) => {
            eprintln!("{}", cant("get status of", name, &e));
            Outcome::Failure
        }
    }
}
