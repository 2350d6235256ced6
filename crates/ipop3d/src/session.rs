//! One client's POP3 session: AUTHORIZATION → TRANSACTION → UPDATE (RFC 1939 §3).
//!
//! ```text
//!   greeting ──► AUTHORIZATION ──USER/PASS, APOP, AUTH──► TRANSACTION ──QUIT──► UPDATE
//!                     │ QUIT                                  │ hangup, autologout,
//!                     ▼                                       ▼ kiss of death
//!                   (end)                          (end: the mailbox is left unchanged)
//! ```
//!
//! [`Pop3Session::apply`] is the one place the state changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mailstore::{Access, Store};
use pop3_proto::command::{self, Command, CommandError};
use pop3_proto::frame::{Framer, Line};
use pop3_proto::response::Writer;
use server::log::Level;
use server::session::{Hangup, Reply, Session, Then, Transport};

use crate::command::list::Listing;
use crate::command::retr::Extent;
use crate::command::{Attempts, Ctx, Delay, Method, Transition, printable};
use crate::config::Pop3Config;
use crate::maildrop::Maildrop;

/// How much of a reply is held before it goes to the sink.
const SPILL_AT: usize = 256 * 1024;

/// How often a session in TRANSACTION looks for a request to give up its mailbox.
const KOD_CHECK: Duration = Duration::from_secs(1);

/// One client's POP3 session.
#[derive(Debug)]
pub struct Pop3Session {
    cfg: Arc<Pop3Config>,
    client: String,
    transport: Transport,
    framer: Framer,
    state: State,
    sasl: Option<Box<sasl::Exchange>>,
    challenge: Option<String>,
    attempts: Attempts,
    last_input: Instant,
    life: Life,
    sink: SinkSlot,
}

#[derive(Debug)]
enum State {
    Authorization { user: Option<String> },
    Transaction { user: String, drop: Box<Maildrop> },
}

/// Whether the session still reads commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Open,
    Ended,
}

/// The carrier's sink for large replies, if it gave one.
#[derive(Default)]
struct SinkSlot(Option<pop3_proto::response::Sink>);

impl std::fmt::Debug for SinkSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Sink" } else { "NoSink" })
    }
}

impl Pop3Session {
    /// A session for a client at `client` (as logs name it) on a connection that is
    /// `transport` from the start.
    pub fn new(cfg: Arc<Pop3Config>, client: &str, transport: Transport) -> Self {
        Pop3Session {
            cfg,
            client: client.to_owned(),
            transport,
            framer: Framer::new(),
            state: State::Authorization { user: None },
            sasl: None,
            challenge: None,
            attempts: Attempts::default(),
            last_input: Instant::now(),
            life: Life::Open,
            sink: SinkSlot::default(),
        }
    }

    fn user(&self) -> String {
        match &self.state {
            State::Transaction { user, .. } => printable(user),
            State::Authorization { .. } => "???".into(),
        }
    }

    fn log(&self, level: Level, what: &str) {
        self.cfg.log.line(
            level,
            &format!("{what} user={} host={}", self.user(), self.client),
        );
    }

    /// Handles one line.
    fn line(&mut self, line: &[u8], out: &mut Writer) -> Then {
        let ctx = Ctx {
            out,
            cfg: &self.cfg,
            client: &self.client,
            transport: self.transport,
            challenge: self.challenge.as_deref(),
            attempts: &mut self.attempts,
        };
        if let Some(ex) = self.sasl.take() {
            let t = crate::command::auth::answer(ctx, *ex, line);
            return self.apply(t, out);
        }
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(CommandError::Unknown) => {
                out.err(match self.state {
                    State::Authorization { .. } => "Unknown AUTHORIZATION state command",
                    State::Transaction { .. } => "Unknown TRANSACTION state command",
                });
                return Then::Continue;
            }
            Err(CommandError::Arguments(why)) => {
                out.err(why);
                return Then::Continue;
            }
        };
        use crate::command as c;
        let t = match (&mut self.state, cmd) {
            (_, Command::Capa) => {
                let logged_in = matches!(self.state, State::Transaction { .. });
                c::capa::run(ctx, logged_in)
            }
            (_, Command::Quit) => c::quit::run(ctx),
            (_, Command::Noop) => c::noop::run(ctx),
            (State::Authorization { .. }, Command::User(name)) => c::user::user(ctx, name),
            (State::Authorization { user }, Command::Pass(pw)) => {
                let user = user.take();
                c::user::pass(ctx, user.as_deref(), &pw.0)
            }
            (State::Authorization { .. }, Command::Apop { user, digest }) => {
                c::apop::run(ctx, &user, &digest)
            }
            (State::Authorization { .. }, Command::Auth { mechanism, initial }) => c::auth::start(
                ctx,
                mechanism.as_deref(),
                initial.as_ref().map(|s| s.0.as_slice()),
            ),
            (State::Authorization { .. }, Command::Stls) => c::stls::run(ctx),
            (State::Authorization { .. }, Command::Rpop) => {
                ctx.out.err("Nice try, bunkie");
                Transition::Stay
            }
            (State::Authorization { .. }, _) => {
                ctx.out.err("Unknown AUTHORIZATION state command");
                Transition::Stay
            }
            (State::Transaction { drop, .. }, cmd) => match cmd {
                Command::Stat => c::stat::run(ctx, drop),
                Command::List(n) => c::list::run(ctx, drop, n, Listing::Sizes),
                Command::Uidl(n) => c::list::run(ctx, drop, n, Listing::Uids),
                Command::Retr(n) => c::retr::run(ctx, drop, n, Extent::Whole),
                Command::Top { msg, lines } => c::retr::run(ctx, drop, msg, Extent::Top(lines)),
                Command::Dele(n) => c::dele::run(ctx, drop, n),
                Command::Rset => c::rset::run(ctx, drop),
                Command::Last => c::last::run(ctx, drop),
                Command::Xtnd => {
                    ctx.out.err("Sorry I can't do that");
                    Transition::Stay
                }
                _ => {
                    ctx.out.err("Unknown TRANSACTION state command");
                    Transition::Stay
                }
            },
        };
        self.apply(t, out)
    }

    /// The one place the state changes.
    fn apply(&mut self, t: Transition, out: &mut Writer) -> Then {
        match t {
            Transition::Stay => Then::Continue,
            Transition::User(name) => {
                self.state = State::Authorization { user: Some(name) };
                Then::Continue
            }
            Transition::Sasl(ex) => {
                self.sasl = Some(ex);
                Then::Continue
            }
            Transition::StartTls => {
                // Plain text sent after STLS is dropped.
                self.framer.clear();
                Then::StartTls
            }
            Transition::LoggedIn(account, how) => {
                let store = Store::new(account.store.clone());
                let mailbox = match store.open("INBOX", Access::ReadWrite) {
                    Ok(m) => m,
                    Err(e) => {
                        out.err(&format!("Can't open mailbox: {e}"));
                        return self.end();
                    }
                };
                if mailbox.access() != Access::ReadWrite {
                    let _ = mailbox.close(mailstore::mailbox::Close::Keep);
                    out.err("Can't get lock.  Mailbox in use");
                    return self.end();
                }
                let drop = Maildrop::new(mailbox);
                let (n, _) = drop.stat();
                let drop_len = drop.len();
                self.state = State::Transaction {
                    user: account.user.clone(),
                    drop: Box::new(drop),
                };
                let what = match how {
                    Method::Pass => "Login".to_owned(),
                    Method::Apop => "APOP login".to_owned(),
                    Method::Sasl(m) => format!("Auth mech={m}"),
                };
                self.cfg.log.line(
                    Level::Info,
                    &format!(
                        "{what} user={} host={} nmsgs={n}/{}",
                        printable(&account.user),
                        self.client,
                        drop_len
                    ),
                );
                out.ok(&format!("Mailbox open, {n} messages"));
                Then::Continue
            }
            Transition::Quit => {
                let state = std::mem::replace(&mut self.state, State::Authorization { user: None });
                match state {
                    State::Transaction { user, drop } => {
                        let (n, deleted) = (drop.len(), drop.deleted());
                        let r = drop.commit();
                        self.state = State::Authorization { user: Some(user) };
                        match r {
                            Ok(()) => {
                                out.ok("Sayonara");
                            }
                            Err(e) => {
                                out.err(&format!("Error updating mailbox: {e}"));
                            }
                        }
                        self.cfg.log.line(
                            Level::Info,
                            &format!(
                                "Logout user={} host={} nmsgs={n} ndele={deleted}",
                                self.state_user(),
                                self.client
                            ),
                        );
                    }
                    State::Authorization { .. } => {
                        out.ok("Sayonara");
                    }
                }
                self.life = Life::Ended;
                Then::Close
            }
        }
    }

    /// The user name kept after QUIT for the log.
    fn state_user(&self) -> String {
        match &self.state {
            State::Authorization { user: Some(u) } => printable(u),
            _ => "???".into(),
        }
    }

    /// Ends the session leaving the mailbox as it was.
    fn end(&mut self) -> Then {
        if let State::Transaction { drop, user } =
            std::mem::replace(&mut self.state, State::Authorization { user: None })
        {
            if let Err(e) = drop.abandon() {
                self.cfg.log.line(
                    Level::Error,
                    &format!(
                        "Error closing mailbox: {e} user={} host={}",
                        printable(&user),
                        self.client
                    ),
                );
            }
            self.state = State::Authorization { user: Some(user) };
        }
        self.life = Life::Ended;
        Then::Close
    }
}

impl Session for Pop3Session {
    fn set_sink(&mut self, sink: server::session::Sink) {
        self.sink = SinkSlot(Some(sink));
    }

    fn greeting(&mut self) -> Reply {
        let mut out = Writer::new();
        let version = env!("CARGO_PKG_VERSION");
        let offered = self.cfg.cram.as_ref().is_some_and(|c| c.available());
        if offered {
            let c = String::from_utf8_lossy(&server::auth::cram_md5_challenge(&self.cfg.hostname))
                .into_owned();
            out.ok(&format!("POP3 {version} server ready {c}"));
            self.challenge = Some(c);
        } else {
            out.ok(&format!(
                "POP3 {} {version} server ready",
                self.cfg.hostname
            ));
        }
        Reply::send(out.take())
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.last_input = Instant::now();
        self.framer.feed(bytes);
    }

    fn step(&mut self) -> Option<Reply> {
        if self.life == Life::Ended {
            return None;
        }
        let line = self.framer.next_line()?;
        let mut out = Writer::spilling(self.sink.0.clone(), SPILL_AT);
        self.attempts.delay = Delay::No;
        let then = match line {
            Line::Text(l) => self.line(&l, &mut out),
            Line::TooLong => {
                out.err("Command line too long");
                Then::Continue
            }
        };
        let delay = (self.attempts.delay == Delay::Yes).then_some(self.cfg.failed_login_delay);
        Some(Reply {
            bytes: out.take(),
            then,
            delay,
        })
    }

    fn timeout(&self) -> Duration {
        let limit = match self.state {
            State::Authorization { .. } => self.cfg.login_timeout,
            State::Transaction { .. } => self.cfg.idle_timeout,
        };
        (self.last_input + limit).saturating_duration_since(Instant::now())
    }

    fn timed_out(&mut self) -> Reply {
        let mut out = Writer::new();
        out.err("Autologout; idle for too long");
        self.log(Level::Info, "Autologout");
        let then = self.end();
        Reply::then(out.take(), then)
    }

    fn tick_every(&self) -> Option<Duration> {
        match self.state {
            State::Transaction { .. } => Some(KOD_CHECK),
            State::Authorization { .. } => None,
        }
    }

    fn tick_due(&self) -> bool {
        // The kiss of death is honoured only by a session idle long enough (Panda's
        // KODTIMEOUT): a client in the middle of a download keeps its mailbox.
        match &self.state {
            State::Transaction { drop, .. } => {
                self.last_input.elapsed() >= self.cfg.kod_after && drop.asked_to_let_go()
            }
            State::Authorization { .. } => false,
        }
    }

    fn tick(&mut self) -> Option<Reply> {
        if !self.tick_due() {
            return None;
        }
        let State::Transaction { drop, .. } = &mut self.state else {
            return None;
        };
        if !drop.lost() {
            return None;
        }
        let mut out = Writer::new();
        out.err("Received Kiss of Death");
        self.log(Level::Info, "Killed (lost mailbox lock)");
        let then = self.end();
        Some(Reply::then(out.take(), then))
    }

    fn tls_started(&mut self) {
        self.transport = Transport::Tls;
    }

    fn hangup(&mut self, why: Hangup) {
        if self.life == Life::Open {
            let what = match why {
                Hangup::EndOfFile => "Command stream end of file",
                Hangup::Error => "Connection broken",
            };
            self.log(Level::Info, what);
            self.end();
        }
    }

    fn shutdown(&mut self) -> Reply {
        let mut out = Writer::new();
        out.err("Server shutting down");
        self.log(Level::Info, "Shutdown");
        let then = self.end();
        Reply::then(out.take(), then)
    }
}
