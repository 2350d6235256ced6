//! AUTH (RFC 5034): PLAIN, LOGIN, CRAM-MD5 and GSSAPI with an initial response (`=` is an empty
//! one), `*` cancelling; `AUTH` alone lists the mechanisms (the old draft's form).

use sasl::{Credentials, Exchange, Mechanism, SaslError, Step};
use server::gssapi::Ticket;

use super::{Ctx, Method, Transition};

/// The mechanisms offered now: CRAM-MD5 when the secrets file exists, GSSAPI when the
/// keytab has a key for the service, PLAIN and LOGIN
/// once plaintext may be used over an encrypted connection (as imapd advertises them).
pub(crate) fn advertised(ctx: &Ctx<'_>) -> Vec<&'static str> {
    let mut v = Vec::new();
    if ctx.secrets_offered() {
        v.push("CRAM-MD5");
    }
    if ctx.gssapi_offered() {
        v.push("GSSAPI");
    }
    if ctx.plaintext_allowed() && ctx.transport == server::session::Transport::Tls {
        v.push("PLAIN");
        v.push("LOGIN");
    }
    v
}

pub(crate) fn start(
    mut ctx: Ctx<'_>,
    mechanism: Option<&str>,
    initial: Option<&[u8]>,
) -> Transition {
    let Some(name) = mechanism else {
        ctx.out.ok("Supported authentication mechanisms:");
        for m in advertised(&ctx) {
            ctx.out.line(m);
        }
        ctx.out.end();
        return Transition::Stay;
    };
    let Some(mech) = Mechanism::from_name(name).filter(|m| match m {
        Mechanism::CramMd5 => ctx.secrets_offered(),
        Mechanism::Gssapi => ctx.gssapi_offered(),
        // ipop3d has no anonymous access (as UW's).
        Mechanism::Anonymous => false,
        Mechanism::Plain | Mechanism::Login => true,
    }) else {
        ctx.out.err("Unsupported authentication mechanism");
        return Transition::Stay;
    };
    if mech.is_plaintext() && !ctx.plaintext_allowed() {
        ctx.out
            .err("Plaintext authentication disallowed on this connection");
        return Transition::Stay;
    }
    if !ctx.may_try() {
        return Transition::Stay;
    }
    let mut ex = match mech {
        Mechanism::Gssapi => match ctx.cfg.gssapi.as_ref().and_then(|g| g.acceptor()) {
            Some(acceptor) => Exchange::gssapi(acceptor),
            None => {
                ctx.out.err("Unsupported authentication mechanism");
                return Transition::Stay;
            }
        },
        _ => Exchange::new(mech, server::auth::cram_md5_challenge(&ctx.cfg.hostname)),
    };
    let initial = initial.map(|i| {
        if i == b"=" {
            Vec::new()
        } else {
            rfc822::decode::base64(i)
        }
    });
    let step = ex.start(initial.as_deref());
    after_step(ctx, ex, step)
}

/// The client's next line of the exchange.
pub(crate) fn answer(ctx: Ctx<'_>, mut ex: Exchange, line: &[u8]) -> Transition {
    if line == b"*" {
        ctx.out.err("Authentication cancelled");
        return Transition::Stay;
    }
    if !line
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=')
    {
        ctx.out.err("Invalid base64 in AUTH response");
        return Transition::Stay;
    }
    let step = ex.step(&rfc822::decode::base64(line));
    after_step(ctx, ex, step)
}

/// A step's outcome; a GSSAPI token the mechanism refuses (a bad or expired ticket) is a
/// failed login, like a wrong password.
fn after_step(mut ctx: Ctx<'_>, ex: Exchange, step: Result<Step, SaslError>) -> Transition {
    match step {
        Ok(step) => advance(ctx, ex, step),
        Err(SaslError::Refused) => {
            if let Some(why) = ex.refusal() {
                ctx.cfg.log.line(
                    server::log::Level::Info,
                    &format!(
                        "{} refused host={}: {}",
                        ex.mechanism().name(),
                        ctx.client,
                        super::printable(&why)
                    ),
                );
            }
            ctx.failed("", ex.mechanism().name())
        }
        Err(SaslError::Malformed | SaslError::Unavailable) => {
            ctx.out.err("Invalid SASL response");
            Transition::Stay
        }
    }
}

fn advance(mut ctx: Ctx<'_>, ex: Exchange, step: Step) -> Transition {
    match step {
        Step::Challenge(c) => {
            ctx.out.raw(b"+ ");
            ctx.out.raw(rfc822::decode::base64_encode(&c).as_bytes());
            ctx.out.raw(b"\r\n");
            Transition::Sasl(Box::new(ex))
        }
        Step::Done(Credentials::Password {
            authzid,
            user,
            password,
        }) => {
            let account = server::auth::login_with_password(
                &*ctx.cfg.auth,
                authzid.as_deref(),
                &user,
                &password.0,
            );
            match account {
                Some(a) => Transition::LoggedIn(Box::new(a), Method::Sasl("PLAIN/LOGIN")),
                None => ctx.failed(&user, "AUTH"),
            }
        }
        Step::Done(Credentials::Anonymous { .. }) => ctx.failed("anonymous", "AUTH"),
        Step::Done(Credentials::CramMd5 {
            user,
            challenge,
            digest,
        }) => {
            let account = server::auth::login_with_cram_md5(
                ctx.cfg.cram.as_deref(),
                &*ctx.cfg.auth,
                &user,
                &challenge,
                &digest,
            );
            match account {
                Some(a) => Transition::LoggedIn(Box::new(a), Method::Sasl("CRAM-MD5")),
                None => ctx.failed(&user, "CRAM-MD5"),
            }
        }
        Step::Done(Credentials::Gssapi {
            principal,
            local_name,
            service,
            authzid,
        }) => {
            let ticket = Ticket {
                principal: &principal,
                local_name: local_name.as_deref(),
                service: service.as_deref(),
                authzid: authzid.as_deref(),
            };
            let account = ctx
                .cfg
                .gssapi
                .as_ref()
                .and_then(|g| g.login(&*ctx.cfg.auth, &*ctx.cfg.log, ctx.client, &ticket));
            match account {
                Some(a) => Transition::LoggedIn(Box::new(a), Method::Sasl("GSSAPI")),
                None => ctx.failed(&principal, "GSSAPI"),
            }
        }
    }
}
