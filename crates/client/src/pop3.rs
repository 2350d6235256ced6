//! The POP3 client (inventory §7.4): the server's one mailbox shows as INBOX, with no
//! sticky UIDs and no internal dates.
//!
//! Connection as for IMAP: `/ssl` on 995, STLS when CAPA offers it unless `/notls`, `/tls`
//! requires it. Login: SASL (RFC 5034) with the mechanisms CAPA lists, each in turn
//! (GSSAPI with a Kerberos ticket, CRAM-MD5, PLAIN, LOGIN; PLAIN and LOGIN only over
//! TLS); then USER/PASS, unless `/secure` on an unencrypted link, where APOP (RFC 1939 §7) is used when the greeting carries a timestamp. Three attempts.
//! Deleting is `\Deleted` through [`crate::Session::store_flags`], DELE at expunge, and
//! the server removes the messages at QUIT.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use pop3_proto::client::{Capabilities, DataLine, Reply, ReplyReader, apop_timestamp};
use sasl::client::apop_digest;

use crate::conn::{self, Link, Received, Stream, Trace};
use crate::error::ClientError;
use crate::login::{Attempt, Exchange, LOGIN_TRIALS, Plan, Sent};
use crate::name::{Flag, RemoteName, TlsMode};
use crate::prompt::Prompt;
use crate::session::{Access, ClientOptions, ListItem, MessageMeta, Selected, Status, StoreMode};

#[derive(Debug)]
pub(crate) struct Pop3 {
    stream: Option<Stream>,
    reader: ReplyReader,
    caps: Capabilities,
    cap_lines: Vec<String>,
    trace: Trace,
    host: String,
    deleted: Vec<u32>,
}

impl Pop3 {
    pub(crate) fn connect(
        name: &RemoteName,
        options: &ClientOptions,
        prompt: &mut dyn Prompt,
    ) -> Result<Pop3, ClientError> {
        let stream = conn::open(name, options)?;
        let mut s = Pop3 {
            stream: Some(stream),
            reader: ReplyReader::new(),
            caps: Capabilities::default(),
            cap_lines: Vec::new(),
            trace: options.trace_for(name),
            host: name.host.clone(),
            deleted: Vec::new(),
        };
        let greeting = match s.reply()? {
            Reply::Ok(text) => text,
            Reply::Err(text) => return Err(ClientError::Closed(text)),
        };
        let timestamp = apop_timestamp(&greeting).map(str::to_owned);
        s.capa()?;
        if s.link() == Link::Plain && name.tls != TlsMode::NoTls {
            if s.caps.has("STLS") {
                s.command("STLS", "STLS")?;
                conn::start_tls(&mut s.stream, s.reader.buffered(), "STLS", name, options)?;
                s.capa()?;
            } else if name.tls == TlsMode::Tls {
                return Err(ClientError::TlsRequired);
            }
        }
        s.login(name, prompt, timestamp.as_deref())?;
        Ok(s)
    }

    pub(crate) fn link(&self) -> Link {
        self.stream.as_ref().map_or(Link::Plain, Stream::link)
    }

    pub(crate) fn capabilities(&self) -> &[String] {
        &self.cap_lines
    }

    fn stream(&mut self) -> Result<&mut Stream, ClientError> {
        conn::opened(&mut self.stream)
    }

    fn send(&mut self, line: &str, shown: &str) -> Result<(), ClientError> {
        conn::trace(self.trace, ">", shown);
        let s = self.stream()?;
        s.write_all(line.as_bytes())?;
        s.write_all(b"\r\n")?;
        s.flush()?;
        Ok(())
    }

    fn fill(&mut self) -> Result<(), ClientError> {
        let reader = &mut self.reader;
        match conn::receive(&mut self.stream, |b| reader.feed(b))? {
            Received::Data => Ok(()),
            Received::End => Err(ClientError::Closed(format!(
                "Connection to {} lost",
                self.host
            ))),
        }
    }

    fn reply(&mut self) -> Result<Reply, ClientError> {
        loop {
            if let Some(r) = self.reader.status() {
                let r = r.map_err(|e| ClientError::Protocol(e.to_string()))?;
                if self.trace == Trace::Stderr {
                    match &r {
                        Reply::Ok(t) => conn::trace(self.trace, "<", &format!("+OK {t}")),
                        Reply::Err(t) => conn::trace(self.trace, "<", &format!("-ERR {t}")),
                    }
                }
                return Ok(r);
            }
            self.fill()?;
        }
    }

    /// A raw line (a SASL challenge `+ …` is not a status).
    fn raw_line(&mut self) -> Result<Vec<u8>, ClientError> {
        loop {
            if let Some(r) = self.reader.data_line() {
                return match r.map_err(|e| ClientError::Protocol(e.to_string()))? {
                    DataLine::Line(l) => Ok(l),
                    DataLine::End => Ok(b".".to_vec()),
                };
            }
            self.fill()?;
        }
    }

    fn multiline(&mut self) -> Result<Vec<Vec<u8>>, ClientError> {
        let mut out = Vec::new();
        loop {
            match self.reader.data_line() {
                Some(r) => match r.map_err(|e| ClientError::Protocol(e.to_string()))? {
                    DataLine::Line(l) => out.push(l),
                    DataLine::End => return Ok(out),
                },
                None => self.fill()?,
            }
        }
    }

    /// Sends a command; its +OK text, or the -ERR text as an error.
    fn command(&mut self, line: &str, shown: &str) -> Result<String, ClientError> {
        self.send(line, shown)?;
        match self.reply()? {
            Reply::Ok(t) => Ok(t),
            Reply::Err(t) => Err(ClientError::Server(t)),
        }
    }

    fn capa(&mut self) -> Result<(), ClientError> {
        match self.command("CAPA", "CAPA") {
            Ok(_) => {
                let lines = self.multiline()?;
                self.caps = Capabilities::from_lines(&lines);
                self.cap_lines = lines
                    .iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect();
                Ok(())
            }
            Err(ClientError::Server(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn login(
        &mut self,
        name: &RemoteName,
        prompt: &mut dyn Prompt,
        timestamp: Option<&str>,
    ) -> Result<(), ClientError> {
        let server = name.server();
        let link = self.link();
        let offered = self.caps.sasl();
        let plan = Plan::new(
            |m| offered.iter().any(|o| o == m.name()),
            link,
            "pop",
            &name.host,
        );
        let plain_ok = !(name.has(Flag::Secure) && link == Link::Plain);
        if plan.mechanisms.is_empty() && !plain_ok && timestamp.is_none() {
            return Err(ClientError::NoSecureAuthentication);
        }
        if !plan.mechanisms.is_empty() && !name.has(Flag::Anonymous) {
            return match plan.run(name, prompt, |x| self.sasl(x))? {
                Ok(()) => Ok(()),
                Err(last) => Err(ClientError::TooManyLoginFailures { last }),
            };
        }
        let user = match (&name.user, name.has(Flag::Anonymous)) {
            (_, true) => "anonymous".to_owned(),
            (Some(u), false) => u.clone(),
            (None, false) => prompt.user(&server).map_err(ClientError::Prompt)?,
        };
        let mut last = String::new();
        for _ in 0..LOGIN_TRIALS {
            let who = name.authuser.as_deref().unwrap_or(&user);
            let password = prompt.password(&server, who).map_err(ClientError::Prompt)?;
            let tried = match (plain_ok, timestamp) {
                (true, _) => self
                    .command(&format!("USER {user}"), &format!("USER {user}"))
                    .and_then(|_| self.command(&format!("PASS {}", password.0), "PASS <secret>"))
                    .map(drop),
                (false, Some(ts)) => {
                    let digest = apop_digest(ts.as_bytes(), password.0.as_bytes());
                    self.command(
                        &format!("APOP {user} {digest}"),
                        &format!("APOP {user} <digest>"),
                    )
                    .map(drop)
                }
                (false, None) => return Err(ClientError::NoSecureAuthentication),
            };
            match tried {
                Ok(()) => return Ok(()),
                Err(ClientError::Server(text)) => {
                    prompt.notice(&text);
                    last = text;
                }
                Err(e) => return Err(e),
            }
        }
        Err(ClientError::TooManyLoginFailures { last })
    }

    /// AUTH with the exchange `x` (RFC 5034), without an initial response.
    fn sasl(&mut self, mut x: Exchange) -> Result<(), Attempt> {
        let line = format!("AUTH {}", x.mechanism().name());
        self.send(&line, &line).map_err(Attempt::Broken)?;
        let mut sent = Sent::Nothing;
        loop {
            let l = self.raw_line().map_err(Attempt::Broken)?;
            if let Ok(reply) = pop3_proto::client::parse_status(&l) {
                return match reply {
                    Reply::Ok(_) => Ok(()),
                    Reply::Err(t) => {
                        let t = match x.refusal() {
                            Some(r) => format!("{t} ({r})"),
                            None => t,
                        };
                        Err(match sent {
                            Sent::Credentials => Attempt::Failed(t),
                            Sent::Nothing => Attempt::Refused(t),
                        })
                    }
                };
            }
            let Some(challenge) = l.strip_prefix(b"+") else {
                return Err(Attempt::Broken(ClientError::Protocol(
                    "bad SASL challenge".into(),
                )));
            };
            let challenge = String::from_utf8_lossy(challenge);
            match B64
                .decode(challenge.trim())
                .ok()
                .and_then(|c| x.respond(&c).ok())
            {
                Some(a) => {
                    self.send(&B64.encode(a), "<secret>")
                        .map_err(Attempt::Broken)?;
                    sent = Sent::Credentials;
                }
                None => self.send("*", "*").map_err(Attempt::Broken)?,
            }
        }
    }

    fn count(&mut self) -> Result<(u32, u64), ClientError> {
        let t = self.command("STAT", "STAT")?;
        let mut w = t.split_whitespace();
        let n = w.next().and_then(|n| n.parse().ok());
        let size = w.next().and_then(|n| n.parse().ok());
        match (n, size) {
            (Some(n), Some(s)) => Ok((n, s)),
            _ => Err(ClientError::Protocol(format!("bad STAT answer: {t}"))),
        }
    }

    fn inbox_only(name: &str) -> Result<(), ClientError> {
        if name.eq_ignore_ascii_case("INBOX") {
            Ok(())
        } else {
            Err(ClientError::Server(format!(
                "Can't open mailbox {name}: no such mailbox"
            )))
        }
    }

    pub(crate) fn list(&mut self, pattern: &str) -> Vec<ListItem> {
        let matches = pattern == "*" || pattern == "%" || pattern.eq_ignore_ascii_case("INBOX");
        if matches {
            vec![ListItem {
                name: "INBOX".into(),
                delimiter: None,
                attributes: vec!["\\NoInferiors".into()],
            }]
        } else {
            Vec::new()
        }
    }

    pub(crate) fn status(&mut self, name: &str) -> Result<Status, ClientError> {
        Self::inbox_only(name)?;
        let (n, _) = self.count()?;
        Ok(Status {
            messages: n,
            recent: n,
            unseen: n,
            uid_next: 0,
            uid_validity: 0,
        })
    }

    pub(crate) fn select(&mut self, name: &str) -> Result<Selected, ClientError> {
        Self::inbox_only(name)?;
        let (n, _) = self.count()?;
        Ok(Selected {
            exists: n,
            recent: n,
            uid_validity: 0,
            permanent_flags: vec!["\\Deleted".into()],
            read_only: Access::ReadWrite,
        })
    }

    /// Sequence numbers in `range` (`n`, `n:m`, `n:*`, comma lists), given `count` messages.
    fn expand(range: &str, count: u32) -> Result<Vec<u32>, ClientError> {
        let bad = || ClientError::Protocol(format!("bad sequence set: {range}"));
        let num = |s: &str| -> Result<u32, ClientError> {
            if s == "*" {
                Ok(count)
            } else {
                s.parse().map_err(|_| bad())
            }
        };
        let mut out = Vec::new();
        for part in range.split(',') {
            let (a, b) = match part.split_once(':') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => (num(part)?, num(part)?),
            };
            let (lo, hi) = (a.min(b), a.max(b).min(count));
            out.extend(lo.max(1)..=hi);
        }
        Ok(out)
    }

    pub(crate) fn fetch_meta(&mut self, range: &str) -> Result<Vec<MessageMeta>, ClientError> {
        let (count, _) = self.count()?;
        let wanted = Self::expand(range, count)?;
        self.command("LIST", "LIST")?;
        let lines = self.multiline()?;
        let mut out = Vec::new();
        for l in lines {
            let l = String::from_utf8_lossy(&l);
            let mut w = l.split_whitespace();
            let (Some(seq), Some(size)) = (
                w.next().and_then(|n| n.parse::<u32>().ok()),
                w.next().and_then(|n| n.parse::<u64>().ok()),
            ) else {
                continue;
            };
            if wanted.contains(&seq) {
                let flags = if self.deleted.contains(&seq) {
                    vec!["\\Deleted".to_owned()]
                } else {
                    Vec::new()
                };
                out.push(MessageMeta {
                    seq,
                    uid: 0,
                    flags,
                    internal_date: String::new(),
                    size,
                });
            }
        }
        Ok(out)
    }

    pub(crate) fn fetch_message(&mut self, seq: u32) -> Result<Vec<u8>, ClientError> {
        let line = format!("RETR {seq}");
        self.command(&line, &line)?;
        let mut out = Vec::new();
        for l in self.multiline()? {
            out.extend_from_slice(&l);
            out.extend_from_slice(b"\r\n");
        }
        Ok(out)
    }

    pub(crate) fn store_flags(
        &mut self,
        seqs: &str,
        mode: StoreMode,
        flags: &[String],
    ) -> Result<(), ClientError> {
        if !flags.iter().all(|f| f.eq_ignore_ascii_case("\\Deleted")) {
            return Err(ClientError::Unsupported {
                service: "POP3",
                operation: "flags other than \\Deleted",
            });
        }
        let (count, _) = self.count()?;
        let set = Self::expand(seqs, count)?;
        for n in set {
            match (mode, flags.is_empty()) {
                (StoreMode::Add, false) | (StoreMode::Replace, false) => {
                    if !self.deleted.contains(&n) {
                        self.deleted.push(n);
                    }
                }
                (StoreMode::Remove, _) | (StoreMode::Replace, true) => {
                    self.deleted.retain(|&d| d != n)
                }
                (StoreMode::Add, true) => {}
            }
        }
        Ok(())
    }

    pub(crate) fn expunge(&mut self) -> Result<(), ClientError> {
        let deleted = std::mem::take(&mut self.deleted);
        for n in deleted {
            let line = format!("DELE {n}");
            self.command(&line, &line)?;
        }
        Ok(())
    }

    pub(crate) fn quit(&mut self) -> Result<(), ClientError> {
        let r = self.command("QUIT", "QUIT").map(drop);
        self.stream = None;
        match r {
            Err(ClientError::Closed(_)) => Ok(()),
            other => other,
        }
    }
}
