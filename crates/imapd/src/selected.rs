//! The selected mailbox, and what the client has been told about it.
//!
//! The store changes its message list only when asked ([`Mailbox::poll`], an expunge);
//! the session asks only where RFC 3501 §7.4.1 lets it report expunges (after NOOP,
//! CHECK, IDLE polls and the other commands Panda allows, never during FETCH, STORE,
//! SEARCH or COPY), so sequence numbers never move under a command that uses them.

use imap_proto::command::Numbers;
use imap_proto::response::{Form, Writer};
use imap_proto::sequence::SequenceSet;
use mailstore::derived::Derived;
use mailstore::mailbox::{Change, Close, Mailbox};
use mailstore::{Access, Flag, Flags, MessageInfo, SeqNo};

use crate::respond::Failure;

/// A selected mailbox.
#[derive(Debug)]
pub(crate) struct Selected {
    /// The open mailbox.
    pub mailbox: Box<dyn Mailbox>,
    /// How many messages the client knows of.
    pub exists: u32,
    /// How many `\Recent` messages the client was told of.
    pub recent: u32,
    /// How many keywords the client was told of (in FLAGS).
    pub keywords: usize,
    /// Whether the client asked for read-only (EXAMINE).
    pub examine: bool,
    /// ENVELOPE, BODY and BODYSTRUCTURE answers kept across sessions, loaded when first
    /// needed.
    caches: [Option<Derived>; 3],
}

/// Which derived answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cached {
    /// ENVELOPE.
    Envelope,
    /// BODY.
    Body,
    /// BODYSTRUCTURE.
    BodyStructure,
}

/// Whether looking for other processes' changes (which may expunge) is allowed now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Poll {
    /// Yes: NOOP, CHECK, IDLE and the commands Panda allows.
    Yes,
    /// No: only this session's own changes are told.
    No,
}

/// What a sync found that ends the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lost {
    /// Another process took the mailbox (kiss of death), or it changed in a way that
    /// cannot be followed.
    Mailbox(String),
}

impl Selected {
    /// A newly opened mailbox; nothing told yet.
    pub fn new(mailbox: Box<dyn Mailbox>, examine: bool) -> Self {
        Selected {
            mailbox,
            exists: 0,
            recent: 0,
            keywords: 0,
            examine,
            caches: [None, None, None],
        }
    }

    /// The cache of `which` answers, loaded on first use.
    pub fn cache(&mut self, which: Cached) -> &mut Derived {
        let (i, kind) = match which {
            Cached::Body => (0, "body"),
            Cached::BodyStructure => (1, "bodystructure"),
            Cached::Envelope => (2, "envelope"),
        };
        let mailbox = &self.mailbox;
        self.caches[i].get_or_insert_with(|| mailbox.derived(kind))
    }

    /// Whether `which` is cached for message `seq`.
    pub fn has_cached(&mut self, which: Cached, seq: SeqNo) -> bool {
        let Some(uid) = self.messages().get(seq.index()).map(|m| m.uid) else {
            return false;
        };
        self.cache(which).get(uid).is_some()
    }

    /// Saves the caches and closes the mailbox. The caches are let go before the mailbox
    /// is closed: closing may rewrite the file, and the two should not add up in memory.
    pub fn close(mut self, how: Close) -> mailstore::Result<()> {
        let caches = std::mem::take(&mut self.caches);
        for mut c in caches.into_iter().flatten() {
            c.save(self.mailbox.messages());
        }
        self.mailbox.close(how)
    }

    /// Whether the session may change the mailbox.
    pub fn writable(&self) -> bool {
        self.mailbox.access() == Access::ReadWrite && !self.examine
    }

    /// The message list.
    pub fn messages(&self) -> &[MessageInfo] {
        self.mailbox.messages()
    }

    /// Writes FLAGS and PERMANENTFLAGS.
    pub fn write_flags(&mut self, out: &mut Writer) {
        let kws: Vec<String> = self
            .mailbox
            .keywords()
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect();
        self.keywords = kws.len();
        let mut list = String::from("\\Answered \\Flagged \\Deleted \\Draft \\Seen");
        for k in &kws {
            list.push(' ');
            list.push_str(k);
        }
        out.text("* FLAGS (").text(&list).text(")\r\n");
        let perm = if self.writable() {
            if self.mailbox.can_create_keywords() {
                format!("({list} \\*)")
            } else {
                format!("({list})")
            }
        } else {
            "()".to_owned()
        };
        out.status(
            None,
            "OK",
            Some(&format!("PERMANENTFLAGS {perm}")),
            "Permanent flags",
        );
    }

    /// Tells the client what changed: other processes' changes when `poll` allows, and
    /// in every case new keywords, the message count and the recent count.
    pub fn sync(&mut self, out: &mut Writer, poll: Poll) -> Result<(), Lost> {
        if poll == Poll::Yes {
            let changes = match self.mailbox.poll() {
                Ok(c) => c,
                Err(
                    e @ (mailstore::Error::LockLost
                    | mailstore::Error::Shrank { .. }
                    | mailstore::Error::ChangedUnderneath { .. }),
                ) => {
                    return Err(Lost::Mailbox(e.to_string()));
                }
                Err(e) => {
                    out.status(None, "NO", None, &e.to_string());
                    Vec::new()
                }
            };
            for c in changes {
                match c {
                    Change::Expunged(seq) => {
                        out.text("* ").num(seq.get()).text(" EXPUNGE\r\n");
                        self.exists = self.exists.saturating_sub(1);
                    }
                    Change::Flags(seq) if seq.get() <= self.exists => {
                        out.text("* ").num(seq.get()).text(" FETCH (FLAGS ");
                        self.write_message_flags(out, seq);
                        out.text(")\r\n");
                    }
                    Change::Flags(_) | Change::Exists(_) | Change::Recent(_) => {}
                    Change::LostWriteAccess => {
                        return Err(Lost::Mailbox("Killed (lost mailbox lock)".into()));
                    }
                }
            }
        }
        self.tell_counts(out);
        Ok(())
    }

    /// EXISTS and RECENT, whatever the client knows (SELECT).
    pub fn announce_counts(&mut self, out: &mut Writer) {
        let n = self.messages().len() as u32;
        let recent = self.recent_count();
        out.text("* ").num(n).text(" EXISTS\r\n");
        out.text("* ").num(recent).text(" RECENT\r\n");
        self.exists = n;
        self.recent = recent;
    }

    fn recent_count(&self) -> u32 {
        self.messages()
            .iter()
            .filter(|m| m.flags.contains(Flags::RECENT))
            .count() as u32
    }

    /// New keywords, EXISTS and RECENT, as far as the client does not know them.
    pub fn tell_counts(&mut self, out: &mut Writer) {
        if self.mailbox.keywords().len() != self.keywords {
            self.write_flags(out);
        }
        // Only new messages change the recent count a client must be told (it may not
        // be told less after an expunge); counting costs a pass over the mailbox, so it
        // is done only then.
        let n = self.messages().len() as u32;
        if n > self.exists {
            let recent = self.recent_count();
            out.text("* ").num(n).text(" EXISTS\r\n");
            self.exists = n;
            out.text("* ").num(recent).text(" RECENT\r\n");
            self.recent = recent;
        }
    }

    /// Writes `(\Seen kw …)` for message `seq`.
    pub fn write_message_flags(&self, out: &mut Writer, seq: SeqNo) {
        let Some(m) = self.messages().get(seq.index()) else {
            out.text("()");
            return;
        };
        out.text("(");
        let mut first = true;
        for f in m.flags.iter() {
            if !first {
                out.text(" ");
            }
            first = false;
            out.text(flag_name(f));
        }
        let table = self.mailbox.keywords();
        for k in m.keywords.iter() {
            if let Some(kw) = table.get(k) {
                if !first {
                    out.text(" ");
                }
                first = false;
                out.string(kw.as_str().as_bytes(), Form::AtomIfPossible);
            }
        }
        out.text(")");
    }

    /// The messages a set names, in ascending order. Sequence numbers must be in range
    /// (`*` is the last); UIDs that name no message are left out (RFC 3501 §6.4.8). The
    /// work grows with the set, not with the mailbox.
    pub fn resolve(&self, numbers: Numbers, set: &SequenceSet) -> Result<Vec<SeqNo>, Failure> {
        let msgs = self.messages();
        let n = (self.exists as usize).min(msgs.len());
        // Index ranges [lo, hi) into the message list.
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(set.0.len());
        match numbers {
            Numbers::Sequence => {
                if n == 0 {
                    return Err(Failure::bad("No messages in mailbox"));
                }
                for (a, b) in set.ranges(n as u32) {
                    if a == 0 || b as usize > n {
                        return Err(Failure::bad("Sequence out of range"));
                    }
                    spans.push((a as usize - 1, b as usize));
                }
            }
            Numbers::Uid => {
                let msgs = &msgs[..n];
                let Some(last) = msgs.last().map(|m| m.uid.get()) else {
                    return Ok(Vec::new());
                };
                for (a, b) in set.ranges(last) {
                    let lo = msgs.partition_point(|m| m.uid.get() < a);
                    let hi = msgs.partition_point(|m| m.uid.get() <= b);
                    if lo < hi {
                        spans.push((lo, hi));
                    }
                }
            }
        }
        spans.sort_unstable();
        let mut out = Vec::new();
        let mut next = 0;
        for (lo, hi) in spans {
            for i in lo.max(next)..hi {
                if let Some(s) = SeqNo::from_index(i) {
                    out.push(s);
                }
            }
            next = next.max(hi);
        }
        Ok(out)
    }
}

/// The IMAP name of a system flag.
pub(crate) fn flag_name(f: Flag) -> &'static str {
    match f {
        Flag::Seen => "\\Seen",
        Flag::Deleted => "\\Deleted",
        Flag::Flagged => "\\Flagged",
        Flag::Answered => "\\Answered",
        Flag::Draft => "\\Draft",
        Flag::Recent => "\\Recent",
    }
}
