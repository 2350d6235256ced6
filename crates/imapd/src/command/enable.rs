//! ENABLE (RFC 5161). The one capability that needs enabling here is UTF8=ACCEPT
//! (RFC 6855): `ENABLED` lists it when this command turns it on, and the session switches
//! to UTF-8 strings and names from the next command. Other names are ignored, as RFC 5161
//! asks.

use imap_proto::command::{CommandBody, Utf8Mode};

use super::{Authed, Ctx, Done, Transition};
use crate::respond::Failure;

/// The capability RFC 6855 defines.
const UTF8_ACCEPT: &[u8] = b"UTF8=ACCEPT";

pub(crate) fn run(ctx: Ctx<'_>, a: &Authed, caps: &[Vec<u8>]) -> Result<Done, Failure> {
    let turn_on = a.utf8 == Utf8Mode::Off && caps.iter().any(|c| c == UTF8_ACCEPT);
    if turn_on {
        ctx.out.text("* ENABLED UTF8=ACCEPT\r\n");
        Ok(Done::ok("ENABLE completed").then(Transition::EnableUtf8))
    } else {
        ctx.out.text("* ENABLED\r\n");
        Ok(Done::ok("ENABLE completed"))
    }
}

/// A command whose charset conflicts with UTF8=ACCEPT (RFC 6855 §3 and its erratum 4029):
/// once enabled, SEARCH takes no CHARSET, and SORT and THREAD take only UTF-8 (the BAD
/// answer RFC 6855 recommends).
pub(crate) fn charset_conflict(utf8: Utf8Mode, body: &CommandBody) -> Option<Failure> {
    if utf8 == Utf8Mode::Off {
        return None;
    }
    match body {
        CommandBody::Search {
            charset: Some(_), ..
        } => Some(Failure::bad(
            "SEARCH CHARSET is not allowed after ENABLE UTF8=ACCEPT",
        )),
        CommandBody::Sort { charset, .. } | CommandBody::Thread { charset, .. }
            if !charset.eq_ignore_ascii_case(b"UTF-8") =>
        {
            Some(Failure::bad(
                "Charset other than UTF-8 is not allowed after ENABLE UTF8=ACCEPT",
            ))
        }
        _ => None,
    }
}
