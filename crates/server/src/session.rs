//! The contract between a protocol session (IMAP, POP3) and what carries its bytes.
//!
//! A session is sans-I/O toward the network: it is given the client's bytes, and gives
//! back what to send and what to do next. It may do file I/O on the mail store while it
//! works, so a carrier that cannot block (the daemon) runs [`Session::step`] and
//! [`Session::tick`] on a thread that may.

use std::time::Duration;

/// What to send, and what follows.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// Bytes for the client, to go out in one write.
    pub bytes: Vec<u8>,
    /// What the carrier does after sending them.
    pub then: Then,
    /// How long to wait before sending (a failed login's delay).
    pub delay: Option<Duration>,
}

impl Reply {
    /// Bytes to send, then carry on.
    pub fn send(bytes: Vec<u8>) -> Self {
        Reply {
            bytes,
            ..Reply::default()
        }
    }

    /// Bytes to send, then `then`.
    pub fn then(bytes: Vec<u8>, then: Then) -> Self {
        Reply {
            bytes,
            then,
            delay: None,
        }
    }
}

/// What the carrier does after a reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Then {
    /// Keep reading.
    #[default]
    Continue,
    /// Start TLS on the connection (the session has already said OK).
    StartTls,
    /// Close the connection.
    Close,
}

/// Whether the connection is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Plain text.
    Plain,
    /// TLS.
    Tls,
}

/// Where a session sends the part of a large reply it has made so far (the carrier
/// writes it while the session goes on).
pub type Sink = std::sync::Arc<dyn Fn(Vec<u8>) + Send + Sync>;

/// A protocol session.
pub trait Session: Send + 'static {
    /// Gives the session a sink for large replies; without one, replies are held whole.
    fn set_sink(&mut self, sink: Sink);

    /// The greeting.
    fn greeting(&mut self) -> Reply;

    /// Takes bytes from the client.
    fn receive(&mut self, bytes: &[u8]);

    /// Handles the next whole command the bytes received make, if any. May block on the
    /// mail store.
    fn step(&mut self) -> Option<Reply>;

    /// How long the client may stay silent now before [`Session::timed_out`].
    fn timeout(&self) -> Duration;

    /// The client said nothing for [`Session::timeout`]: the autologout.
    fn timed_out(&mut self) -> Reply;

    /// How often [`Session::tick`] wants to run now (IDLE polling), if at all.
    fn tick_every(&self) -> Option<Duration>;

    /// Whether [`Session::tick`] has work now; cheap, never blocks (the carrier asks at
    /// every [`Session::tick_every`] and runs the tick, which may block, only then).
    fn tick_due(&self) -> bool {
        true
    }

    /// Periodic work while waiting for the client. May block on the mail store.
    fn tick(&mut self) -> Option<Reply>;

    /// TLS is now on (after STARTTLS, or from the start).
    fn tls_started(&mut self);

    /// The client closed the connection or it failed.
    fn hangup(&mut self, why: Hangup);

    /// The server is shutting down: the farewell.
    fn shutdown(&mut self) -> Reply;
}

/// How a connection ended from the client's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hangup {
    /// The client closed its end.
    EndOfFile,
    /// Reading or writing failed.
    Error,
}
