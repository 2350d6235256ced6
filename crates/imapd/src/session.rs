//! One client's IMAP session: the state machine (RFC 3501 §3) and the command table.
//!
//! ```text
//!   greeting ──► Not Authenticated ──LOGIN/AUTHENTICATE──► Authenticated ◄─┐
//!                     │                                      │  SELECT     │ CLOSE,
//!                     │                                      ▼             │ UNSELECT,
//!                     │                                   Selected ────────┘ failed SELECT
//!                     └──────────── LOGOUT, errors ───────► Logout (the session ends)
//! ```
//!
//! In the authenticated state a mailbox may be selected (`Authed::selected`); commands
//! of the selected state check for it in the table. Besides the states there are modes
//! in which the client's lines are not commands: an AUTHENTICATE exchange and IDLE.
//! [`ImapSession::apply`] is the one place state and mode change.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use imap_proto::command::{Command, CommandBody, CommandError, Utf8Mode, parse_command_in};
use imap_proto::frame::{Frame, Framer, Limits};
use imap_proto::response::Writer;
use mailstore::mailbox::Close;
use server::auth::Account;
use server::log::Level;
use server::session::{Hangup, Reply, Session, Then, Transport};

use crate::capability::{self, Phase};
use crate::command::close::Leave;
use crate::command::idle::Idle;
use crate::command::list::Which;
use crate::command::login::{Attempts, Delay};
use crate::command::subscribe::Change;
use crate::command::{self, Authed, Ctx, Done, Transition};
use crate::config::SessionConfig;
use crate::respond::Failure;
use crate::selected::Lost;

/// Unrecognised commands allowed before login before the connection is closed (Panda's
/// defence against cross-protocol attacks).
const MAX_UNKNOWN_BEFORE_LOGIN: u32 = 3;

/// How often alert files and `/etc/nologin` are looked at.
const ALERT_EVERY: Duration = Duration::from_secs(60);

/// How often a session with a mailbox selected looks whether another process asked for it.
const KOD_CHECK: Duration = Duration::from_secs(1);

/// The grace between `/etc/nologin` appearing and the session ending.
const NOLOGIN_GRACE: Duration = Duration::from_secs(60);

/// One client's session.
#[derive(Debug)]
pub struct ImapSession {
    cfg: Arc<SessionConfig>,
    client: String,
    transport: Transport,
    framer: Framer,
    state: State,
    mode: Mode,
    unknown: u32,
    attempts: Attempts,
    last_input: Instant,
    alerts: Alerts,
    closing_at: Option<Instant>,
    life: Life,
    sink: SinkSlot,
}

/// The carrier's sink for large replies, if it gave one.
#[derive(Default)]
struct SinkSlot(Option<imap_proto::response::Sink>);

impl std::fmt::Debug for SinkSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Sink" } else { "NoSink" })
    }
}

/// How much of a reply is held before it goes to the sink.
const SPILL_AT: usize = 256 * 1024;

/// Whether the session still reads commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Open,
    Ended,
}

#[derive(Debug)]
enum State {
    NotAuthenticated,
    Authenticated(Box<Authed>),
}

#[derive(Debug)]
enum Mode {
    Commands,
    Authenticate {
        tag: Vec<u8>,
        exchange: Box<sasl::Exchange>,
    },
    Idle(Idle),
}

/// What the client has been shown of the alert files.
#[derive(Debug, Default)]
struct Alerts {
    checked: Option<Instant>,
    system: Option<SystemTime>,
    user: Option<SystemTime>,
    nologin: NoLogin,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum NoLogin {
    #[default]
    Absent,
    Announced,
}

impl ImapSession {
    /// A session for a client at `client` (written in logs as given, e.g. `[192.0.2.1]`)
    /// on a connection that is `transport` from the start.
    pub fn new(cfg: Arc<SessionConfig>, client: &str, transport: Transport) -> Self {
        ImapSession {
            cfg,
            client: client.to_owned(),
            transport,
            framer: Framer::new(Limits::default()),
            state: State::NotAuthenticated,
            mode: Mode::Commands,
            unknown: 0,
            attempts: Attempts::default(),
            last_input: Instant::now(),
            alerts: Alerts::default(),
            closing_at: None,
            life: Life::Open,
            sink: SinkSlot::default(),
        }
    }

    /// A session that starts authenticated as `account`, greeting with `* PREAUTH`
    /// (RFC 9051 §7.1.4): UW's rimapd, `ssh host exec imapd --preauth`, where the process
    /// already is the user.
    pub fn preauthenticated(
        cfg: Arc<SessionConfig>,
        client: &str,
        transport: Transport,
        account: Account,
    ) -> Self {
        let mut session = ImapSession::new(cfg, client, transport);
        session.state = State::Authenticated(Box::new(Authed::new(account)));
        session
    }

    fn user(&self) -> &str {
        match &self.state {
            State::Authenticated(a) => &a.account.user,
            _ => "???",
        }
    }

    fn log(&self, level: Level, what: &str) {
        self.cfg.log.line(
            level,
            &format!("{what} user={} host={}", self.user(), self.client),
        );
    }

    /// Whether the client has enabled UTF8=ACCEPT, which changes how commands parse.
    fn utf8(&self) -> Utf8Mode {
        match &self.state {
            State::Authenticated(a) => a.utf8,
            State::NotAuthenticated => Utf8Mode::Off,
        }
    }

    fn phase(&self) -> Phase {
        match self.state {
            State::Authenticated(_) => Phase::PostAuth,
            _ => Phase::PreAuth,
        }
    }

    /// Shows alert lines that are new or changed, and announces `/etc/nologin`.
    fn check_alerts(&mut self, out: &mut Writer, force: bool) {
        let now = Instant::now();
        if !force
            && self
                .alerts
                .checked
                .is_some_and(|t| now.duration_since(t) < ALERT_EVERY)
        {
            return;
        }
        self.alerts.checked = Some(now);
        if let Some(f) = self.cfg.alert_file.clone() {
            show_alert(out, &f, &mut self.alerts.system);
        }
        if let State::Authenticated(a) = &self.state {
            let f = a.account.store.home.join(".imapalert");
            show_alert(out, &f, &mut self.alerts.user);
        }
        if self.alerts.nologin == NoLogin::Absent
            && self.cfg.nologin_file.as_deref().is_some_and(Path::exists)
        {
            self.alerts.nologin = NoLogin::Announced;
            out.status(None, "OK", Some("ALERT"), "Server shutting down shortly");
            self.closing_at = Some(now + NOLOGIN_GRACE);
        }
    }

    /// Handles one frame.
    fn frame(&mut self, frame: Frame, out: &mut Writer) -> Then {
        if let Mode::Authenticate { .. } | Mode::Idle(_) = self.mode {
            return match frame {
                Frame::Command(line) => self.continuation(&line, out),
                Frame::Continue { .. } | Frame::Rejected { .. } => {
                    self.mode_line_error(out);
                    Then::Continue
                }
            };
        }
        match frame {
            Frame::Continue { .. } => {
                out.text("+ Ready for argument\r\n");
                Then::Continue
            }
            Frame::Rejected { tag, reason } => {
                if self.phase() == Phase::PreAuth {
                    self.cfg.log.line(
                        Level::Warning,
                        &format!("{reason} before authentication host={}", self.client),
                    );
                    out.status(None, "BYE", None, &reason.to_string());
                    return self.finish(Then::Close);
                }
                out.status(
                    tag.as_deref().or(Some(b"*")),
                    "BAD",
                    None,
                    &reason.to_string(),
                );
                Then::Continue
            }
            Frame::Command(bytes) => match parse_command_in(&bytes, self.utf8()) {
                Ok(cmd) => self.command(cmd, out),
                Err(e) => self.bad_command(e, out),
            },
        }
    }

    /// A line that is not a command: a SASL response or the end of IDLE.
    fn continuation(&mut self, line: &[u8], out: &mut Writer) -> Then {
        match std::mem::replace(&mut self.mode, Mode::Commands) {
            Mode::Authenticate { tag, exchange } => {
                let ctx = Ctx {
                    tag: &tag,
                    out,
                    cfg: &self.cfg,
                    client: &self.client,
                    transport: self.transport,
                };
                let r = command::authenticate::answer(ctx, &mut self.attempts, *exchange, line);
                self.complete(&tag, r, out)
            }
            Mode::Idle(idle) => {
                let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
                let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
                let tag = idle.tag.clone();
                let sel = match &mut self.state {
                    State::Authenticated(a) => a.selected.as_mut(),
                    _ => None,
                };
                if let Err(Lost::Mailbox(why)) = idle.done(out, sel) {
                    return self.lost(&why, out);
                }
                if trimmed.eq_ignore_ascii_case(b"DONE") {
                    out.status(Some(&tag), "OK", None, "IDLE completed");
                } else {
                    out.status(Some(&tag), "BAD", None, "Bogus IDLE continuation");
                }
                Then::Continue
            }
            Mode::Commands => Then::Continue,
        }
    }

    fn mode_line_error(&mut self, out: &mut Writer) {
        let tag = match std::mem::replace(&mut self.mode, Mode::Commands) {
            Mode::Authenticate { tag, .. } => tag,
            Mode::Idle(i) => i.tag,
            Mode::Commands => b"*".to_vec(),
        };
        out.status(Some(&tag), "BAD", None, "Invalid continuation");
    }

    fn bad_command(&mut self, e: CommandError, out: &mut Writer) -> Then {
        let pre = self.phase() == Phase::PreAuth;
        match e {
            CommandError::NoTag => {
                out.status(None, "BAD", None, "Missing or invalid tag");
                if pre {
                    return self.finish(Then::Close);
                }
            }
            CommandError::Unknown { tag } => {
                out.status(Some(&tag), "BAD", None, "Command unrecognized");
                if pre {
                    self.unknown += 1;
                    if self.unknown >= MAX_UNKNOWN_BEFORE_LOGIN {
                        out.status(None, "BYE", None, "Too many unrecognized commands");
                        return self.finish(Then::Close);
                    }
                }
            }
            CommandError::Syntax { tag, error } => {
                out.status(
                    Some(&tag),
                    "BAD",
                    None,
                    &format!("Invalid arguments: {error}"),
                );
            }
        }
        Then::Continue
    }

    /// Runs a command through the table.
    fn command(&mut self, cmd: Command, out: &mut Writer) -> Then {
        let Command { tag, body } = cmd;
        let ctx = Ctx {
            tag: &tag,
            out,
            cfg: &self.cfg,
            client: &self.client,
            transport: self.transport,
        };
        let phase = match self.state {
            State::Authenticated(_) => Phase::PostAuth,
            _ => Phase::PreAuth,
        };
        use CommandBody as B;
        let r = match (&mut self.state, body) {
            (_, B::Capability) => command::capability::run(ctx, phase),
            (_, B::Noop) => command::noop::run(ctx),
            (_, B::Logout) => command::logout::run(ctx),
            (State::NotAuthenticated, B::StartTls) => command::starttls::run(ctx),
            (State::NotAuthenticated, B::Login { user, password }) => {
                command::login::run(ctx, &mut self.attempts, &user, &password.0)
            }
            (State::NotAuthenticated, B::Authenticate { mechanism, initial }) => {
                command::authenticate::start(
                    ctx,
                    &mut self.attempts,
                    &mechanism,
                    initial.as_ref().map(|s| s.0.as_slice()),
                )
            }
            (State::NotAuthenticated, B::Id(_)) => command::id::run(ctx),
            (State::NotAuthenticated, _) => Err(Failure::bad("Command not valid before login")),
            (State::Authenticated(a), body) => authenticated(ctx, a, body),
        };
        self.complete(&tag, r, out)
    }

    /// Writes the tagged completion after the untagged updates, and applies the
    /// transition.
    fn complete(&mut self, tag: &[u8], r: Result<Done, Failure>, out: &mut Writer) -> Then {
        match r {
            Ok(done) => {
                if let Transition::Stay = done.then
                    && let State::Authenticated(a) = &mut self.state
                    && let Some(sel) = a.selected.as_mut()
                    && let Err(Lost::Mailbox(why)) = sel.sync(out, done.poll)
                {
                    return self.lost(&why, out);
                }
                let silent = matches!(done.then, Transition::Authenticate(_) | Transition::Idle);
                let login = matches!(done.then, Transition::LoggedIn(_));
                if !silent {
                    out.status(Some(tag), "OK", done.code.as_deref(), &done.text);
                }
                let then = self.apply(tag, done.then);
                if login {
                    // The user's own alert (~/.imapalert) is shown right after login.
                    self.check_alerts(out, true);
                }
                then
            }
            Err(f) => {
                if let State::Authenticated(a) = &mut self.state
                    && let Some(sel) = a.selected.as_mut()
                {
                    sel.tell_counts(out);
                }
                f.write(out, tag);
                Then::Continue
            }
        }
    }

    /// The one place state and mode change.
    fn apply(&mut self, tag: &[u8], t: Transition) -> Then {
        match t {
            Transition::Stay => Then::Continue,
            Transition::LoggedIn(account) => {
                self.state = State::Authenticated(Box::new(Authed::new(*account)));
                Then::Continue
            }
            Transition::Select(sel) => {
                if let State::Authenticated(a) = &mut self.state {
                    a.selected = Some(*sel);
                }
                Then::Continue
            }
            Transition::Unselect => {
                if let State::Authenticated(a) = &mut self.state {
                    a.selected = None;
                }
                Then::Continue
            }
            Transition::Logout => {
                self.log(Level::Info, "Logout");
                self.finish(Then::Close)
            }
            Transition::StartTls => {
                // Anything the client sent after STARTTLS in plain text is dropped.
                self.framer = Framer::new(Limits::default());
                Then::StartTls
            }
            Transition::Authenticate(exchange) => {
                self.mode = Mode::Authenticate {
                    tag: tag.to_vec(),
                    exchange,
                };
                Then::Continue
            }
            Transition::Idle => {
                self.mode = Mode::Idle(Idle::new(tag.to_vec()));
                Then::Continue
            }
            Transition::EnableUtf8 => {
                if let State::Authenticated(a) = &mut self.state {
                    a.utf8 = Utf8Mode::Accept;
                }
                Then::Continue
            }
        }
    }

    /// The mailbox was lost: the session ends, as UW's does.
    fn lost(&mut self, why: &str, out: &mut Writer) -> Then {
        self.log(Level::Error, why);
        out.status(None, "BYE", None, why);
        self.finish(Then::Close)
    }

    /// Closes what is open and enters the logout state.
    fn finish(&mut self, then: Then) -> Then {
        if let State::Authenticated(a) = &mut self.state
            && let Some(sel) = a.selected.take()
            && let Err(e) = sel.close(Close::Keep)
        {
            self.cfg.log.line(
                Level::Error,
                &format!(
                    "Error closing mailbox: {e} user={} host={}",
                    a.account.user, self.client
                ),
            );
        }
        if then == Then::Close {
            // The state stays as it is (the user is still named in log lines); nothing
            // more is read.
            self.mode = Mode::Commands;
            self.closing_at = None;
            self.framer = Framer::new(Limits::default());
            self.life = Life::Ended;
        }
        then
    }
}

/// Shows the lines of alert file `path` if it changed since `seen`.
fn show_alert(out: &mut Writer, path: &Path, seen: &mut Option<SystemTime>) {
    let Ok(mtime) = std::fs::metadata(path).and_then(|m| m.modified()) else {
        return;
    };
    if *seen == Some(mtime) {
        return;
    }
    *seen = Some(mtime);
    let Ok(text) = std::fs::read(path) else {
        return;
    };
    for line in text.split(|&b| b == b'\n') {
        let clean: String = String::from_utf8_lossy(line)
            .chars()
            .filter(|&c| c != '\r' && c != '\0')
            .collect();
        if !clean.trim().is_empty() {
            out.status(None, "OK", Some("ALERT"), &clean);
        }
    }
}

/// Whether a command changes mailboxes or subscriptions (refused to the anonymous user,
/// whose session is read-only; STORE is refused by the read-only selection).
fn changes_mailboxes(body: &CommandBody) -> bool {
    use CommandBody as B;
    matches!(
        body,
        B::Append { .. }
            | B::Create { .. }
            | B::Delete { .. }
            | B::Rename { .. }
            | B::Subscribe { .. }
            | B::Unsubscribe { .. }
            | B::Copy { .. }
            | B::Expunge
            | B::UidExpunge(_)
    )
}

/// The table for a logged-in session.
fn authenticated(ctx: Ctx<'_>, a: &mut Authed, body: CommandBody) -> Result<Done, Failure> {
    use CommandBody as B;
    if let Some(f) = command::enable::charset_conflict(a.utf8, &body) {
        return Err(f);
    }
    if a.account.store.user_kind == mailstore::config::UserKind::Anonymous
        && changes_mailboxes(&body)
    {
        // UW's imapd does not know these commands in an anonymous session.
        return Err(Failure::bad("Command unrecognized"));
    }
    match body {
        B::Select { mailbox, mode } => command::select::run(ctx, a, &mailbox, mode),
        B::Bboard { name } => {
            let mut n = b"#public/".to_vec();
            n.extend_from_slice(&name);
            command::select::run(ctx, a, &n, imap_proto::command::SelectMode::ReadOnly)
        }
        B::Create { mailbox } => command::create::run(ctx, a, &mailbox),
        B::Delete { mailbox } => command::delete::run(ctx, a, &mailbox),
        B::Rename { from, to } => command::rename::run(ctx, a, &from, &to),
        B::Subscribe { mailbox } => command::subscribe::run(ctx, a, &mailbox, Change::Subscribe),
        B::Unsubscribe { mailbox } => {
            command::subscribe::run(ctx, a, &mailbox, Change::Unsubscribe)
        }
        B::List { reference, pattern } => {
            command::list::run(ctx, a, &reference, &pattern, Which::List)
        }
        B::Lsub { reference, pattern } => {
            command::list::run(ctx, a, &reference, &pattern, Which::Lsub)
        }
        B::Scan {
            reference,
            pattern,
            text,
        } => command::list::scan(ctx, a, &reference, &pattern, &text),
        B::Find { scope, pattern } => command::list::find(ctx, a, scope, &pattern),
        B::Status { mailbox, items } => command::status::run(ctx, a, &mailbox, &items),
        B::Append { mailbox, messages } => command::append::run(ctx, a, &mailbox, messages),
        B::Idle => command::idle::run(ctx),
        B::Namespace => command::namespace::run(ctx, a),
        B::Enable(caps) => command::enable::run(ctx, a, &caps),
        B::Id(_) => command::id::run(ctx),
        B::Close => command::close::run(ctx, a, Leave::Close),
        B::Unselect => command::close::run(ctx, a, Leave::Unselect),
        B::Copy {
            numbers,
            set,
            mailbox,
            kind,
        } => command::copy::run(ctx, a, numbers, &set, &mailbox, kind),
        B::StartTls | B::Login { .. } | B::Authenticate { .. } => {
            Err(Failure::bad("Already logged in"))
        }
        B::Capability | B::Noop | B::Logout => Err(Failure::bad("internal: not dispatched")),
        selected_only => {
            let Some(sel) = a.selected.as_mut() else {
                return Err(Failure::bad("No mailbox selected"));
            };
            match selected_only {
                B::Check => command::check::run(ctx, sel),
                B::Expunge => command::expunge::run(ctx, sel, None),
                B::UidExpunge(set) => command::expunge::run(ctx, sel, Some(&set)),
                B::Search {
                    numbers,
                    ret,
                    charset,
                    key,
                } => command::search::run(
                    ctx,
                    sel,
                    numbers,
                    ret.as_deref(),
                    charset.as_deref(),
                    &key,
                ),
                B::Fetch {
                    numbers,
                    set,
                    attrs,
                } => command::fetch::run(ctx, sel, numbers, &set, &attrs),
                B::Store {
                    numbers,
                    set,
                    mode,
                    silence,
                    flags,
                } => command::store::run(ctx, sel, numbers, &set, mode, silence, &flags),
                B::Sort {
                    numbers,
                    criteria,
                    charset,
                    key,
                } => command::sort::run(ctx, sel, numbers, &criteria, &charset, &key),
                B::Thread {
                    numbers,
                    algorithm,
                    charset,
                    key,
                } => command::thread::run(ctx, sel, numbers, algorithm, &charset, &key),
                _ => Err(Failure::bad("Command unrecognized")),
            }
        }
    }
}

impl Session for ImapSession {
    fn set_sink(&mut self, sink: server::session::Sink) {
        self.sink = SinkSlot(Some(sink));
    }

    fn greeting(&mut self) -> Reply {
        let mut out = Writer::new();
        if self.cfg.nologin_file.as_deref().is_some_and(Path::exists) {
            out.status(None, "BYE", None, "Service not available");
            self.finish(Then::Close);
            return Reply::then(out.take(), Then::Close);
        }
        let phase = self.phase();
        let caps = capability::list(&self.cfg, self.transport, phase);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        let date = rfc822::DateTime::new(now, 0)
            .unwrap_or(rfc822::DateTime::UNIX_EPOCH)
            .rfc822();
        let status = match phase {
            Phase::PreAuth => "OK",
            Phase::PostAuth => "PREAUTH",
        };
        if phase == Phase::PostAuth {
            self.log(Level::Info, "Preauthenticated");
        }
        out.status(
            None,
            status,
            Some(&format!("CAPABILITY {caps}")),
            &format!(
                "{} Panda IMAP in Rust {} at {date}",
                self.cfg.hostname,
                env!("CARGO_PKG_VERSION")
            ),
        );
        self.check_alerts(&mut out, true);
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
        let mut out = Writer::with_sink(self.sink.0.clone(), SPILL_AT);
        if self.closing_at.is_some_and(|t| Instant::now() >= t) {
            out.status(None, "BYE", None, "Server shutting down");
            self.log(Level::Info, "Logout (nologin)");
            self.finish(Then::Close);
            return Some(Reply::then(out.take(), Then::Close));
        }
        let frame = self.framer.next_frame()?;
        if let Mode::Commands = self.mode {
            self.check_alerts(&mut out, false);
        }
        self.attempts.delay = Delay::No;
        let then = self.frame(frame, &mut out);
        let delay = (self.attempts.delay == Delay::Yes).then_some(self.cfg.failed_login_delay);
        Some(Reply {
            bytes: out.take(),
            then,
            delay,
        })
    }

    fn timeout(&self) -> Duration {
        let t = &self.cfg.timeouts;
        let (from, limit) = match (&self.mode, &self.state) {
            (Mode::Idle(i), _) => (i.started, t.idle),
            (Mode::Authenticate { .. }, _) => (self.last_input, t.input),
            _ if self.framer.buffered() > 0 => (self.last_input, t.input),
            (_, State::Authenticated(_)) => (self.last_input, t.idle),
            _ => (self.last_input, t.login),
        };
        (from + limit).saturating_duration_since(Instant::now())
    }

    fn timed_out(&mut self) -> Reply {
        let mut out = Writer::new();
        out.status(None, "BYE", None, "Autologout; idle for too long");
        self.log(Level::Info, "Autologout");
        self.finish(Then::Close);
        Reply::then(out.take(), Then::Close)
    }

    fn tick_every(&self) -> Option<Duration> {
        match (&self.mode, &self.state) {
            (Mode::Idle(_), _) => Some(self.cfg.idle_poll),
            // A selected mailbox another process may ask for (the kiss of death).
            (_, State::Authenticated(a)) if a.selected.is_some() => Some(KOD_CHECK),
            _ => None,
        }
    }

    fn tick_due(&self) -> bool {
        match (&self.mode, &self.state) {
            (Mode::Idle(_), _) => true,
            (_, State::Authenticated(a)) => a
                .selected
                .as_ref()
                .is_some_and(|s| s.mailbox.asked_to_let_go()),
            _ => false,
        }
    }

    fn tick(&mut self) -> Option<Reply> {
        let limit = self.cfg.timeouts.idle;
        let mut out = Writer::new();
        let Mode::Idle(idle) = &mut self.mode else {
            // Not idling: the kiss of death ends the session, as UW's imapd (kodint).
            if let State::Authenticated(a) = &mut self.state
                && let Some(sel) = a.selected.as_mut()
                && sel.mailbox.asked_to_let_go()
                && let Err(Lost::Mailbox(why)) = sel.sync(&mut out, crate::selected::Poll::Yes)
            {
                let then = self.lost(&why, &mut out);
                return Some(Reply::then(out.take(), then));
            }
            return (!out.is_empty()).then(|| Reply::send(out.take()));
        };
        let sel = match &mut self.state {
            State::Authenticated(a) => a.selected.as_mut(),
            _ => None,
        };
        if let Err(Lost::Mailbox(why)) = idle.tick(&mut out, sel, limit, self.cfg.idle_keepalive) {
            let then = self.lost(&why, &mut out);
            return Some(Reply::then(out.take(), then));
        }
        self.check_alerts(&mut out, false);
        if self.closing_at.is_some_and(|t| Instant::now() >= t) {
            out.status(None, "BYE", None, "Server shutting down");
            self.finish(Then::Close);
            return Some(Reply::then(out.take(), Then::Close));
        }
        (!out.is_empty()).then(|| Reply::send(out.take()))
    }

    fn tls_started(&mut self) {
        self.transport = Transport::Tls;
    }

    fn hangup(&mut self, why: Hangup) {
        if self.life == Life::Open {
            let what = match why {
                Hangup::EndOfFile => "Command stream end of file, while reading line",
                Hangup::Error => "Connection broken, while reading line",
            };
            self.log(Level::Info, what);
            self.finish(Then::Close);
        }
    }

    fn shutdown(&mut self) -> Reply {
        let mut out = Writer::new();
        out.status(None, "BYE", None, "Server shutting down");
        self.log(Level::Info, "Shutdown");
        self.finish(Then::Close);
        Reply::then(out.take(), Then::Close)
    }
}
