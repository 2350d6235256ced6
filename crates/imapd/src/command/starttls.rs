//! STARTTLS (RFC 3501 §6.2.1). Bytes the client sent after the command, before the
//! handshake, are thrown away (they could have been injected in plain text).

use server::session::Transport;

use super::{Ctx, Done, Transition};
use crate::config::StartTls;
use crate::respond::Failure;

pub(crate) fn run(ctx: Ctx<'_>) -> Result<Done, Failure> {
    if ctx.transport == Transport::Tls {
        return Err(Failure::bad("Already in TLS"));
    }
    if ctx.cfg.starttls == StartTls::Unavailable {
        return Err(Failure::no("Server certificate not installed"));
    }
    Ok(Done::ok("Begin TLS negotiation now").then(Transition::StartTls))
}
