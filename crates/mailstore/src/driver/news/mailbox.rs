//! An open newsgroup: the spool directory's articles, read-only, with `\Deleted` from and
//! to `~/.newsrc`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::newsrc::{self, Line};
use crate::config::{Format, StoreConfig};
use crate::driver::common::{self, to_crlf};
use crate::driver::mx::files::{file_date, message_file, message_part, numbered};
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::types::{Access, Flags, Keyword, KeywordSet, MessageInfo, SeqNo, Uid, UidValidity};

/// c-client's constant UIDVALIDITY for newsgroups (article numbers never change).
const VALIDITY: u32 = 0xBEEF_FACE;

/// A newsgroup open in this session.
#[derive(Debug)]
pub(crate) struct NewsMailbox {
    cfg: Arc<StoreConfig>,
    name: String,
    group: String,
    dir: PathBuf,
    msgs: Vec<MessageInfo>,
    /// `\Deleted` changed in this session: `~/.newsrc` is to be rewritten at close.
    dirty: bool,
}

impl NewsMailbox {
    /// Opens group `group` in spool directory `dir`.
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        name: &str,
        dir: &Path,
        group: &str,
    ) -> Result<NewsMailbox> {
        let mut mb = NewsMailbox {
            cfg,
            name: name.to_owned(),
            group: group.to_owned(),
            dir: dir.to_owned(),
            msgs: Vec::new(),
            dirty: false,
        };
        mb.scan()?;
        Ok(mb)
    }

    fn newsrc_path(&self) -> PathBuf {
        self.cfg.home.join(".newsrc")
    }

    /// This group's line of `~/.newsrc`, if it has one.
    fn newsrc_line(&self) -> Option<Line> {
        let text = fs::read(self.newsrc_path()).ok()?;
        text.split(|&b| b == b'\n')
            .filter_map(newsrc::parse_line)
            .find(|l| l.group == self.group)
    }

    /// Takes in new articles; returns the changes to report.
    fn scan(&mut self) -> Result<Vec<Change>> {
        let listed = numbered(&self.dir).ctx("read directory", &self.dir)?;
        let line = self.newsrc_line();
        let last = self.msgs.last().map_or(0, |m| m.uid.get());
        let before = self.msgs.len();
        for n in listed.into_iter().filter(|&n| n > last) {
            let Some(uid) = Uid::new(n) else { continue };
            let path = self.dir.join(n.to_string());
            let Ok(meta) = fs::metadata(&path) else {
                continue;
            };
            let size = match fs::read(&path) {
                Ok(d) => to_crlf(&d).len(),
                Err(_) => continue,
            };
            let read = line.as_ref().is_some_and(|l| l.contains(n));
            self.msgs.push(MessageInfo {
                uid,
                flags: if read { Flags::DELETED } else { Flags::RECENT },
                keywords: KeywordSet::EMPTY,
                internal_date: file_date(&meta),
                size: u32::try_from(size).unwrap_or(u32::MAX),
            });
        }
        let mut changes = Vec::new();
        if self.msgs.len() != before {
            changes.push(Change::Exists(self.msgs.len() as u32));
            changes.push(Change::Recent(
                self.msgs
                    .iter()
                    .filter(|m| m.flags.contains(Flags::RECENT))
                    .count() as u32,
            ));
        }
        Ok(changes)
    }

    /// Writes this group's line of `~/.newsrc` (through a new file renamed into place, so
    /// that a crash leaves the old one).
    fn write_newsrc(&self) -> Result<()> {
        let path = self.newsrc_path();
        let old = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        let articles: Vec<(u32, bool)> = self
            .msgs
            .iter()
            .map(|m| (m.uid.get(), m.flags.contains(Flags::DELETED)))
            .collect();
        let line = Line {
            group: self.group.clone(),
            subscribed: true,
            read: newsrc::ranges(&articles),
        };
        let text = newsrc::replace(&old, &line);
        let tmp = self.cfg.home.join(".newsrc.tmp");
        let mut f = fs::File::create(&tmp).ctx("create", &tmp)?;
        f.write_all(&text)
            .and_then(|()| f.sync_all())
            .ctx("write", &tmp)?;
        fs::rename(&tmp, &path).ctx("rename", &path)
    }
}

impl Mailbox for NewsMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        Format::News
    }

    fn access(&self) -> Access {
        Access::ReadOnly
    }

    fn uid_validity(&self) -> UidValidity {
        UidValidity::new(VALIDITY).unwrap_or(UidValidity::MIN)
    }

    fn uid_next(&self) -> Uid {
        let last = self.msgs.last().map_or(0, |m| m.uid.get());
        Uid::new(last.saturating_add(1)).unwrap_or(Uid::MAX)
    }

    fn keywords(&self) -> &[Keyword] {
        &[]
    }

    fn can_create_keywords(&self) -> bool {
        false
    }

    fn messages(&self) -> &[MessageInfo] {
        &self.msgs
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        let Some(info) = self.msgs.get(seq.index()) else {
            return Err(Error::NoSuchMessage(seq.get()));
        };
        let path = message_file(&self.dir, info.uid);
        let raw = fs::read(&path).ctx("read", &path)?;
        Ok(message_part(&raw, part).0)
    }

    /// Flags change in the session only, but for `\Deleted`, which goes to `~/.newsrc`
    /// (c-client lets a read-only newsgroup change `\Deleted`).
    fn set_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()> {
        common::no_keywords(keywords, "newsgroups have no keywords")?;
        common::check_seqs(seqs, self.msgs.len())?;
        let flags = flags.intersect(Flags::SETTABLE);
        for s in seqs {
            let m = &mut self.msgs[s.index()];
            let new = common::apply_flags(op, m.flags, flags);
            if new.contains(Flags::DELETED) != m.flags.contains(Flags::DELETED) {
                self.dirty = true;
            }
            m.flags = new;
        }
        Ok(())
    }

    fn expunge(&mut self, _scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        Err(Error::ReadOnly)
    }

    fn append(
        &mut self,
        _msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        Err(Error::ReadOnly)
    }

    fn check(&mut self) -> Result<()> {
        if self.dirty {
            self.write_newsrc()?;
            self.dirty = false;
        }
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        self.scan()
    }

    fn close(mut self: Box<Self>, _how: Close) -> Result<()> {
        self.check()
    }
}
