//! AUTH (RFC 5034): PLAIN, LOGIN and CRAM-MD5 with an initial response (`=` is an empty
//! one), `*` cancelling; `AUTH` alone lists the mechanisms (the old draft's form).

use std::io::Read;

use sasl::{Credentials, Exchange, Mechanism, Step};

use super::{Ctx, Method, Transition};

/// The mechanisms offered now: CRAM-MD5 when the secrets file exists, PLAIN and LOGIN
/// once plaintext may be used over an encrypted connection (as imapd advertises them).
pub(crate) fn advertised(ctx: &Ctx<'_>) -> Vec<&'static str> {
    let mut v = Vec::new();
    if ctx.secrets_offered() {
        v.push("CRAM-MD5");
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
    let Some(mech) = Mechanism::from_name(name)
        // ipop3d has no anonymous access (as UW's).
        .filter(|m| *m != Mechanism::Anonymous)
        .filter(|m| *m != Mechanism::CramMd5 || ctx.secrets_offered())
    else {
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
    let mut ex = Exchange::new(mech, challenge(&ctx.cfg.hostname));
    let initial = initial.map(|i| {
        if i == b"=" {
            Vec::new()
        } else {
            rfc822::decode::base64(i)
        }
    });
    match ex.start(initial.as_deref()) {
        Ok(step) => advance(ctx, ex, step),
        Err(_) => {
            ctx.out.err("Invalid SASL response");
            Transition::Stay
        }
    }
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
    match ex.step(&rfc822::decode::base64(line)) {
        Ok(step) => advance(ctx, ex, step),
        Err(_) => {
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
