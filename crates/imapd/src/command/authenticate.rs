//! AUTHENTICATE (RFC 3501 §6.2.2, RFC 4959 SASL-IR): PLAIN, LOGIN, CRAM-MD5, and
//! ANONYMOUS (RFC 4505) while the anonymous file exists. A PLAIN authorization identity
//! other than the user asks for a mail administrator's override (panda-inventory.md §8.4).
//!
//! The exchange is `sasl`'s; this module starts it, carries each client line to it, and
//! checks what it proves. A line `*` cancels.

use std::io::Read;

use sasl::{Credentials, Exchange, Mechanism, Step};
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
    let mech = Mechanism::from_name(mechanism)
        .filter(|m| *m != Mechanism::CramMd5 || capability::cram_offered(ctx.cfg))
        .filter(|m| *m != Mechanism::Anonymous || capability::anonymous_offered(ctx.cfg))
        .ok_or_else(|| Failure::no_code("CANNOT", "Unsupported authentication mechanism"))?;
    if mech.is_plaintext() && !capability::plaintext_allowed(ctx.cfg, ctx.transport) {
        return Err(Failure::no_code(
            "PRIVACYREQUIRED",
            "Plaintext authentication is disabled; use STARTTLS",
        ));
    }
    attempts.may_try()?;
    let mut ex = Exchange::new(mech, cram_challenge(&ctx.cfg.hostname));
    let initial = initial.map(rfc822::decode::base64);
    let step = ex
        .start(initial.as_deref())
        .map_err(|_| Failure::bad("Invalid SASL response"))?;
    advance(ctx, attempts, ex, step)
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
    let step = ex
        .step(&rfc822::decode::base64(line))
        .map_err(|_| Failure::bad("Invalid SASL response"))?;
    advance(ctx, attempts, ex, step)
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
            let account = match authzid {
                Some(z) if z != user => ctx.cfg.auth.login_as_admin(&z, &user, &password.0),
                _ => login::check_password(&ctx, &user, &password.0),
            };
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
            let ok = ctx
                .cfg
                .cram
                .as_ref()
                .and_then(|c| c.secret_of(&user))
                .is_some_and(|s| sasl::cram_md5_matches(&s, &challenge, &digest));
            let account = if ok {
                ctx.cfg.auth.account_of(&user)
            } else {
                None
            };
            (user, "CRAM-MD5", account)
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

/// `<random.time@host>`, as c-client's CRAM-MD5 challenge.
fn cram_challenge(host: &str) -> Vec<u8> {
    let mut r = [0u8; 8];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut r))
        .map(|()| u64::from_le_bytes(r))
        .unwrap_or_else(|_| {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("<{random}.{now}@{host}>").into_bytes()
}
