//! LOGIN (RFC 3501 §6.2.3), and the login policy AUTHENTICATE shares (panda-inventory.md
//! §1.3, §8.4): plaintext only where allowed, a delay after each failure, three failures
//! per session at most, absurd user names ending the chance to log in.
//!
//! As UW's: `LOGIN anonymous <trace>` logs in the anonymous user while the anonymous file
//! exists (FAQ 4.1; before any plaintext policy, since no password is involved), and
//! `LOGIN user*admin <admin's password>` lets a mail administrator act as `user`.

use server::auth::{Account, AlertLevel};
use server::log::Level;

use super::{Ctx, Done, Transition};
use crate::capability::{self, Phase};
use crate::respond::Failure;

/// The most failed logins a session may have.
pub(crate) const MAX_FAILURES: u32 = 3;

/// A session's login attempts.
#[derive(Debug, Default)]
pub(crate) struct Attempts {
    /// Failed so far.
    pub failures: u32,
    /// Whether logins are refused for the rest of the session.
    pub barred: Barred,
    /// Whether the answer now being written waits first (a failure's delay).
    pub delay: Delay,
}

/// Whether a session may still log in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Barred {
    /// It may.
    #[default]
    No,
    /// It may not.
    Yes,
}

/// Whether an answer is delayed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Delay {
    /// It is not.
    #[default]
    No,
    /// It waits the configured failed-login delay.
    Yes,
}

impl Attempts {
    /// Whether another attempt may be made; if not, the answer.
    pub fn may_try(&self) -> Result<(), Failure> {
        if self.barred == Barred::Yes || self.failures >= MAX_FAILURES {
            return Err(Failure::no("Too many login failures"));
        }
        Ok(())
    }

    /// Records a failure (`user` and `mech` for the log).
    pub fn failed(&mut self, ctx: &Ctx<'_>, user: &str, mech: &str) -> Failure {
        self.failures += 1;
        self.delay = Delay::Yes;
        ctx.cfg.log.line(
            Level::Warning,
            &format!(
                "Login failed user={} auth={} host={} mech={mech}",
                printable(user),
                printable(user),
                ctx.client
            ),
        );
        // UW's words: the same whatever the reason (FAQ 7.4), the log says why.
        Failure::no_code(
            "AUTHENTICATIONFAILED",
            if mech == "LOGIN" {
                "Invalid login credentials"
            } else {
                "Invalid authentication credentials"
            },
        )
    }
}

pub(crate) use server::log::printable;

/// The tagged OK of a login, after any alerts about the account (password expiry).
pub(crate) fn welcome(ctx: &mut Ctx<'_>, account: Account) -> Done {
    for alert in ctx.cfg.auth.take_alerts() {
        let status = match alert.level {
            AlertLevel::Notice => "OK",
            AlertLevel::Warning => "NO",
        };
        ctx.out.status(None, status, Some("ALERT"), &alert.text);
    }
    let caps = capability::list(ctx.cfg, ctx.transport, Phase::PostAuth);
    Done::ok(format!("User {} authenticated", account.user))
        .code(format!("CAPABILITY {caps}"))
        .then(Transition::LoggedIn(Box::new(account)))
}

/// Refuses a user name long enough to be an attack (UW: 65 characters or more).
pub(crate) fn absurd_name(ctx: &Ctx<'_>, attempts: &mut Attempts, user: &str) -> Option<Failure> {
    if user.len() < 65 {
        return None;
    }
    attempts.barred = Barred::Yes;
    attempts.delay = Delay::Yes;
    ctx.cfg.log.line(
        Level::Error,
        &format!("SYSTEM BREAK-IN ATTEMPT, host={}", ctx.client),
    );
    Some(Failure::no("Invalid login credentials"))
}

/// Logs in the anonymous user, `trace` (an e-mail address by custom) going to the log.
pub(crate) fn anonymous(mut ctx: Ctx<'_>, how: &str, trace: &str) -> Result<Done, Failure> {
    match ctx.cfg.auth.anonymous() {
        Some(account) => {
            ctx.cfg.log.line(
                Level::Info,
                &format!("{how} anonymous={} host={}", printable(trace), ctx.client),
            );
            Ok(welcome(&mut ctx, account))
        }
        None => {
            ctx.cfg.log.line(
                Level::Warning,
                &format!("Anonymous login failed host={}", ctx.client),
            );
            Err(Failure::no(format!(
                "{} ANONYMOUS failed",
                how.to_ascii_uppercase()
            )))
        }
    }
}

pub(crate) fn run(
    mut ctx: Ctx<'_>,
    attempts: &mut Attempts,
    user: &[u8],
    password: &[u8],
) -> Result<Done, Failure> {
    let user = String::from_utf8_lossy(user).into_owned();
    if user.eq_ignore_ascii_case("anonymous") && capability::anonymous_offered(ctx.cfg) {
        return anonymous(ctx, "Login", &String::from_utf8_lossy(password));
    }
    if !capability::plaintext_allowed(ctx.cfg, ctx.transport) {
        ctx.cfg.log.line(
            Level::Info,
            &format!(
                "Login disabled user={} host={}",
                printable(&user),
                ctx.client
            ),
        );
        return Err(Failure::no_code(
            "PRIVACYREQUIRED",
            "Plaintext login is disabled; use STARTTLS or a secure mechanism",
        ));
    }
    attempts.may_try()?;
    if let Some(f) = absurd_name(&ctx, attempts, &user) {
        return Err(f);
    }
    match server::auth::plaintext_login(&*ctx.cfg.auth, &user, password) {
        Some(account) => {
            ctx.cfg.log.line(
                Level::Info,
                &format!(
                    "Login user={} host={}",
                    printable(&account.user),
                    ctx.client
                ),
            );
            Ok(welcome(&mut ctx, account))
        }
        None => Err(attempts.failed(&ctx, &user, "LOGIN")),
    }
}
