//! The `dummy` format: what is not a mailbox yet.
//!
//! c-client's `dummy` driver owns empty files and an INBOX that does not exist (no mail has
//! come yet): they open as mailboxes with no messages, and when mail arrives (the file
//! becomes a real mailbox) the session turns into one of that format and reports the
//! messages as new. Directories belong to it too, but cannot be opened (`\NoSelect`).
//! Its UIDVALIDITY is the time of opening, as in c-client (FAQ: an empty INBOX has no
//! lasting UIDVALIDITY).
//!
//! Source: panda-inventory.md §3.11; c-client `dummy.c`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock;
use crate::config::{Format, StoreConfig};
use crate::driver::{Found, find};
use crate::error::{Error, Result};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::name::Location;
use crate::store;
use crate::types::{Access, Flags, Keyword, MessageInfo, SeqNo, Uid, UidValidity};

/// An empty mailbox that turns into a real one when mail arrives.
#[derive(Debug)]
pub struct DummyMailbox {
    cfg: Arc<StoreConfig>,
    loc: Location,
    access: Access,
    uid_validity: UidValidity,
    real: Option<Box<dyn Mailbox>>,
    last_look: Option<Instant>,
}

impl DummyMailbox {
    pub(crate) fn open(cfg: Arc<StoreConfig>, loc: Location, access: Access) -> Self {
        DummyMailbox {
            cfg,
            loc,
            access,
            uid_validity: UidValidity::new(clock::new_uid_validity()).unwrap_or(UidValidity::MIN),
            real: None,
            last_look: None,
        }
    }

    /// Looks whether the name has become a real mailbox (at most once a second, or as the
    /// snarf interval says if shorter); if so, opens it.
    fn look(&mut self) -> Result<Vec<Change>> {
        let every = self.cfg.snarf_interval.min(Duration::from_secs(1));
        if self.last_look.is_some_and(|t| t.elapsed() < every) {
            return Ok(Vec::new());
        }
        self.last_look = Some(Instant::now());
        match find(&self.cfg, &self.loc)? {
            Found::Empty(_) | Found::Missing(_) | Found::Directory(_) | Found::Unknown(_) => {
                Ok(Vec::new())
            }
            found => {
                let real = store::open_found(&self.cfg, &self.loc, found, self.access)?;
                let n = real.messages().len() as u32;
                let recent = real
                    .messages()
                    .iter()
                    .filter(|m| m.flags.contains(Flags::RECENT))
                    .count() as u32;
                self.real = Some(real);
                Ok(if n > 0 {
                    vec![Change::Exists(n), Change::Recent(recent)]
                } else {
                    Vec::new()
                })
            }
        }
    }
}

impl Mailbox for DummyMailbox {
    fn name(&self) -> &str {
        &self.loc.name
    }

    fn format(&self) -> Format {
        self.real.as_ref().map_or(Format::Dummy, |r| r.format())
    }

    fn asked_to_let_go(&self) -> bool {
        self.real.as_ref().is_some_and(|r| r.asked_to_let_go())
    }

    fn access(&self) -> Access {
        self.real.as_ref().map_or(self.access, |r| r.access())
    }

    fn uid_validity(&self) -> UidValidity {
        self.real
            .as_ref()
            .map_or(self.uid_validity, |r| r.uid_validity())
    }

    fn uid_next(&self) -> Uid {
        self.real.as_ref().map_or(Uid::MIN, |r| r.uid_next())
    }

    fn keywords(&self) -> &[Keyword] {
        self.real.as_ref().map_or(&[], |r| r.keywords())
    }

    fn can_create_keywords(&self) -> bool {
        self.real
            .as_ref()
            .map_or(self.access == Access::ReadWrite, |r| {
                r.can_create_keywords()
            })
    }

    fn messages(&self) -> &[MessageInfo] {
        self.real.as_ref().map_or(&[], |r| r.messages())
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        match self.real.as_mut() {
            Some(r) => r.fetch(seq, part),
            None => Err(Error::NoSuchMessage(seq.get())),
        }
    }

    fn set_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()> {
        match self.real.as_mut() {
            Some(r) => r.set_flags(seqs, op, flags, keywords),
            None => match seqs.first() {
                Some(s) => Err(Error::NoSuchMessage(s.get())),
                None => Ok(()),
            },
        }
    }

    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        match self.real.as_mut() {
            Some(r) => r.expunge(scope),
            None => Ok(Vec::new()),
        }
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        if let Some(r) = self.real.as_mut() {
            return r.append(msgs);
        }
        let store = store::Store::from_arc(Arc::clone(&self.cfg));
        let out = store.append(&self.loc.name, msgs)?;
        self.last_look = None;
        Ok(out)
    }

    fn check(&mut self) -> Result<()> {
        match self.real.as_mut() {
            Some(r) => r.check(),
            None => self.look().map(drop),
        }
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        match self.real.as_mut() {
            Some(r) => r.poll(),
            None => self.look(),
        }
    }

    fn close(self: Box<Self>, how: Close) -> Result<()> {
        match self.real {
            Some(r) => r.close(how),
            None => Ok(()),
        }
    }
}
