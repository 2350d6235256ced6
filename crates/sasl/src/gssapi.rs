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
//! The client side, [`GssClientExchange`] over a [`GssInitiator`], makes the same
//! exchange from the other end: context tokens until the initiator is established, an
//! empty response to the server's last token, then the answer to the offer: "no security
//! layer" (c-client has none: inventory §7.3), a buffer size of 0 (RFC 4752 §3.1: none
//! without a layer), and the authorization identity.
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

/// The initiator side of a GSS-API security context (`gss_init_sec_context`, `gss_wrap`,
/// `gss_unwrap`).
pub trait GssInitiator: Send + fmt::Debug {
    /// One step of context establishment: the server's last token (None at first); the
    /// token to send, if any.
    fn step(&mut self, token: Option<&[u8]>) -> Result<Option<Vec<u8>>, GssError>;

    /// Whether the context is established.
    fn is_complete(&self) -> bool;

    /// Protects `message` for integrity (no confidentiality), once established.
    fn wrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError>;

    /// Checks and opens a wrapped `message` from the server.
    fn unwrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError>;
}

/// Where a client exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientState {
    /// Nothing sent yet.
    Start,
    /// Context tokens going back and forth; once the initiator is established, the next
    /// challenge is the server's offer.
    Establishing,
    /// The answer to the offer was sent.
    Finished,
}

/// One client-side GSSAPI exchange (RFC 4752 §3.1).
#[derive(Debug)]
pub struct GssClientExchange {
    initiator: Box<dyn GssInitiator>,
    authzid: String,
    state: ClientState,
    refusal: Option<GssError>,
}

impl GssClientExchange {
    /// An exchange over `initiator`, asking to act as `authzid` (empty: the principal's
    /// own identity).
    pub fn new(initiator: Box<dyn GssInitiator>, authzid: &str) -> Self {
        GssClientExchange {
            initiator,
            authzid: authzid.to_owned(),
            state: ClientState::Start,
            refusal: None,
        }
    }

    /// Why the GSS-API refused the last step, if it did (for the user).
    pub fn refusal(&self) -> Option<&GssError> {
        self.refusal.as_ref()
    }

    /// The first context token, sent as the initial response where the protocol has
    /// one.
    pub fn initial_response(&mut self) -> Result<Vec<u8>, SaslError> {
        match self.state {
            ClientState::Start => {
                self.state = ClientState::Establishing;
                let token = self.initiator.step(None).map_err(|e| self.refused(e))?;
                Ok(token.unwrap_or_default())
            }
            _ => Err(SaslError::Malformed),
        }
    }

    /// The answer to the server's `challenge` (decoded from base64).
    pub fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        match self.state {
            // Without an initial response, the server's first challenge is empty.
            ClientState::Start if challenge.is_empty() => self.initial_response(),
            ClientState::Start | ClientState::Finished => Err(SaslError::Malformed),
            ClientState::Establishing if !self.initiator.is_complete() => {
                let token = self
                    .initiator
                    .step(Some(challenge))
                    .map_err(|e| self.refused(e))?;
                Ok(token.unwrap_or_default())
            }
            ClientState::Establishing => {
                self.state = ClientState::Finished;
                let offer = self
                    .initiator
                    .unwrap(challenge)
                    .map_err(|e| self.refused(e))?;
                if offer.len() != 4 || offer[0] & LAYER_NONE == 0 {
                    return Err(SaslError::Malformed);
                }
                let mut answer = vec![LAYER_NONE, 0, 0, 0];
                answer.extend_from_slice(self.authzid.as_bytes());
                self.initiator.wrap(&answer).map_err(|e| self.refused(e))
            }
        }
    }

    /// Keeps `e` for the user; the protocol hears only that it was refused.
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

    /// An initiator that needs `rounds` server tokens (`rep`) after its first (`tok`),
    /// and "wraps" by prefixing `W`.
    #[derive(Debug)]
    struct FakeInitiator {
        rounds: usize,
        seen: usize,
        started: bool,
    }

    impl GssInitiator for FakeInitiator {
        fn step(&mut self, token: Option<&[u8]>) -> Result<Option<Vec<u8>>, GssError> {
            match token {
                None if !self.started => {
                    self.started = true;
                    Ok(Some(b"tok".to_vec()))
                }
                Some(b"rep") if self.started && self.seen < self.rounds => {
                    self.seen += 1;
                    Ok((self.seen < self.rounds).then(|| b"tok".to_vec()))
                }
                _ => Err(GssError("bad token".into())),
            }
        }

        fn is_complete(&self) -> bool {
            self.started && self.seen == self.rounds
        }

        fn wrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
            Ok([b"W".as_slice(), message].concat())
        }

        fn unwrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
            message
                .strip_prefix(b"W")
                .map(<[u8]>::to_vec)
                .ok_or_else(|| GssError("bad wrap".into()))
        }
    }

    fn initiator(rounds: usize) -> Box<FakeInitiator> {
        Box::new(FakeInitiator {
            rounds,
            seen: 0,
            started: false,
        })
    }

    #[test]
    fn client_with_mutual_authentication_against_our_server_side() {
        // Client and server over the fakes: the server's acceptor takes `tok` and sends
        // `rep` as its last token.
        let mut c = GssClientExchange::new(initiator(1), "fred");
        let mut s = GssExchange::new(Fake::new(1, true));
        let ir = c.initial_response().unwrap();
        let Step::Challenge(rep) = s.start(Some(&ir)).unwrap() else {
            panic!()
        };
        assert_eq!(rep, b"rep");
        let empty = c.respond(&rep).unwrap();
        assert!(empty.is_empty());
        let Step::Challenge(offer) = s.step(&empty).unwrap() else {
            panic!()
        };
        let answer = c.respond(&offer).unwrap();
        assert_eq!(answer, b"W\x01\x00\x00\x00fred");
        assert_eq!(s.step(&answer).unwrap(), done(Some("fred")));
        assert_eq!(c.respond(b"more?"), Err(SaslError::Malformed));
    }

    #[test]
    fn client_without_initial_response_or_last_token() {
        let mut c = GssClientExchange::new(initiator(0), "");
        assert_eq!(c.respond(b"").unwrap(), b"tok");
        // Established at once: the next challenge is the offer.
        assert_eq!(c.respond(OFFER).unwrap(), b"W\x01\x00\x00\x00");
    }

    #[test]
    fn client_refuses_an_offer_without_the_no_layer_bit_and_bad_tokens() {
        let mut c = GssClientExchange::new(initiator(0), "");
        c.initial_response().unwrap();
        assert_eq!(
            c.respond(b"W\x04\x00\x20\x00"),
            Err(SaslError::Malformed),
            "only integrity or privacy offered"
        );
        let mut c = GssClientExchange::new(initiator(1), "");
        c.initial_response().unwrap();
        assert_eq!(c.respond(b"forged"), Err(SaslError::Refused));
        assert_eq!(c.refusal(), Some(&GssError("bad token".into())));
        let mut c = GssClientExchange::new(initiator(0), "");
        assert_eq!(c.respond(b"not empty"), Err(SaslError::Malformed));
    }
}
