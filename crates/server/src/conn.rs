//! Carrying a [`Session`] over a byte stream (a TCP connection, or inetd's standard input
//! and output), with TLS from the start or after STARTTLS, timeouts, periodic ticks and
//! shutdown.
//!
//! The session's store work runs on tokio's blocking pool, so a connection waiting on
//! its client costs only its task and buffers. Replies are written whole, each burst in
//! one write.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

use crate::session::{Hangup, Reply, Session, Then, Transport};

/// A byte stream a session can run on.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// How a connection starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// In plain text (STARTTLS may follow).
    Plain,
    /// With a TLS handshake (IMAPS).
    Tls,
}

/// Why a connection ended other than by the session's choice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnError {
    /// The TLS handshake failed.
    #[error("TLS handshake: {0}")]
    Handshake(std::io::Error),
    /// TLS was asked for but none is configured.
    #[error("TLS is not configured")]
    NoTls,
    /// A session task failed.
    #[error("session task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Runs `session` on `stream` until either side ends it or `shutdown` turns true.
pub async fn serve<S: Session>(
    stream: Box<dyn Stream>,
    tls: Option<Arc<rustls::ServerConfig>>,
    start: Start,
    session: S,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ConnError> {
    let mut session = Box::new(session);
    let mut stream = stream;
    if start == Start::Tls {
        stream = handshake(stream, tls.as_ref()).await?;
        session.tls_started();
    }
    let greeting = session.greeting();
    if !send(&mut stream, &greeting).await || greeting.then == Then::Close {
        return Ok(());
    }
    // Large replies come in pieces through this channel while the session works.
    let (chunk_tx, mut chunks) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    session.set_sink(std::sync::Arc::new(move |b: Vec<u8>| {
        let _ = chunk_tx.blocking_send(b);
    }));
    let mut buf = vec![0u8; 4096];
    loop {
        let timeout = session.timeout();
        let tick = session.tick_every();
        let event = tokio::select! {
            r = stream.read(&mut buf) => match r {
                Ok(0) => Event::Hangup(Hangup::EndOfFile),
                Ok(n) => Event::Input(n),
                Err(_) => Event::Hangup(Hangup::Error),
            },
            () = tokio::time::sleep(timeout) => Event::Timeout,
            () = sleep_or_never(tick) => Event::Tick,
            _ = shutdown.changed() => Event::Shutdown,
        };
        match event {
            Event::Input(n) => {
                session.receive(&buf[..n]);
                let mut done = false;
                // Each batch runs every command the input holds, up to one that changes
                // the connection or must wait.
                loop {
                    let task = tokio::task::spawn_blocking(move || {
                        let mut s = session;
                        let r = run_steps(&mut *s);
                        (s, r)
                    });
                    let (s, (reply, drained)) = pass_chunks(task, &mut chunks, &mut stream).await?;
                    session = s;
                    let Some(reply) = reply else { break };
                    if let Some(d) = reply.delay {
                        tokio::time::sleep(d).await;
                    }
                    if !send(&mut stream, &reply).await {
                        session_hangup(session, Hangup::Error).await?;
                        return Ok(());
                    }
                    match reply.then {
                        // Every command received has been answered: wait for more.
                        Then::Continue if drained == Drained::Yes => break,
                        Then::Continue => {}
                        Then::Close => {
                            done = true;
                            break;
                        }
                        Then::StartTls => {
                            stream = handshake(stream, tls.as_ref()).await?;
                            session.tls_started();
                        }
                    }
                }
                if done {
                    let _ = stream.shutdown().await;
                    return Ok(());
                }
            }
            Event::Hangup(why) => {
                session_hangup(session, why).await?;
                return Ok(());
            }
            Event::Timeout => {
                let r = session.timed_out();
                send(&mut stream, &r).await;
                let _ = stream.shutdown().await;
                return Ok(());
            }
            Event::Tick if !session.tick_due() => {}
            Event::Tick => {
                let task = tokio::task::spawn_blocking(move || {
                    let mut s = session;
                    let r = s.tick();
                    (s, r)
                });
                let (s, reply) = pass_chunks(task, &mut chunks, &mut stream).await?;
                session = s;
                if let Some(r) = reply {
                    if !send(&mut stream, &r).await {
                        session_hangup(session, Hangup::Error).await?;
                        return Ok(());
                    }
                    if r.then == Then::Close {
                        let _ = stream.shutdown().await;
                        return Ok(());
                    }
                }
            }
            Event::Shutdown => {
                let r = session.shutdown();
                send(&mut stream, &r).await;
                let _ = stream.shutdown().await;
                return Ok(());
            }
        }
    }
}

enum Event {
    Input(usize),
    Hangup(Hangup),
    Timeout,
    Tick,
    Shutdown,
}

/// Waits for a session task, writing the pieces of reply it sends meanwhile (and any
/// left when it ends, so that they go before its final bytes). After a failed write the
/// pieces are still taken, so that the task never waits on a full channel.
async fn pass_chunks<T>(
    task: tokio::task::JoinHandle<T>,
    chunks: &mut tokio::sync::mpsc::Receiver<Vec<u8>>,
    stream: &mut Box<dyn Stream>,
) -> Result<T, ConnError> {
    tokio::pin!(task);
    let mut broken = false;
    let done = loop {
        tokio::select! {
            biased;
            Some(chunk) = chunks.recv() => {
                if !broken {
                    broken = stream.write_all(&chunk).await.is_err();
                }
            }
            r = &mut task => break r?,
        }
    };
    while let Ok(chunk) = chunks.try_recv() {
        if !broken {
            broken = stream.write_all(&chunk).await.is_err();
        }
    }
    Ok(done)
}

/// Whether a batch of steps used up the commands received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Drained {
    /// It did: the session waits for input.
    Yes,
    /// It stopped at a reply that changes the connection or must wait; more may follow.
    No,
}

/// Steps the session until it has nothing to do, or gives a reply that changes the
/// connection or must wait; the replies' bytes are joined into one. A delayed reply ends
/// the batch, and what came before it in the batch waits with it.
fn run_steps(s: &mut dyn Session) -> (Option<Reply>, Drained) {
    let mut out: Option<Reply> = None;
    while let Some(r) = s.step() {
        let o = out.get_or_insert_with(Reply::default);
        o.bytes.extend_from_slice(&r.bytes);
        o.then = r.then;
        o.delay = o.delay.or(r.delay);
        if r.then != Then::Continue || r.delay.is_some() {
            return (out, Drained::No);
        }
    }
    (out, Drained::Yes)
}

async fn session_hangup<S: Session>(session: Box<S>, why: Hangup) -> Result<(), ConnError> {
    tokio::task::spawn_blocking(move || {
        let mut s = session;
        s.hangup(why);
    })
    .await?;
    Ok(())
}

async fn sleep_or_never(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Sends a reply; false if the connection failed.
async fn send(stream: &mut Box<dyn Stream>, reply: &Reply) -> bool {
    if reply.bytes.is_empty() {
        return true;
    }
    stream.write_all(&reply.bytes).await.is_ok() && stream.flush().await.is_ok()
}

async fn handshake(
    stream: Box<dyn Stream>,
    tls: Option<&Arc<rustls::ServerConfig>>,
) -> Result<Box<dyn Stream>, ConnError> {
    let cfg = tls.ok_or(ConnError::NoTls)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(cfg));
    let s = tokio::time::timeout(Duration::from_secs(60), acceptor.accept(stream))
        .await
        .map_err(|_| ConnError::Handshake(std::io::ErrorKind::TimedOut.into()))?
        .map_err(ConnError::Handshake)?;
    Ok(Box::new(s))
}

/// The transport a connection that started with `start` has before any STARTTLS.
pub fn transport_of(start: Start) -> Transport {
    match start {
        Start::Plain => Transport::Plain,
        Start::Tls => Transport::Tls,
    }
}
