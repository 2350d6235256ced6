//! The GSSAPI mechanism (RFC 4752), over any GSS-API acceptor.
//!
//! The exchange, as the server sees it:
//!
//! 1. The client sends context tokens (the first may be the initial response); each goes to
//!    [`GssAcceptor::accept`], and whatever token it makes is sent back as a challenge.
//!    When the context completes with a last token (Kerberos mutual authentication), the
//!    client answers that challenge with an empty response.
//! 2. The server sends a wrapped 4-byte message: the security layers it offers (a bit mask;
//!    here only bit 0, "no security layer", as c-client does) and the largest buffer it
//!    accepts (three bytes, network order; 8192 as c-client).
//! 3. The client answers with a wrapped message: the layer it chose (must be "none"), its
//!    own buffer size, and the authorization identity (possibly empty).
//!
//! What that proves is [`Credentials::Gssapi`](crate::Credentials::Gssapi): the principal,
//! its local name and the authorization identity; whether the principal may act as that
//! user is the authenticator's decision. The acceptor is a trait so that this machine is
//! tested without Kerberos; the MIT binding lives with the server.

use std::fmt;

use crate::{Credentials, SaslError, Step};

/// Security-layer bit: no security layer (RFC 4752 §3.3).
pub const LAYER_NONE: u8 = 1;

/// The largest buffer the server says it accepts (c-client's `AUTH_GSSAPI_C_MAXSIZE`).
pub const MAX_BUFFER: u32 = 8192;

/// Why the GSS-API refused a step; the text is the mechanism's, for the log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GssError(pub String);

/// One step of context establishment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// More tokens are needed: send this one and wait.
    Continue(Vec<u8>),
    /// The context is established; send this last token first if there is one.
    Complete(Option<Vec<u8>>),
}

/// Who the established context authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The client principal, as displayed (`user@REALM`).
    pub principal: String,
    /// Its local user name (Kerberos `aname_to_localname`), if it has one.
    pub local_name: Option<String>,
    /// The service the client asked for: the first component of the acceptor's principal
    /// (`imap` of `imap/host@REALM`), if known.
    pub service: Option<String>,
}

/// The acceptor side of a GSS-API security context (`gss_accept_sec_context`,
/// `gss_wrap`, `gss_unwrap`).
pub trait GssAcceptor: Send + fmt::Debug {
    /// Feeds a token from the client.
    fn accept(&mut self, token: &[u8]) -> Result<Accepted, GssError>;

    /// Protects `message` for integrity (no confidentiality), once established.
    fn wrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError>;

    /// Checks and opens a wrapped `message` from the client.
    fn unwrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError>;

    /// Who the established context authenticated.
    fn peer(&self) -> Result<Peer, GssError>;
}

#[derive(Debug)]
enum State {
    /// Feeding context tokens.
    Accepting,
    /// The last context token was sent; the client's (empty) answer is awaited.
    LastTokenSent,
    /// The layer offer was sent; the client's choice is awaited.
    OfferSent,
    /// Over.
    Finished,
}

/// One server-side GSSAPI exchange.
#[derive(Debug)]
pub struct GssExchange {
    acceptor: Box<dyn GssAcceptor>,
    state: State,
    refusal: Option<GssError>,
}

impl GssExchange {
    /// An exchange over `acceptor`.
    pub fn new(acceptor: Box<dyn GssAcceptor>) -> Self {
        GssExchange {
            acceptor,
            state: State::Accepting,
            refusal: None,
        }
    }

    /// Why the GSS-API refused the last step, if it did (for the log).
    pub fn refusal(&self) -> Option<&GssError> {
        self.refusal.as_ref()
    }

    /// The first move: with an initial response, that is the first token; without, an
    /// empty challenge asks for it.
    pub fn start(&mut self, initial: Option<&[u8]>) -> Result<Step, SaslError> {
        match initial {
            Some(token) if !token.is_empty() => self.step(token),
            _ => Ok(Step::Challenge(Vec::new())),
        }
    }

    /// The next move, given the client's response.
    pub fn step(&mut self, response: &[u8]) -> Result<Step, SaslError> {
        match self.state {
            State::Accepting => match self
                .acceptor
                .accept(response)
                .map_err(|e| self.refused(e))?
            {
                Accepted::Continue(token) => Ok(Step::Challenge(token)),
                Accepted::Complete(Some(token)) if !token.is_empty() => {
                    self.state = State::LastTokenSent;
                    Ok(Step::Challenge(token))
                }
                Accepted::Complete(_) => self.offer(),
            },
            State::LastTokenSent => self.offer(),
            State::OfferSent => {
                self.state = State::Finished;
                let choice = self
                    .acceptor
                    .unwrap(response)
                    .map_err(|e| self.refused(e))?;
                let (head, authzid) = choice.split_at_checked(4).ok_or(SaslError::Malformed)?;
                if head[0] & LAYER_NONE == 0 {
                    return Err(SaslError::Malformed);
                }
                let authzid =
                    String::from_utf8(authzid.to_vec()).map_err(|_| SaslError::Malformed)?;
                let peer = self.acceptor.peer().map_err(|e| self.refused(e))?;
                Ok(Step::Done(Credentials::Gssapi {
                    principal: peer.principal,
                    local_name: peer.local_name,
                    service: peer.service,
                    authzid: (!authzid.is_empty()).then_some(authzid),
                }))
            }
            State::Finished => Err(SaslError::Malformed),
        }
    }

    /// Sends the wrapped security-layer offer.
    fn offer(&mut self) -> Result<Step, SaslError> {
        let size = MAX_BUFFER.to_be_bytes();
        let offer = [LAYER_NONE, size[1], size[2], size[3]];
        let wrapped = self.acceptor.wrap(&offer).map_err(|e| self.refused(e))?;
        self.state = State::OfferSent;
        Ok(Step::Challenge(wrapped))
    }
}

impl GssExchange {
    /// Keeps `e` for the log; the protocol hears only that it was refused.
    fn refused(&mut self, e: GssError) -> SaslError {
        self.refusal = Some(e);
        SaslError::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An acceptor that needs `rounds` tokens, "wraps" by prefixing `W`, and
    /// authenticates `fred@TEST`.
    #[derive(Debug)]
    struct Fake {
        rounds: usize,
        last_token: bool,
        seen: usize,
        established: bool,
    }

    impl Fake {
        fn new(rounds: usize, last_token: bool) -> Box<Self> {
            Box::new(Fake {
                rounds,
                last_token,
                seen: 0,
                established: false,
            })
        }
    }

    impl GssAcceptor for Fake {
        fn accept(&mut self, token: &[u8]) -> Result<Accepted, GssError> {
            if token != b"tok" {
                return Err(GssError("bad token".into()));
            }
            self.seen += 1;
            if self.seen < self.rounds {
                return Ok(Accepted::Continue(b"more".to_vec()));
            }
            self.established = true;
            Ok(Accepted::Complete(self.last_token.then(|| b"rep".to_vec())))
        }

        fn wrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
            assert!(self.established);
            Ok([b"W".as_slice(), message].concat())
        }

        fn unwrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
            message
                .strip_prefix(b"W")
                .map(<[u8]>::to_vec)
                .ok_or_else(|| GssError("bad wrap".into()))
        }

        fn peer(&self) -> Result<Peer, GssError> {
            Ok(Peer {
                principal: "fred@TEST".into(),
                local_name: Some("fred".into()),
                service: Some("imap".into()),
            })
        }
    }

    fn done(authzid: Option<&str>) -> Step {
        Step::Done(Credentials::Gssapi {
            principal: "fred@TEST".into(),
            local_name: Some("fred".into()),
            service: Some("imap".into()),
            authzid: authzid.map(str::to_owned),
        })
    }

    const OFFER: &[u8] = b"W\x01\x00\x20\x00";

    #[test]
    fn kerberos_shape_with_mutual_authentication() {
        let mut x = GssExchange::new(Fake::new(1, true));
        assert_eq!(x.start(None).unwrap(), Step::Challenge(Vec::new()));
        assert_eq!(x.step(b"tok").unwrap(), Step::Challenge(b"rep".to_vec()));
        assert_eq!(x.step(b"").unwrap(), Step::Challenge(OFFER.to_vec()));
        assert_eq!(
            x.step(b"W\x01\x00\x10\x00fred").unwrap(),
            done(Some("fred"))
        );
        assert_eq!(x.step(b"W\x01\x00\x00\x00"), Err(SaslError::Malformed));
    }

    #[test]
    fn initial_response_several_rounds_no_last_token_empty_authzid() {
        let mut x = GssExchange::new(Fake::new(2, false));
        assert_eq!(
            x.start(Some(b"tok")).unwrap(),
            Step::Challenge(b"more".to_vec())
        );
        assert_eq!(x.step(b"tok").unwrap(), Step::Challenge(OFFER.to_vec()));
        assert_eq!(x.step(b"W\x01\x00\x00\x00").unwrap(), done(None));
    }

    #[test]
    fn refusals() {
        let mut x = GssExchange::new(Fake::new(1, false));
        assert_eq!(x.step(b"forged"), Err(SaslError::Refused));
        assert_eq!(x.refusal(), Some(&GssError("bad token".into())));
        // A layer other than "none" is refused, and so is a short or unwrapped answer.
        for answer in [
            &b"W\x04\x00\x00\x00fred"[..],
            b"W\x01\x00",
            b"\x01\x00\x00\x00",
        ] {
            let mut x = GssExchange::new(Fake::new(1, false));
            x.step(b"tok").unwrap();
            assert!(x.step(answer).is_err(), "{answer:?}");
        }
        let mut x = GssExchange::new(Fake::new(1, false));
        x.step(b"tok").unwrap();
        assert_eq!(
            x.step(b"W\x01\x00\x00\x00\xff"),
            Err(SaslError::Malformed),
            "authzid not UTF-8"
        );
    }
}
