//! One module per command (or per pair of twins: LIST/UIDL, RETR/TOP), all of the same
//! shape: `run(ctx, …) -> Transition`, writing their own `+OK`/`-ERR`.

pub(crate) mod apop;
pub(crate) mod auth;
pub(crate) mod capa;
pub(crate) mod dele;
pub(crate) mod last;
pub(crate) mod list;
pub(crate) mod noop;
pub(crate) mod quit;
pub(crate) mod retr;
pub(crate) mod rset;
pub(crate) mod stat;
pub(crate) mod stls;
pub(crate) mod user;

use pop3_proto::response::Writer;
use server::auth::Account;
use server::log::Level;
use server::session::Transport;

use crate::config::Pop3Config;

/// What a handler works with.
pub(crate) struct Ctx<'a> {
    /// Where the answer goes.
    pub out: &'a mut Writer,
    /// The server's settings.
    pub cfg: &'a Pop3Config,
    /// The client, for logs.
    pub client: &'a str,
    /// Whether the connection is encrypted.
    pub transport: Transport,
    /// The APOP challenge of the greeting, if APOP is offered.
    pub challenge: Option<&'a str>,
    /// Login attempts so far.
    pub attempts: &'a mut Attempts,
}

/// A session's failed logins, and whether the answer now being written waits.
#[derive(Debug, Default)]
pub(crate) struct Attempts {
    /// Failed so far.
    pub failures: u32,
    /// Whether this answer is delayed.
    pub delay: Delay,
}

/// Whether an answer waits the failed-login delay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Delay {
    /// It does not.
    #[default]
    No,
    /// It does.
    Yes,
}

/// The most failed logins a session may have.
pub(crate) const MAX_FAILURES: u32 = 3;

/// A change of session state, applied in one place (`session::apply`).
#[derive(Debug)]
pub(crate) enum Transition {
    /// None.
    Stay,
    /// USER was given: PASS may follow.
    User(String),
    /// Logged in (the mailbox is opened by the session).
    LoggedIn(Box<Account>, Method),
    /// A SASL exchange continues.
    Sasl(Box<sasl::Exchange>),
    /// TLS starts after the answer.
    StartTls,
    /// QUIT: commit (in TRANSACTION) and end.
    Quit,
}

/// How a user logged in (for the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// USER/PASS.
    Pass,
    /// APOP.
    Apop,
    /// AUTH with this mechanism.
    Sasl(&'static str),
}

impl Ctx<'_> {
    /// Notes a failed login and writes its answer.
    pub fn failed(&mut self, user: &str, how: &str) -> Transition {
        self.attempts.failures += 1;
        self.attempts.delay = Delay::Yes;
        self.cfg.log.line(
            Level::Warning,
            &format!(
                "Login failed user={} auth={how} host={}",
                printable(user),
                self.client
            ),
        );
        self.out.err("Bad login");
        Transition::Stay
    }

    /// Whether another login may be tried; if not, says so.
    pub fn may_try(&mut self) -> bool {
        if self.attempts.failures >= MAX_FAILURES {
            self.out.err("Too many login failures");
            return false;
        }
        true
    }

    /// Whether plaintext passwords may be used now.
    pub fn plaintext_allowed(&self) -> bool {
        match self.cfg.plaintext {
            server::config::Plaintext::Always => true,
            server::config::Plaintext::Never => false,
            server::config::Plaintext::TlsOnly => self.transport == Transport::Tls,
        }
    }

    /// Whether the secrets file for APOP and CRAM-MD5 exists.
    pub fn secrets_offered(&self) -> bool {
        self.cfg.cram.as_ref().is_some_and(|c| c.available())
    }

    /// Whether GSSAPI is offered (built with it and a keytab holds a key for the
    /// service).
    pub fn gssapi_offered(&self) -> bool {
        self.cfg.gssapi.as_ref().is_some_and(|g| g.offered())
    }
}

pub(crate) use server::log::printable;
