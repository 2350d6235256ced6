//! STLS (RFC 2595): TLS starts after the answer; plain text the client sent after the
//! command is thrown away.

use super::{Ctx, Transition};
use crate::config::TlsOffer;

pub(crate) fn run(ctx: Ctx<'_>) -> Transition {
    if ctx.transport == server::session::Transport::Tls {
        ctx.out.err("Already in TLS");
        return Transition::Stay;
    }
    if ctx.cfg.tls == TlsOffer::Unavailable {
        ctx.out.err("Server certificate not installed");
        return Transition::Stay;
    }
    ctx.out.ok("STLS completed");
    Transition::StartTls
}
