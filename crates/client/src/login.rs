//! SASL logins shared by IMAP and POP3 (c-client's `imap_auth`, `pop3_auth`): the
//! mechanisms the server advertises are tried in turn, strongest first (GSSAPI when a
//! ticket is at hand, then CRAM-MD5, PLAIN, LOGIN; the last two only over TLS). A
//! mechanism whose credentials were refused is tried again, three times in all, asking for
//! the password each time; one the server refuses before any credentials were sent, and
//! GSSAPI (whose credentials do not change), are tried once. When one gives up, the next
//! is tried, after telling the user `Retrying using MECH authentication after TEXT`.

use sasl::client::ClientExchange;
use sasl::gssapi::{GssClientExchange, GssInitiator};
use sasl::{Mechanism, SaslError};

use crate::conn::Link;
use crate::error::ClientError;
use crate::name::RemoteName;
use crate::prompt::Prompt;

/// How many times a login is tried (c-client's `imap_maxlogintrials`).
pub(crate) const LOGIN_TRIALS: usize = 3;

/// Password mechanisms in the order tried: strongest first.
const PASSWORD_MECHANISMS: [Mechanism; 3] =
    [Mechanism::CramMd5, Mechanism::Plain, Mechanism::Login];

/// One exchange of either kind.
#[derive(Debug)]
pub(crate) enum Exchange {
    /// A password mechanism.
    Password(ClientExchange),
    /// GSSAPI.
    Gssapi(GssClientExchange),
}

impl Exchange {
    pub(crate) fn mechanism(&self) -> Mechanism {
        match self {
            Exchange::Password(x) => x.mechanism(),
            Exchange::Gssapi(_) => Mechanism::Gssapi,
        }
    }

    /// The initial response, for a mechanism that speaks first.
    pub(crate) fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError> {
        match self {
            Exchange::Password(x) => Ok(x.initial_response()),
            Exchange::Gssapi(x) => x.initial_response().map(Some),
        }
    }

    /// The answer to a challenge.
    pub(crate) fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        match self {
            Exchange::Password(x) => x.respond(challenge),
            Exchange::Gssapi(x) => x.respond(challenge),
        }
    }

    /// Why the mechanism gave up on its side, when it did (GSS-API's words).
    pub(crate) fn refusal(&self) -> Option<String> {
        match self {
            Exchange::Password(_) => None,
            Exchange::Gssapi(x) => x.refusal().map(|e| e.0.clone()),
        }
    }
}

/// How one attempt ended, when it did not log in.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Refused before any credentials were sent: the mechanism is not tried again.
    Refused(String),
    /// The credentials were refused.
    Failed(String),
    /// The connection failed; nothing more is tried.
    Broken(ClientError),
}

/// What a SASL exchange has sent so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sent {
    /// The command alone (or a cancel).
    Nothing,
    /// Credentials: the server's refusal is about them.
    Credentials,
}

/// The mechanisms to try, and the GSS-API initiator for GSSAPI when it is one of them.
#[derive(Debug)]
pub(crate) struct Plan {
    /// In the order tried.
    pub(crate) mechanisms: Vec<Mechanism>,
    gss: Option<Box<dyn GssInitiator>>,
}

impl Plan {
    /// What to try with a server that advertises the mechanisms `offered` says it does,
    /// on `link`, for `service` (`imap`, `pop`) on `host`.
    pub(crate) fn new(
        offered: impl Fn(Mechanism) -> bool,
        link: Link,
        service: &str,
        host: &str,
    ) -> Plan {
        let gss = if offered(Mechanism::Gssapi) {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            crate::gssapi::initiator(service, host)
        } else {
            None
        };
        let mechanisms = gss
            .as_ref()
            .map(|_| Mechanism::Gssapi)
            .into_iter()
            .chain(
                PASSWORD_MECHANISMS
                    .into_iter()
                    .filter(|&m| offered(m))
                    .filter(|m| !m.is_plaintext() || link == Link::Encrypted),
            )
            .collect();
        Plan { mechanisms, gss }
    }

    /// Tries the mechanisms in turn with `attempt`; the first success, or the last
    /// server text when all failed.
    pub(crate) fn run<T>(
        mut self,
        name: &RemoteName,
        prompt: &mut dyn Prompt,
        mut attempt: impl FnMut(Exchange) -> Result<T, Attempt>,
    ) -> Result<Result<T, String>, ClientError> {
        let server = name.server();
        let mut user = name.user.clone();
        let mut last: Option<String> = None;
        for m in std::mem::take(&mut self.mechanisms) {
            if let Some(prev) = &last {
                prompt.notice(&format!(
                    "Retrying using {} authentication after {prev}",
                    m.name()
                ));
            }
            if m == Mechanism::Gssapi {
                let Some(initiator) = self.gss.take() else {
                    continue;
                };
                let authzid = user
                    .clone()
                    .or_else(crate::preauth::local_user)
                    .unwrap_or_default();
                let x = Exchange::Gssapi(GssClientExchange::new(initiator, &authzid));
                match attempt(x) {
                    Ok(t) => return Ok(Ok(t)),
                    Err(Attempt::Refused(text) | Attempt::Failed(text)) => last = Some(text),
                    Err(Attempt::Broken(e)) => return Err(e),
                }
                continue;
            }
            let who = match &user {
                Some(u) => u.clone(),
                None => {
                    let u = prompt.user(&server).map_err(ClientError::Prompt)?;
                    user = Some(u.clone());
                    u
                }
            };
            // The authentication identity is /authuser when given (its password is
            // used), acting as /user.
            let (authzid, authcid) = match name.authuser.as_deref() {
                Some(a) => (Some(who.as_str()), a),
                None => (None, who.as_str()),
            };
            for _ in 0..LOGIN_TRIALS {
                let password = prompt
                    .password(&server, authcid)
                    .map_err(ClientError::Prompt)?;
                let x = Exchange::Password(ClientExchange::new(
                    m,
                    authzid,
                    authcid,
                    sasl::Password(password.0.into_bytes()),
                ));
                match attempt(x) {
                    Ok(t) => return Ok(Ok(t)),
                    Err(Attempt::Refused(text)) => {
                        last = Some(text);
                        break;
                    }
                    Err(Attempt::Failed(text)) => {
                        prompt.notice(&text);
                        last = Some(text);
                    }
                    Err(Attempt::Broken(e)) => return Err(e),
                }
            }
        }
        Ok(Err(last.unwrap_or_default()))
    }
}
