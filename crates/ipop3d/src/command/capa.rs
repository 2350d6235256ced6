//! CAPA (RFC 2449), as Panda lists it.

use super::{Ctx, Transition};
use crate::config::TlsOffer;

pub(crate) fn run(ctx: Ctx<'_>, logged_in: bool) -> Transition {
    let sasl = super::auth::advertised(&ctx);
    let out = &mut *ctx.out;
    out.ok("Capability list follows:");
    out.line("TOP");
    out.line("LOGIN-DELAY 180");
    out.line("UIDL");
    if !logged_in
        && ctx.transport == server::session::Transport::Plain
        && ctx.cfg.tls == TlsOffer::Available
    {
        out.line("STLS");
    }
    let plain = match ctx.cfg.plaintext {
        server::config::Plaintext::Always => true,
        server::config::Plaintext::Never => false,
        server::config::Plaintext::TlsOnly => ctx.transport == server::session::Transport::Tls,
    };
    if !logged_in && plain {
        out.line("USER");
    }
    if !logged_in && !sasl.is_empty() {
        out.line(&format!("SASL {}", sasl.join(" ")));
    }
    out.line(&format!(
        "IMPLEMENTATION Panda-IMAP-in-Rust-{}",
        env!("CARGO_PKG_VERSION")
    ));
    out.end();
    Transition::Stay
}
