//! AUTH (RFC 5034): PLAIN, LOGIN, CRAM-MD5 and GSSAPI with an initial response (`=` is an empty
//! one), `*` cancelling; `AUTH` alone lists the mechanisms (the old draft's form).

use std::io::Read;

use sasl::{Credentials, Exchange, Mechanism, SaslError, Step};

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
        _ => Exchange::new(mech, challenge(&ctx.cfg.hostname)),
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
            let account = match authzid {
                Some(z) if z != user => ctx.cfg.auth.login_as_admin(&z, &user, &password.0),
                _ => server::auth::login_as_uw(&*ctx.cfg.auth, &user, &password.0),
            };
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
            let ok = ctx
                .cfg
                .cram
                .as_ref()
                .and_then(|c| c.secret_of(&user))
                .is_some_and(|s| sasl::cram_md5_matches(&s, &challenge, &digest));
            match ok.then(|| ctx.cfg.auth.account_of(&user)).flatten() {
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
            let account = ctx.cfg.gssapi.as_ref().and_then(|g| {
                g.authorize(
                    &*ctx.cfg.auth,
                    &principal,
                    local_name.as_deref(),
                    service.as_deref(),
                    authzid.as_deref(),
                )
                .map_err(|why| {
                    ctx.cfg.log.line(
                        server::log::Level::Info,
                        &format!(
                            "GSSAPI refused host={}: {}",
                            ctx.client,
                            super::printable(&why.to_string())
                        ),
                    );
                })
                .ok()
            });
            match account {
                Some(a) => Transition::LoggedIn(Box::new(a), Method::Sasl("GSSAPI")),
                None => ctx.failed(&principal, "GSSAPI"),
            }
        }
    }
}

/// `<random.time@host>`.
pub(crate) fn challenge(host: &str) -> Vec<u8> {
    let mut r = [0u8; 8];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut r))
        .map(|()| u64::from_le_bytes(r))
        .unwrap_or_else(|_| u64::from(std::process::id()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("<{random}.{now}@{host}>").into_bytes()
}
