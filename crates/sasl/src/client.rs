//! Client-side SASL exchanges (RFC 4422), without I/O: the protocol layer decodes each
//! server challenge from base64, hands it here, and encodes the answer.
//!
//! - PLAIN (RFC 4616) has a client-first message: `[authzid] NUL authcid NUL password`. It
//!   goes as the initial response where the protocol allows one (IMAP SASL-IR, RFC 4959;
//!   POP3 `AUTH PLAIN <ir>`, RFC 5034), otherwise in answer to the server's empty
//!   challenge. An empty initial response is sent as `=` (RFC 4959 §3), which the protocol
//!   layer does.
//! - LOGIN: the server's two challenges (`Username:`, `Password:`) are answered in order,
//!   whatever their text, as c-client does.
//! - CRAM-MD5 (RFC 2195): the challenge is answered `user SP hex(HMAC-MD5(password,
//!   challenge))`; the password never crosses the wire, so this is the only mechanism here
//!   fit to use on a link without TLS.

use hmac::{Hmac, KeyInit, Mac};

use crate::{Mechanism, Password, SaslError};

/// Which message of the exchange comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    First,
    Second,
    Done,
}

/// One client-side exchange.
#[derive(Debug)]
pub struct ClientExchange {
    mechanism: Mechanism,
    authzid: Option<String>,
    user: String,
    password: Password,
    state: State,
}

impl ClientExchange {
    /// Starts `mechanism` for `user` (the authentication identity) with `password`;
    /// `authzid` is who to act as, when other than `user` (PLAIN only carries it).
    pub fn new(
        mechanism: Mechanism,
        authzid: Option<&str>,
        user: &str,
        password: Password,
    ) -> Self {
        ClientExchange {
            mechanism,
            authzid: authzid.map(str::to_owned),
            user: user.to_owned(),
            password,
            state: State::First,
        }
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The initial response, for a mechanism that speaks first (PLAIN); None for the
    /// others. Once taken, the first challenge is not answered again.
    pub fn initial_response(&mut self) -> Option<Vec<u8>> {
        match (self.mechanism, self.state) {
            (Mechanism::Plain, State::First) => {
                self.state = State::Done;
                Some(self.plain_message())
            }
            _ => None,
        }
    }

    /// The answer to the server's `challenge` (decoded from base64).
    pub fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        match (self.mechanism, self.state) {
            (Mechanism::Plain, State::First) => {
                if !challenge.is_empty() {
                    return Err(SaslError::Malformed);
                }
                self.state = State::Done;
                Ok(self.plain_message())
            }
            (Mechanism::Login, State::First) => {
                self.state = State::Second;
                Ok(self.user.as_bytes().to_vec())
            }
            (Mechanism::Login, State::Second) => {
                self.state = State::Done;
                Ok(self.password.0.clone())
            }
            (Mechanism::CramMd5, State::First) => {
                self.state = State::Done;
                let mut out = self.user.as_bytes().to_vec();
                out.push(b' ');
                out.extend_from_slice(cram_md5_digest(&self.password.0, challenge).as_bytes());
                Ok(out)
            }
            _ => Err(SaslError::Malformed),
        }
    }

    fn plain_message(&self) -> Vec<u8> {
        let mut m = self.authzid.as_deref().unwrap_or("").as_bytes().to_vec();
        m.push(0);
        m.extend_from_slice(self.user.as_bytes());
        m.push(0);
        m.extend_from_slice(&self.password.0);
        m
    }
}

/// hex(HMAC-MD5(secret, challenge)), lower case (RFC 2195).
pub fn cram_md5_digest(secret: &[u8], challenge: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<md5::Md5> as KeyInit>::new_from_slice(secret) else {
        // HMAC takes keys of any length; this branch is never taken.
        return String::new();
    };
    mac.update(challenge);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The POP3 APOP digest (RFC 1939 §7): hex(MD5(timestamp ‖ secret)), lower case.
pub fn apop_digest(timestamp: &[u8], secret: &[u8]) -> String {
    use md5::Digest;
    let mut h = md5::Md5::new();
    h.update(timestamp);
    h.update(secret);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2195_example() {
        let mut x = ClientExchange::new(
            Mechanism::CramMd5,
            None,
            "tim",
            Password(b"tanstaaftanstaaf".to_vec()),
        );
        assert_eq!(x.initial_response(), None);
        let a = x
            .respond(b"<1896.697170952@postoffice.reston.mci.net>")
            .unwrap();
        assert_eq!(a, b"tim b913a602c7eda7a495b4e6e7334d3890".to_vec());
        assert!(x.respond(b"again").is_err());
    }

    #[test]
    fn plain_first_or_after_an_empty_challenge() {
        let pw = || Password(b"pw".to_vec());
        let mut x = ClientExchange::new(Mechanism::Plain, Some("admin"), "u", pw());
        assert_eq!(x.initial_response().unwrap(), b"admin\0u\0pw".to_vec());
        let mut x = ClientExchange::new(Mechanism::Plain, None, "u", pw());
        assert_eq!(x.respond(b"").unwrap(), b"\0u\0pw".to_vec());
        let mut x = ClientExchange::new(Mechanism::Plain, None, "u", pw());
        assert!(x.respond(b"surprise").is_err());
    }

    #[test]
    fn login_answers_in_order_and_the_server_side_agrees() {
        let mut x = ClientExchange::new(Mechanism::Login, None, "u", Password(b"pw".to_vec()));
        assert_eq!(x.respond(b"Username:").unwrap(), b"u".to_vec());
        assert_eq!(x.respond(b"Password:").unwrap(), b"pw".to_vec());
        assert!(x.respond(b"").is_err());
        // Against our own server side.
        let mut s = crate::Exchange::new(Mechanism::CramMd5, b"<1.2@h>".to_vec());
        let crate::Step::Challenge(ch) = s.start(None).unwrap() else {
            panic!()
        };
        let mut c = ClientExchange::new(Mechanism::CramMd5, None, "u", Password(b"k".to_vec()));
        let crate::Step::Done(crate::Credentials::CramMd5 {
            challenge, digest, ..
        }) = s.step(&c.respond(&ch).unwrap()).unwrap()
        else {
            panic!()
        };
        assert!(crate::cram_md5_matches(b"k", &challenge, &digest));
    }

    #[test]
    fn rfc1939_apop_example() {
        assert_eq!(
            apop_digest(b"<1896.697170952@dbc.mtview.ca.us>", b"tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
    }
}
