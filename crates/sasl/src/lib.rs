//! SASL exchanges (RFC 4422), without I/O: the server side here, the client side in
//! [`client`]. The protocol layer carries the challenges and responses (base64 on the
//! wire) and hands the outcome to an authenticator.
//!
//! - PLAIN (RFC 4616): `[authzid] NUL authcid NUL password`.
//! - LOGIN (draft-murchison-sasl-login): the server asks `Username:` then `Password:`.
//! - CRAM-MD5 (RFC 2195): the server sends `<random.time@host>`, the client answers
//!   `user SP hex(HMAC-MD5(secret, challenge))`.
//! - GSSAPI (RFC 4752): Kerberos V5 through a [`gssapi::GssAcceptor`]; see [`gssapi`].
//! - ANONYMOUS (RFC 4505): the client sends a trace, `message = [ email / token ]`, at
//!   most 255 characters of UTF-8; it proves nothing and is only for the log.

#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod client;

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};

pub mod gssapi;

use gssapi::{GssAcceptor, GssExchange};

/// A mechanism this crate serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// PLAIN
    Plain,
    /// LOGIN
    Login,
    /// CRAM-MD5
    CramMd5,
    /// GSSAPI (Kerberos V5)
    Gssapi,
    /// ANONYMOUS
    Anonymous,
}

impl Mechanism {
    /// The mechanism with this (upper-case) name.
    pub fn from_name(name: &str) -> Option<Mechanism> {
        match name {
            "PLAIN" => Some(Mechanism::Plain),
            "LOGIN" => Some(Mechanism::Login),
            "CRAM-MD5" => Some(Mechanism::CramMd5),
            "GSSAPI" => Some(Mechanism::Gssapi),
            "ANONYMOUS" => Some(Mechanism::Anonymous),
            _ => None,
        }
    }

    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::Gssapi => "GSSAPI",
            Mechanism::Anonymous => "ANONYMOUS",
        }
    }

    /// Whether the password crosses the wire (in the clear but for TLS).
    pub fn is_plaintext(self) -> bool {
        matches!(self, Mechanism::Plain | Mechanism::Login)
    }
}

/// A password, whose `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub Vec<u8>);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

/// What a finished exchange proves, for the authenticator to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and password (PLAIN, LOGIN).
    Password {
        /// Who to act as, if other than `user`.
        authzid: Option<String>,
        /// Who is logging in.
        user: String,
        /// Their password.
        password: Password,
    },
    /// A CRAM-MD5 answer: check with [`cram_md5_matches`] and the user's secret.
    CramMd5 {
        /// Who is logging in.
        user: String,
        /// The challenge sent.
        challenge: Vec<u8>,
        /// The digest received (hex, as sent).
        digest: Vec<u8>,
    },
    /// A GSSAPI context: the GSS-API proved `principal`; check that it may act as
    /// `authzid` (or as its own local name when there is none).
    Gssapi {
        /// The client principal (`user@REALM`).
        principal: String,
        /// Its local user name, if Kerberos maps it to one.
        local_name: Option<String>,
        /// The service the client's ticket is for (`imap`, `pop`), if known.
        service: Option<String>,
        /// Who to act as, if the client named someone.
        authzid: Option<String>,
    },
    /// An ANONYMOUS trace (RFC 4505): no identity, only words for the log.
    Anonymous {
        /// The trace, as sent (checked to be UTF-8 of at most 255 characters).
        trace: String,
    },
}

/// Why an exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// The client's answer is not what the mechanism expects.
    #[error("malformed SASL response")]
    Malformed,
    /// The security mechanism refused the client's token (a bad or expired ticket).
    #[error("SASL credentials refused")]
    Refused,
    /// The mechanism needs something this exchange was not given (GSSAPI without an
    /// acceptor).
    #[error("SASL mechanism unavailable")]
    Unavailable,
}

/// The next move of an exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this challenge (raw bytes; the protocol encodes them) and wait.
    Challenge(Vec<u8>),
    /// The exchange is over: check these.
    Done(Credentials),
}

#[derive(Debug)]
enum State {
    Start,
    LoginPassword(String),
    CramSent(Vec<u8>),
}

/// One server-side exchange.
#[derive(Debug)]
pub struct Exchange {
    mechanism: Mechanism,
    state: State,
    /// The CRAM-MD5 challenge to send (made by the caller: random part, time, host).
    cram_challenge: Vec<u8>,
    /// The GSSAPI exchange, for that mechanism.
    gss: Option<GssExchange>,
}

impl Exchange {
    /// Starts `mechanism`; `cram_challenge` is what CRAM-MD5 would send
    /// (`<random.time@host>`).
    pub fn new(mechanism: Mechanism, cram_challenge: Vec<u8>) -> Self {
        Exchange {
            mechanism,
            state: State::Start,
            cram_challenge,
            gss: None,
        }
    }

    /// Starts GSSAPI over `acceptor`.
    pub fn gssapi(acceptor: Box<dyn GssAcceptor>) -> Self {
        Exchange {
            mechanism: Mechanism::Gssapi,
            state: State::Start,
            cram_challenge: Vec::new(),
            gss: Some(GssExchange::new(acceptor)),
        }
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Why the security mechanism refused the last step (GSSAPI), for the log.
    pub fn refusal(&self) -> Option<String> {
        self.gss
            .as_ref()
            .and_then(GssExchange::refusal)
            .map(ToString::to_string)
    }

    /// The first move, with the client's initial response if it sent one (RFC 4959).
    pub fn start(&mut self, initial: Option<&[u8]>) -> Result<Step, SaslError> {
        match (self.mechanism, initial) {
            (Mechanism::Gssapi, _) => match &mut self.gss {
                Some(gss) => gss.start(initial),
                None => Err(SaslError::Unavailable),
            },
            (Mechanism::Plain, Some(r)) => plain(r),
            (Mechanism::Plain, None) => Ok(Step::Challenge(Vec::new())),
            (Mechanism::Login, Some(r)) if !r.is_empty() => self.step(r),
            (Mechanism::Login, _) => Ok(Step::Challenge(b"Username:".to_vec())),
            (Mechanism::CramMd5, _) => {
                self.state = State::CramSent(self.cram_challenge.clone());
                Ok(Step::Challenge(self.cram_challenge.clone()))
            }
            (Mechanism::Anonymous, Some(r)) => anonymous(r),
            (Mechanism::Anonymous, None) => Ok(Step::Challenge(Vec::new())),
        }
    }

    /// The next move, given the client's response.
    pub fn step(&mut self, response: &[u8]) -> Result<Step, SaslError> {
        match (self.mechanism, &self.state) {
            (Mechanism::Gssapi, _) => match &mut self.gss {
                Some(gss) => gss.step(response),
                None => Err(SaslError::Unavailable),
            },
            (Mechanism::Plain, _) => plain(response),
            (Mechanism::Anonymous, _) => anonymous(response),
            (Mechanism::Login, State::Start) => {
                let user = utf8(response)?;
                self.state = State::LoginPassword(user);
                Ok(Step::Challenge(b"Password:".to_vec()))
            }
            (Mechanism::Login, State::LoginPassword(user)) => {
                Ok(Step::Done(Credentials::Password {
                    authzid: None,
                    user: user.clone(),
                    password: Password(response.to_vec()),
                }))
            }
            (Mechanism::CramMd5, State::CramSent(challenge)) => {
                let sp = response
                    .iter()
                    .rposition(|&b| b == b' ')
                    .ok_or(SaslError::Malformed)?;
                let user = utf8(&response[..sp])?;
                let digest = response[sp + 1..].to_vec();
                if digest.len() != 32 || !digest.iter().all(u8::is_ascii_hexdigit) {
                    return Err(SaslError::Malformed);
                }
                Ok(Step::Done(Credentials::CramMd5 {
                    user,
                    challenge: challenge.clone(),
                    digest,
                }))
            }
            _ => Err(SaslError::Malformed),
        }
    }
}

fn utf8(b: &[u8]) -> Result<String, SaslError> {
    String::from_utf8(b.to_vec()).map_err(|_| SaslError::Malformed)
}

/// RFC 4505 §3: `message = [ email / token ]`, 1 to 255 UTF-8 characters when present.
fn anonymous(r: &[u8]) -> Result<Step, SaslError> {
    let trace = utf8(r)?;
    if trace.chars().count() > 255 || trace.chars().any(char::is_control) {
        return Err(SaslError::Malformed);
    }
    Ok(Step::Done(Credentials::Anonymous { trace }))
}

fn plain(r: &[u8]) -> Result<Step, SaslError> {
    let mut parts = r.split(|&b| b == 0);
    let (Some(authz), Some(user), Some(pass), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslError::Malformed);
    };
    if user.is_empty() {
        return Err(SaslError::Malformed);
    }
    let authzid = (!authz.is_empty()).then(|| utf8(authz)).transpose()?;
    Ok(Step::Done(Credentials::Password {
        authzid,
        user: utf8(user)?,
        password: Password(pass.to_vec()),
    }))
}

/// Whether an APOP `digest` (hex, RFC 1939 §7) is MD5 of `challenge` followed by
/// `secret`; compared in constant time.
pub fn apop_matches(secret: &[u8], challenge: &[u8], digest: &[u8]) -> bool {
    use md5::Digest;
    let mut h = md5::Md5::new();
    h.update(challenge);
    h.update(secret);
    let want: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    want.len() == digest.len()
        && want
            .bytes()
            .zip(digest.iter().map(u8::to_ascii_lowercase))
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Whether a CRAM-MD5 `digest` (hex) is HMAC-MD5 of `challenge` under `secret`; compared
/// in constant time.
pub fn cram_md5_matches(secret: &[u8], challenge: &[u8], digest: &[u8]) -> bool {
    let Ok(mut mac) = <Hmac<md5::Md5> as KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(challenge);
    let want: Vec<u8> = mac
        .finalize()
        .into_bytes()
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect();
    let got = digest.to_ascii_lowercase();
    want.len() == got.len() && want.iter().zip(&got).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
}

#[cfg(test)]
mod apop_tests {
    #[test]
    fn rfc1939_example() {
        // RFC 1939 §7: secret "tanstaaf", digest c4c9334bac560ecc979e58001b3e22fb.
        let challenge = b"<1896.697170952@dbc.mtview.ca.us>";
        assert!(super::apop_matches(
            b"tanstaaf",
            challenge,
            b"c4c9334bac560ecc979e58001b3e22fb"
        ));
        assert!(!super::apop_matches(
            b"tanstaaF",
            challenge,
            b"c4c9334bac560ecc979e58001b3e22fb"
        ));
        assert!(!super::apop_matches(b"tanstaaf", challenge, b"c4c9"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_with_and_without_initial_response() {
        let mut x = Exchange::new(Mechanism::Plain, Vec::new());
        let Step::Done(Credentials::Password {
            authzid,
            user,
            password,
        }) = x.start(Some(b"\0tim\0tanstaaftanstaaf")).unwrap()
        else {
            panic!()
        };
        assert_eq!((authzid, user.as_str()), (None, "tim"));
        assert_eq!(password.0, b"tanstaaftanstaaf");
        assert!(!format!("{password:?}").contains("tanstaaf"));
        let mut x = Exchange::new(Mechanism::Plain, Vec::new());
        assert_eq!(x.start(None).unwrap(), Step::Challenge(Vec::new()));
        assert!(matches!(
            x.step(b"Ursel\0Kurt\0xipj3plmq").unwrap(),
            Step::Done(_)
        ));
        assert_eq!(x.step(b"no nuls"), Err(SaslError::Malformed));
    }

    #[test]
    fn anonymous_trace() {
        let mut x = Exchange::new(Mechanism::Anonymous, Vec::new());
        assert_eq!(
            x.start(Some(b"sirhc")).unwrap(),
            Step::Done(Credentials::Anonymous {
                trace: "sirhc".into()
            })
        );
        let mut x = Exchange::new(Mechanism::Anonymous, Vec::new());
        assert_eq!(x.start(None).unwrap(), Step::Challenge(Vec::new()));
        assert!(matches!(
            x.step(b"").unwrap(),
            Step::Done(Credentials::Anonymous { .. })
        ));
        assert_eq!(x.step(&[b'a'; 256]), Err(SaslError::Malformed));
        assert_eq!(x.step(b"a\r\nb"), Err(SaslError::Malformed));
        assert_eq!(x.step(b"\xff"), Err(SaslError::Malformed));
        assert!(!Mechanism::Anonymous.is_plaintext());
        assert_eq!(
            Mechanism::from_name("ANONYMOUS"),
            Some(Mechanism::Anonymous)
        );
    }

    #[test]
    fn login_asks_twice() {
        let mut x = Exchange::new(Mechanism::Login, Vec::new());
        assert_eq!(
            x.start(None).unwrap(),
            Step::Challenge(b"Username:".to_vec())
        );
        assert_eq!(
            x.step(b"fred").unwrap(),
            Step::Challenge(b"Password:".to_vec())
        );
        assert!(matches!(x.step(b"pw").unwrap(), Step::Done(_)));
    }

    #[test]
    fn cram_md5_rfc2195_example() {
        let challenge = b"<1896.697170952@postoffice.reston.mci.net>".to_vec();
        let mut x = Exchange::new(Mechanism::CramMd5, challenge.clone());
        assert_eq!(x.start(None).unwrap(), Step::Challenge(challenge.clone()));
        let Step::Done(Credentials::CramMd5 { user, digest, .. }) =
            x.step(b"tim b913a602c7eda7a495b4e6e7334d3890").unwrap()
        else {
            panic!()
        };
        assert_eq!(user, "tim");
        assert!(cram_md5_matches(b"tanstaaftanstaaf", &challenge, &digest));
        assert!(!cram_md5_matches(b"wrong", &challenge, &digest));
    }
}
