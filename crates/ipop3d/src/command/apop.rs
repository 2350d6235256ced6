//! APOP (RFC 1939 §7): MD5 of the greeting's challenge and the user's secret from the
//! CRAM-MD5 secrets file; offered only when that file exists (FAQ 3.9).

use super::{Ctx, Method, Transition};

pub(crate) fn run(mut ctx: Ctx<'_>, user: &str, digest: &str) -> Transition {
    let (Some(challenge), Some(cram)) = (ctx.challenge, ctx.cfg.cram.clone()) else {
        ctx.out.err("Not supported");
        return Transition::Stay;
    };
    if !ctx.may_try() {
        return Transition::Stay;
    }
    let ok = cram
        .secret_of(user)
        .is_some_and(|s| sasl::apop_matches(&s, challenge.as_bytes(), digest.as_bytes()));
    match ok.then(|| ctx.cfg.auth.account_of(user)).flatten() {
        Some(account) => Transition::LoggedIn(Box::new(account), Method::Apop),
        None => ctx.failed(user, "APOP"),
    }
}
