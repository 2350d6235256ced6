//! AUTHENTICATE (RFC 3501 §6.2.2, RFC 4959 SASL-IR): PLAIN, LOGIN, CRAM-MD5, GSSAPI
//! (RFC 4752) when built with it and the keytab has the service's key, and ANONYMOUS
//! (RFC 4505) while the anonymous file exists. A PLAIN authorization identity other than
//! the user asks for a mail administrator's override (panda-inventory.md §8.4).
//!
//! The exchange is `sasl`'s; this module starts it, carries each client line to it, and
//! checks what it proves. A line `*` cancels.

use sasl::{Credentials, Exchange, Mechanism, SaslError, Step};
use server::gssapi::Ticket;
use server::log::Level;

use super::login::{self, Attempts};
use super::{Ctx, Done, Transition};
use crate::capability;
use crate::respond::Failure;

/// Starts an exchange.
pub(crate) fn start(
    ctx: Ctx<'_>,
    attempts: &mut Attempts,
    mechanism: &str,
    initial: Option<&[u8]>,
) -> Result<Done, Failure> {
    let unsupported = || Failure::no_code("CANNOT", "Unsupported authentication mechanism");
    let mech = Mechanism::from_name(mechanism)
        .filter(|m| match m {
            Mechanism::CramMd5 => capability::cram_offered(ctx.cfg),
            Mechanism::Gssapi => capability::gssapi_offered(ctx.cfg),
            Mechanism::Anonymous => capability::anonymous_offered(ctx.cfg),
            Mechanism::Plain | Mechanism::Login => true,
        })
        .ok_or_else(unsupported)?;
    if mech.is_plaintext() && !capability::plaintext_allowed(ctx.cfg, ctx.transport) {
        return Err(Failure::no_code(
            "PRIVACYREQUIRED",
            "Plaintext authentication is disabled; use STARTTLS",
        ));
    }
    attempts.may_try()?;
    let mut ex = match mech {
        Mechanism::Gssapi => {
            let acceptor = ctx
                .cfg
                .gssapi
                .as_ref()
                .and_then(|g| g.acceptor())
                .ok_or_else(unsupported)?;
            Exchange::gssapi(acceptor)
        }
        _ => Exchange::new(mech, server::auth::cram_md5_challenge(&ctx.cfg.hostname)),
    };
    let initial = initial.map(rfc822::decode::base64);
    let step = ex.start(initial.as_deref());
    after_step(ctx, attempts, ex, step)
}

/// Takes the client's next line.
pub(crate) fn answer(
    ctx: Ctx<'_>,
    attempts: &mut Attempts,
    mut ex: Exchange,
    line: &[u8],
) -> Result<Done, Failure> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line == b"*" {
        return Err(Failure::bad("AUTHENTICATE cancelled"));
    }
    if !line
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=')
    {
        return Err(Failure::bad("Invalid base64 in AUTHENTICATE response"));
    }
    let step = ex.step(&rfc822::decode::base64(line));
    after_step(ctx, attempts, ex, step)
}

/// A step's outcome: the next challenge, the login, or the failure. A GSSAPI token the
/// mechanism refuses (a bad or expired ticket) is a failed login, like a wrong password.
fn after_step(
    ctx: Ctx<'_>,
    attempts: &mut Attempts,
    ex: Exchange,
    step: Result<Step, SaslError>,
) -> Result<Done, Failure> {
    match step {
        Ok(step) => advance(ctx, attempts, ex, step),
        Err(SaslError::Refused) => {
            if let Some(why) = ex.refusal() {
                ctx.cfg.log.line(
                    Level::Info,
                    &format!(
                        "{} refused host={}: {}",
                        ex.mechanism().name(),
                        ctx.client,
                        login::printable(&why)
                    ),
                );
            }
            Err(attempts.failed(&ctx, "", ex.mechanism().name()))
        }
        Err(SaslError::Malformed | SaslError::Unavailable) => {
            Err(Failure::bad("Invalid SASL response"))
        }
    }
}

fn advance(
    ctx: Ctx<'_>,
    attempts: &mut Attempts,
    ex: Exchange,
    step: Step,
) -> Result<Done, Failure> {
    match step {
        Step::Challenge(c) => {
            ctx.out
                .text("+ ")
                .text(&rfc822::decode::base64_encode(&c))
                .crlf();
            Ok(Done::ok("").then(Transition::Authenticate(Box::new(ex))))
        }
        Step::Done(creds) => finish(ctx, attempts, creds),
    }
}

fn finish(mut ctx: Ctx<'_>, attempts: &mut Attempts, creds: Credentials) -> Result<Done, Failure> {
    let (user, mech, account) = match creds {
        Credentials::Anonymous { trace } => {
            return login::anonymous(ctx, "Authenticated", &trace);
        }
        Credentials::Password {
            authzid,
            user,
            password,
        } => {
            if let Some(f) = login::absurd_name(&ctx, attempts, &user) {
                return Err(f);
            }
            // Acting as someone else needs an administrator.
            let account = server::auth::login_with_password(
                &*ctx.cfg.auth,
                authzid.as_deref(),
                &user,
                &password.0,
            );
            (user, "PLAIN/LOGIN", account)
        }
        Credentials::CramMd5 {
            user,
            challenge,
            digest,
        } => {
            if let Some(f) = login::absurd_name(&ctx, attempts, &user) {
                return Err(f);
            }
            let account = server::auth::login_with_cram_md5(
                ctx.cfg.cram.as_deref(),
                &*ctx.cfg.auth,
                &user,
                &challenge,
                &digest,
            );
            (user, "CRAM-MD5", account)
        }
        Credentials::Gssapi {
            principal,
            local_name,
            service,
            authzid,
        } => {
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
            (principal, "GSSAPI", account)
        }
    };
    match account {
        Some(account) => {
            ctx.cfg.log.line(
                Level::Info,
                &format!(
                    "Authenticated user={} host={} mech={mech}",
                    login::printable(&account.user),
                    ctx.client
                ),
            );
            Ok(login::welcome(&mut ctx, account))
        }
        None => Err(attempts.failed(&ctx, &user, mech)),
    }
}
