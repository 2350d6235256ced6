//! The IMAP client: connection order, STARTTLS, login, and the commands `Session` offers.
//!
//! Connection (FAQ 4.3, see `conn::open`): `/ssl` opens TLS on 993 (or the port given)
//! and fails otherwise; ssh pre-authentication when configured and the name allows it;
//! `/tryssl` tries TLS on 993; rsh pre-authentication when configured; otherwise plain
//! TCP on 143. On a plain TCP link STARTTLS is done when the server offers it, unless
//! `/notls`; `/tls` makes its absence an error (FAQ 4.4). A remote command that greets
//! `* PREAUTH` needs no login; one that greets `* OK` is logged in to as usual.
//!
//! Login (c-client's `imap_auth` / `imap_login`): the SASL mechanisms the server
//! advertises are tried in turn, strongest first (see `login`): GSSAPI with a Kerberos
//! ticket, CRAM-MD5, PLAIN, LOGIN; PLAIN and LOGIN only over TLS. Without a usable
//! mechanism the LOGIN command is used, unless the server sent LOGINDISABLED, or `/secure`
//! is given on an unencrypted link. Three attempts, each asking the prompt for the
//! password again, then `Too many login failures`.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use imap_proto::client::command::{Arg, CommandWriter, LiteralMode, Sensitivity};
use imap_proto::client::frame::{Limits, ResponseFramer};
use imap_proto::client::response::{
    self, Code, Condition, FetchItem, Response, Status as Done, Untagged,
};

use crate::conn::{self, Link, Received, Route, Stream, Trace};
use crate::error::ClientError;
use crate::login::{Attempt, Exchange, LOGIN_TRIALS, Plan, Sent};
use crate::name::{Flag, RemoteName, TlsMode};
use crate::prompt::Prompt;
use crate::session::{Access, ClientOptions, ListItem, MessageMeta, Selected, Status, StoreMode};

/// The end of a command: untagged data seen on the way and the tagged OK's code.
#[derive(Debug)]
struct Answer {
    untagged: Vec<Untagged>,
    code: Option<Code>,
}

/// Whether the greeting logged us in already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Greeting {
    NotAuthenticated,
    Preauth,
}

#[derive(Debug)]
pub(crate) struct Imap {
    stream: Option<Stream>,
    framer: ResponseFramer,
    writer: CommandWriter,
    caps: Vec<String>,
    trace: Trace,
    host: String,
    /// The text of the server's BYE, for the error when the connection then ends.
    bye: Option<String>,
}

impl Imap {
    pub(crate) fn connect(
        name: &RemoteName,
        options: &ClientOptions,
        prompt: &mut dyn Prompt,
    ) -> Result<Imap, ClientError> {
        let stream = conn::open(name, options)?;
        let mut s = Imap {
            stream: Some(stream),
            framer: ResponseFramer::new(Limits::default()),
            writer: CommandWriter::new(),
            caps: Vec::new(),
            trace: options.trace_for(name),
            host: name.host.clone(),
            bye: None,
        };
        let greeting = s.greeting(prompt)?;
        if greeting == Greeting::NotAuthenticated
            && s.link() == Link::Plain
            && s.route() == Route::Tcp
            && name.tls != TlsMode::NoTls
        {
            if s.caps.is_empty() {
                s.capability()?;
            }
            if s.has("STARTTLS") {
                s.run("STARTTLS", &[])?;
                conn::start_tls(
                    &mut s.stream,
                    s.framer.buffered(),
                    "STARTTLS",
                    name,
                    options,
                )?;
                s.caps.clear();
            } else if name.tls == TlsMode::Tls {
                return Err(ClientError::TlsRequired);
            }
        } else if name.tls == TlsMode::Tls && s.link() == Link::Plain {
            return Err(ClientError::TlsRequired);
        }
        if s.caps.is_empty() {
            s.capability()?;
        }
        if greeting == Greeting::NotAuthenticated {
            s.authenticate(name, prompt)?;
        }
        if s.has("LITERAL+") {
            s.writer.literals = LiteralMode::NonSynchronising;
        }
        Ok(s)
    }

    pub(crate) fn link(&self) -> Link {
        self.stream.as_ref().map_or(Link::Plain, Stream::link)
    }

    pub(crate) fn route(&self) -> Route {
        self.stream.as_ref().map_or(Route::Tcp, Stream::route)
    }

    pub(crate) fn capabilities(&self) -> &[String] {
        &self.caps
    }

    fn has(&self, cap: &str) -> bool {
        self.caps.iter().any(|c| c.eq_ignore_ascii_case(cap))
    }

    fn stream(&mut self) -> Result<&mut Stream, ClientError> {
        conn::opened(&mut self.stream)
    }

    fn send(&mut self, bytes: &[u8], shown: &str) -> Result<(), ClientError> {
        conn::trace(self.trace, ">", shown);
        let s = self.stream()?;
        s.write_all(bytes)?;
        s.flush()?;
        Ok(())
    }

    fn read_response(&mut self) -> Result<Response, ClientError> {
        loop {
            if let Some(r) = self.framer.next_response() {
                let bytes = r.map_err(|e| ClientError::Protocol(e.to_string()))?;
                if self.trace == Trace::Stderr {
                    let shown = if bytes.len() > 2000 {
                        format!(
                            "{}… ({} bytes)",
                            String::from_utf8_lossy(&bytes[..200]),
                            bytes.len()
                        )
                    } else {
                        String::from_utf8_lossy(&bytes).into_owned()
                    };
                    conn::trace(self.trace, "<", &shown);
                }
                return response::parse(&bytes).map_err(|e| ClientError::Protocol(e.to_string()));
            }
            let framer = &mut self.framer;
            if conn::receive(&mut self.stream, |b| framer.feed(b))? == Received::End {
                let text = self
                    .bye
                    .take()
                    .unwrap_or_else(|| format!("Connection to {} lost", self.host));
                return Err(ClientError::Closed(text));
            }
        }
    }

    fn greeting(&mut self, prompt: &mut dyn Prompt) -> Result<Greeting, ClientError> {
        match self.read_response()? {
            Response::Untagged(Untagged::Condition {
                condition,
                code,
                text,
            }) => {
                if let Some(Code::Capability(c)) = code {
                    self.caps = c;
                } else if code == Some(Code::Alert) {
                    prompt.notice(&format!("[ALERT] {text}"));
                }
                match condition {
                    Condition::Ok => Ok(Greeting::NotAuthenticated),
                    Condition::Preauth => Ok(Greeting::Preauth),
                    Condition::Bye => Err(ClientError::Closed(text)),
                    _ => Err(ClientError::Protocol(format!("bad greeting: {text}"))),
                }
            }
            other => Err(ClientError::Protocol(format!("bad greeting: {other:?}"))),
        }
    }

    fn capability(&mut self) -> Result<(), ClientError> {
        let a = self.run("CAPABILITY", &[])?;
        for u in a.untagged {
            if let Untagged::Capability(c) = u {
                self.caps = c;
            }
        }
        Ok(())
    }

    /// Sends a command and reads to its tagged answer; NO and BAD are errors worded as the
    /// server worded them.
    fn run(&mut self, name: &str, args: &[Arg<'_>]) -> Result<Answer, ClientError> {
        let cmd = self.writer.command(name, args);
        let mut untagged = Vec::new();
        let mut parts = cmd.parts.iter();
        if let Some(first) = parts.next() {
            self.send(first, &cmd.redacted)?;
        }
        for part in parts {
            // Wait for "+" before each literal.
            if let Next::Answer(a) = self.next_for(&cmd.tag, &mut untagged)? {
                return a;
            }
            self.send(part, "<literal>")?;
        }
        loop {
            if let Next::Answer(a) = self.next_for(&cmd.tag, &mut untagged)? {
                return a;
            }
        }
    }

    /// Reads responses to the command tagged `tag`, keeping untagged data in `untagged`,
    /// up to a continuation request or the command's tagged answer.
    fn next_for(&mut self, tag: &str, untagged: &mut Vec<Untagged>) -> Result<Next, ClientError> {
        loop {
            match self.read_response()? {
                Response::Continue(_) => return Ok(Next::Continuation),
                Response::Untagged(u) => self.untagged(u, untagged)?,
                Response::Tagged {
                    tag: t,
                    status,
                    code,
                    text,
                } if t == tag => {
                    let kept = std::mem::take(untagged);
                    return Ok(Next::Answer(finish(status, code, text, kept)));
                }
                Response::Tagged { .. } => {}
            }
        }
    }

    /// Keeps untagged data for the command's caller. A BYE is remembered: the tagged
    /// answer (to LOGOUT) may still follow, and a read that then finds the connection
    /// closed reports the server's words.
    fn untagged(&mut self, u: Untagged, keep: &mut Vec<Untagged>) -> Result<(), ClientError> {
        if let Untagged::Condition {
            condition: Condition::Bye,
            text,
            ..
        } = &u
        {
            self.bye = Some(text.clone());
        }
        keep.push(u);
        Ok(())
    }

    fn authenticate(
        &mut self,
        name: &RemoteName,
        prompt: &mut dyn Prompt,
    ) -> Result<(), ClientError> {
        let server = name.server();
        if name.has(Flag::Anonymous) {
            return if self.has("AUTH=ANONYMOUS") {
                self.sasl_anonymous()
            } else {
                self.run(
                    "LOGIN",
                    &[
                        Arg::AString(b"anonymous", Sensitivity::Public),
                        Arg::AString(b"anonymous", Sensitivity::Secret),
                    ],
                )
                .map(drop)
            };
        }
        let link = self.link();
        let plan = Plan::new(
            |m| self.has(&format!("AUTH={}", m.name())),
            link,
            "imap",
            &name.host,
        );
        let plaintext_forbidden = name.has(Flag::Secure) && link == Link::Plain;
        let login_ok = !(self.has("LOGINDISABLED") || plaintext_forbidden);
        if plan.mechanisms.is_empty() {
            if !login_ok {
                return Err(if self.has("LOGINDISABLED") {
                    ClientError::LoginDisabled
                } else {
                    ClientError::NoSecureAuthentication
                });
            }
            if name.authuser.is_some() {
                return Err(ClientError::Server(
                    "Can't do /authuser with this server".into(),
                ));
            }
            return self.login(name, prompt, &server);
        }
        match plan.run(name, prompt, |x| self.sasl(x))? {
            Ok(code) => self.logged_in(code),
            Err(last) => Err(ClientError::TooManyLoginFailures { last }),
        }
    }

    /// The LOGIN command, three attempts.
    fn login(
        &mut self,
        name: &RemoteName,
        prompt: &mut dyn Prompt,
        server: &str,
    ) -> Result<(), ClientError> {
        let user = match &name.user {
            Some(u) => u.clone(),
            None => prompt.user(server).map_err(ClientError::Prompt)?,
        };
        let mut last = String::new();
        for _ in 0..LOGIN_TRIALS {
            let password = prompt
                .password(server, &user)
                .map_err(ClientError::Prompt)?;
            let tried = self.run(
                "LOGIN",
                &[
                    Arg::AString(user.as_bytes(), Sensitivity::Public),
                    Arg::AString(password.0.as_bytes(), Sensitivity::Secret),
                ],
            );
            match tried {
                Ok(a) => return self.logged_in(a.code),
                Err(ClientError::Server(text)) => {
                    prompt.notice(&text);
                    last = text;
                }
                Err(e) => return Err(e),
            }
        }
        Err(ClientError::TooManyLoginFailures { last })
    }

    /// After a login: the capabilities the tagged OK carried, or asked for.
    fn logged_in(&mut self, code: Option<Code>) -> Result<(), ClientError> {
        self.caps.clear();
        if let Some(Code::Capability(c)) = code {
            self.caps = c;
            Ok(())
        } else {
            self.capability()
        }
    }

    /// AUTHENTICATE with the exchange `x`; the tagged OK's code.
    fn sasl(&mut self, mut x: Exchange) -> Result<Option<Code>, Attempt> {
        let mechanism = x.mechanism();
        let ir = if self.has("SASL-IR") {
            match x.initial_response() {
                Ok(r) => r.map(|r| {
                    if r.is_empty() {
                        "=".to_owned()
                    } else {
                        B64.encode(r)
                    }
                }),
                Err(_) => {
                    return Err(Attempt::Refused(
                        x.refusal()
                            .unwrap_or_else(|| format!("{} failed", mechanism.name())),
                    ));
                }
            }
        } else {
            None
        };
        let mut sent = Sent::Nothing;
        let mut args = vec![Arg::Raw(mechanism.name())];
        if let Some(ir) = &ir {
            args.push(Arg::AString(ir.as_bytes(), Sensitivity::Secret));
            sent = Sent::Credentials;
        }
        let cmd = self.writer.command("AUTHENTICATE", &args);
        for part in &cmd.parts {
            self.send(part, &cmd.redacted).map_err(Attempt::Broken)?;
        }
        loop {
            match self.read_response().map_err(Attempt::Broken)? {
                Response::Continue(text) => {
                    let answer = B64
                        .decode(text.trim())
                        .ok()
                        .and_then(|ch| x.respond(&ch).ok());
                    match answer {
                        Some(a) => {
                            let mut line = B64.encode(a).into_bytes();
                            line.extend_from_slice(b"\r\n");
                            self.send(&line, "<secret>").map_err(Attempt::Broken)?;
                            sent = Sent::Credentials;
                        }
                        None => self.send(b"*\r\n", "*").map_err(Attempt::Broken)?,
                    }
                }
                Response::Untagged(_) => {}
                Response::Tagged {
                    tag,
                    status,
                    code,
                    text,
                } if tag == cmd.tag => {
                    return match finish(status, code, text, Vec::new()) {
                        Ok(a) => Ok(a.code),
                        Err(ClientError::Server(text)) => {
                            let text = match x.refusal() {
                                Some(r) => format!("{text} ({r})"),
                                None => text,
                            };
                            Err(match sent {
                                Sent::Nothing => Attempt::Refused(text),
                                Sent::Credentials => Attempt::Failed(text),
                            })
                        }
                        Err(e) => Err(Attempt::Broken(e)),
                    };
                }
                Response::Tagged { .. } => {}
            }
        }
    }

    fn sasl_anonymous(&mut self) -> Result<(), ClientError> {
        let cmd = self
            .writer
            .command("AUTHENTICATE", &[Arg::Raw("ANONYMOUS")]);
        self.send(&cmd.parts.concat(), &cmd.redacted)?;
        loop {
            match self.read_response()? {
                Response::Continue(_) => {
                    let mut line = B64.encode("anonymous").into_bytes();
                    line.extend_from_slice(b"\r\n");
                    self.send(&line, "<trace>")?;
                }
                Response::Tagged {
                    tag,
                    status,
                    code,
                    text,
                } if tag == cmd.tag => {
                    return finish(status, code, text, Vec::new()).map(drop);
                }
                _ => {}
            }
        }
    }

    pub(crate) fn simple(&mut self, command: &str, names: &[&str]) -> Result<(), ClientError> {
        let args: Vec<Arg<'_>> = names
            .iter()
            .map(|n| Arg::AString(n.as_bytes(), Sensitivity::Public))
            .collect();
        self.run(command, &args).map(drop)
    }

    pub(crate) fn list(
        &mut self,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<ListItem>, ClientError> {
        let a = self.run(
            "LIST",
            &[
                Arg::AString(reference.as_bytes(), Sensitivity::Public),
                Arg::String(pattern.as_bytes()),
            ],
        )?;
        Ok(a.untagged
            .into_iter()
            .filter_map(|u| match u {
                Untagged::List {
                    attributes,
                    delimiter,
                    name,
                    ..
                } => Some(ListItem {
                    name: String::from_utf8_lossy(&name).into_owned(),
                    delimiter,
                    attributes,
                }),
                _ => None,
            })
            .collect())
    }

    pub(crate) fn status(&mut self, name: &str) -> Result<Status, ClientError> {
        let a = self.run(
            "STATUS",
            &[
                Arg::AString(name.as_bytes(), Sensitivity::Public),
                Arg::Raw("(MESSAGES RECENT UNSEEN UIDNEXT UIDVALIDITY)"),
            ],
        )?;
        let mut st = Status::default();
        for u in a.untagged {
            if let Untagged::Status { items, .. } = u {
                for (k, v) in items {
                    let v = u32::try_from(v).unwrap_or(u32::MAX);
                    match k.as_str() {
                        "MESSAGES" => st.messages = v,
                        "RECENT" => st.recent = v,
                        "UNSEEN" => st.unseen = v,
                        "UIDNEXT" => st.uid_next = v,
                        "UIDVALIDITY" => st.uid_validity = v,
                        _ => {}
                    }
                }
            }
        }
        Ok(st)
    }

    pub(crate) fn select(&mut self, name: &str, access: Access) -> Result<Selected, ClientError> {
        let command = match access {
            Access::ReadWrite => "SELECT",
            Access::ReadOnly => "EXAMINE",
        };
        let a = self.run(
            command,
            &[Arg::AString(name.as_bytes(), Sensitivity::Public)],
        )?;
        let mut sel = Selected {
            exists: 0,
            recent: 0,
            uid_validity: 0,
            permanent_flags: Vec::new(),
            read_only: access,
        };
        for u in a.untagged {
            match u {
                Untagged::Exists(n) => sel.exists = n,
                Untagged::Recent(n) => sel.recent = n,
                Untagged::Condition {
                    code: Some(Code::UidValidity(v)),
                    ..
                } => sel.uid_validity = v,
                Untagged::Condition {
                    code: Some(Code::PermanentFlags(f)),
                    ..
                } => sel.permanent_flags = f,
                _ => {}
            }
        }
        match a.code {
            Some(Code::ReadOnly) => sel.read_only = Access::ReadOnly,
            Some(Code::ReadWrite) => sel.read_only = Access::ReadWrite,
            _ => {}
        }
        Ok(sel)
    }

    pub(crate) fn fetch_meta(&mut self, range: &str) -> Result<Vec<MessageMeta>, ClientError> {
        let a = self.run(
            "FETCH",
            &[
                Arg::Raw(range),
                Arg::Raw("(UID FLAGS INTERNALDATE RFC822.SIZE)"),
            ],
        )?;
        let mut out: Vec<MessageMeta> = Vec::new();
        for u in a.untagged {
            if let Untagged::Fetch { seq, items } = u {
                let mut m = MessageMeta {
                    seq,
                    uid: 0,
                    flags: Vec::new(),
                    internal_date: String::new(),
                    size: 0,
                };
                for i in items {
                    match i {
                        FetchItem::Uid(u) => m.uid = u,
                        FetchItem::Flags(f) => m.flags = f,
                        FetchItem::InternalDate(d) => m.internal_date = d,
                        FetchItem::Size(s) => m.size = s,
                        FetchItem::Body { .. } => {}
                    }
                }
                out.push(m);
            }
        }
        Ok(out)
    }

    pub(crate) fn fetch_message(&mut self, seq: u32) -> Result<Vec<u8>, ClientError> {
        let set = seq.to_string();
        let a = self.run("FETCH", &[Arg::Raw(&set), Arg::Raw("BODY.PEEK[]")])?;
        for u in a.untagged {
            if let Untagged::Fetch { seq: s, items } = u
                && s == seq
            {
                for i in items {
                    if let FetchItem::Body { name, data } = i
                        && (name.eq_ignore_ascii_case("BODY[]")
                            || name.eq_ignore_ascii_case("RFC822"))
                    {
                        return Ok(data.unwrap_or_default());
                    }
                }
            }
        }
        Err(ClientError::Protocol(format!(
            "message {seq} was not returned"
        )))
    }

    pub(crate) fn append(
        &mut self,
        mailbox: &str,
        flags: &[String],
        internal_date: Option<&str>,
        message: &[u8],
    ) -> Result<(), ClientError> {
        let flag_list = format!("({})", flags.join(" "));
        let mut args = vec![Arg::AString(mailbox.as_bytes(), Sensitivity::Public)];
        if !flags.is_empty() {
            args.push(Arg::Raw(&flag_list));
        }
        if let Some(d) = internal_date {
            args.push(Arg::String(d.as_bytes()));
        }
        args.push(Arg::Literal(message));
        self.run("APPEND", &args).map(drop)
    }

    pub(crate) fn store_flags(
        &mut self,
        seqs: &str,
        mode: StoreMode,
        flags: &[String],
    ) -> Result<(), ClientError> {
        let item = match mode {
            StoreMode::Add => "+FLAGS.SILENT",
            StoreMode::Remove => "-FLAGS.SILENT",
            StoreMode::Replace => "FLAGS.SILENT",
        };
        let list = format!("({})", flags.join(" "));
        self.run("STORE", &[Arg::Raw(seqs), Arg::Raw(item), Arg::Raw(&list)])
            .map(drop)
    }

    pub(crate) fn search(&mut self, criteria: &str) -> Result<Vec<u32>, ClientError> {
        let a = self.run("SEARCH", &[Arg::Raw(criteria)])?;
        Ok(a.untagged
            .into_iter()
            .filter_map(|u| match u {
                Untagged::Search(n) => Some(n),
                _ => None,
            })
            .flatten()
            .collect())
    }

    pub(crate) fn logout(&mut self) -> Result<(), ClientError> {
        match self.run("LOGOUT", &[]) {
            Ok(_) | Err(ClientError::Closed(_)) => {
                self.stream = None;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// What came next for a command: a continuation request, or its tagged answer.
enum Next {
    /// `+`: the server waits for the rest of the command.
    Continuation,
    /// The tagged answer, as [`finish`] reads it.
    Answer(Result<Answer, ClientError>),
}

/// The result of a tagged answer.
fn finish(
    status: Done,
    code: Option<Code>,
    text: String,
    untagged: Vec<Untagged>,
) -> Result<Answer, ClientError> {
    match status {
        Done::Ok => Ok(Answer { untagged, code }),
        Done::No | Done::Bad => Err(ClientError::Server(match code {
            Some(c) => format!("[{}] {text}", code_text(&c)),
            None => text,
        })),
    }
}

/// A response code as the server wrote it (for messages).
fn code_text(c: &Code) -> String {
    match c {
        Code::Alert => "ALERT".into(),
        Code::Capability(caps) => format!("CAPABILITY {}", caps.join(" ")),
        Code::PermanentFlags(f) => format!("PERMANENTFLAGS ({})", f.join(" ")),
        Code::ReadOnly => "READ-ONLY".into(),
        Code::ReadWrite => "READ-WRITE".into(),
        Code::TryCreate => "TRYCREATE".into(),
        Code::UidValidity(n) => format!("UIDVALIDITY {n}"),
        Code::UidNext(n) => format!("UIDNEXT {n}"),
        Code::Unseen(n) => format!("UNSEEN {n}"),
        Code::Other(name, arg) if arg.is_empty() => name.clone(),
        Code::Other(name, arg) => format!("{name} {arg}"),
    }
}
