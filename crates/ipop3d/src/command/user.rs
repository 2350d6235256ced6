//! USER and PASS (RFC 1939 §7), offered only where plaintext passwords are allowed
//! (FAQ 3.17, 3.18). `USER alice*bob` with bob's password is the mail administrator bob
//! acting for alice, as UW's.

use super::{Ctx, Method, Transition};

pub(crate) fn user(ctx: Ctx<'_>, name: String) -> Transition {
    if !ctx.plaintext_allowed() {
        ctx.out.err("Unknown AUTHORIZATION state command");
        return Transition::Stay;
    }
    ctx.out.ok("User name accepted, password please");
    Transition::User(name)
}

pub(crate) fn pass(mut ctx: Ctx<'_>, user: Option<&str>, password: &[u8]) -> Transition {
    if !ctx.plaintext_allowed() {
        ctx.out.err("Unknown AUTHORIZATION state command");
        return Transition::Stay;
    }
    let Some(user) = user else {
        ctx.out.err("Missing username argument");
        return Transition::Stay;
    };
    if !ctx.may_try() {
        return Transition::Stay;
    }
    match server::auth::plaintext_login(&*ctx.cfg.auth, user, password) {
        Some(account) => Transition::LoggedIn(Box::new(account), Method::Pass),
        None => ctx.failed(user, "PASS"),
    }
}
