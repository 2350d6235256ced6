//! An open mx mailbox.
//!
//! Every change, and every look for changes, happens under an exclusive `flock` of
//! `.mxindex` (shared, for a read-only session), as c-client's `mx_lockindex` takes it:
//! the directory is scanned, the index read, the work done, and the index rewritten in
//! place before the lock is let go. Several sessions may have a mailbox read-write.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::files::{
    expunge_files, file_date, message_file, message_part, numbered, read_error, set_times,
};
use super::index::{Index, Record};
use crate::clock::new_uid_validity;
use crate::config::{Format, StoreConfig};
use crate::driver::common::{self, keyword_bits, keyword_set, to_crlf};
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::notify::Level;
use crate::types::{
    Access, Flags, Keyword, KeywordSet, MAX_KEYWORDS, MessageInfo, SeqNo, Uid, UidValidity,
};

/// The index file's name in the mailbox directory.
pub(crate) const INDEX: &str = ".mxindex";

/// An mx mailbox open in this session.
#[derive(Debug)]
pub(crate) struct MxMailbox {
    cfg: Arc<StoreConfig>,
    name: String,
    dir: PathBuf,
    access: Access,
    validity: UidValidity,
    /// The last UID assigned (the index's `L`).
    last: u32,
    keywords: Vec<Keyword>,
    msgs: Vec<MessageInfo>,
    /// The highest message file this session has taken in.
    seen: u32,
}

/// The index, locked and read.
struct Locked {
    file: File,
    index: Index,
    path: PathBuf,
}

/// How a lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hold {
    /// To read (a read-only session).
    Shared,
    /// To change.
    Exclusive,
}

impl MxMailbox {
    /// Opens the mx mailbox in directory `dir`.
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        name: &str,
        dir: &Path,
        access: Access,
    ) -> Result<MxMailbox> {
        let mut mb = MxMailbox {
            cfg,
            name: name.to_owned(),
            dir: dir.to_owned(),
            access,
            validity: UidValidity::MIN,
            last: 0,
            keywords: Vec::new(),
            msgs: Vec::new(),
            seen: 0,
        };
        let hold = match access {
            Access::ReadWrite => Hold::Exclusive,
            Access::ReadOnly => Hold::Shared,
        };
        let mut locked = mb.lock(hold)?;
        let new_index = locked.index.validity == 0;
        let listed = numbered(dir).ctx("read directory", dir)?;
        mb.take_in(&locked.index, &listed, Arrival::AtOpen);
        if new_index && access == Access::ReadWrite {
            // c-client chooses UIDVALIDITY when it first finds the index empty.
            let records = mb.records(&locked.index, &listed);
            mb.write(&mut locked, records)?;
        }
        Ok(mb)
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join(INDEX)
    }

    /// Opens and locks the index and reads it.
    fn lock(&self, hold: Hold) -> Result<Locked> {
        let path = self.index_path();
        let mut opts = OpenOptions::new();
        opts.read(true);
        if hold == Hold::Exclusive {
            opts.write(true).create(true).mode(self.cfg.mailbox_mode);
        }
        let mut file = opts.open(&path).ctx("open", &path)?;
        match hold {
            Hold::Exclusive => file.lock(),
            Hold::Shared => file.lock_shared(),
        }
        .ctx("flock", &path)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).ctx("read", &path)?;
        let index = Index::parse(&data);
        if let Some(at) = index.error_at {
            let tail: String = String::from_utf8_lossy(&data[at..])
                .chars()
                .take(80)
                .collect();
            self.cfg
                .notify
                .notice(Level::Error, &format!("Error in index: {tail}"));
        }
        Ok(Locked { file, index, path })
    }

    /// Rewrites the locked index in place with this session's header and keywords and
    /// `records`, then lets it go.
    fn write(&self, locked: &mut Locked, records: Vec<Record>) -> Result<()> {
        let ix = Index {
            validity: self.validity.get(),
            last: self.last,
            keywords: self
                .keywords
                .iter()
                .map(|k| Some(k.as_str().to_owned()))
                .collect(),
            records,
            error_at: None,
        };
        let bytes = ix.to_bytes();
        let f = &mut locked.file;
        f.seek(SeekFrom::Start(0)).ctx("seek", &locked.path)?;
        f.write_all(&bytes).ctx("write", &locked.path)?;
        f.set_len(bytes.len() as u64)
            .ctx("truncate", &locked.path)?;
        Ok(())
    }

    /// The records to write: the index's own, for messages whose files are there,
    /// with this session's for messages the index does not mention.
    fn records(&self, index: &Index, listed: &[u32]) -> Vec<Record> {
        let mut map: BTreeMap<u32, Record> = index
            .records
            .iter()
            .filter(|r| listed.binary_search(&r.uid).is_ok())
            .map(|r| (r.uid, *r))
            .collect();
        for m in &self.msgs {
            if listed.binary_search(&m.uid.get()).is_ok() {
                map.entry(m.uid.get()).or_insert_with(|| record_of(m));
            }
        }
        map.into_values().collect()
    }

    /// Takes in what the index and the directory say: UIDVALIDITY, keywords, messages
    /// gone, new messages, flags changed by others; returns the changes to report.
    fn take_in(&mut self, index: &Index, listed: &[u32], arrival: Arrival) -> Vec<Change> {
        let mut changes = Vec::new();
        if let Some(v) = UidValidity::new(index.validity) {
            self.validity = v;
        } else if arrival == Arrival::AtOpen {
            self.validity = UidValidity::new(new_uid_validity()).unwrap_or(UidValidity::MIN);
        }
        self.adopt_keywords(index);
        let table_len = self.keywords.len();
        let by_uid: BTreeMap<u32, &Record> = index.records.iter().map(|r| (r.uid, r)).collect();
        // Messages whose files are gone were expunged by another session.
        let mut i = 0;
        while i < self.msgs.len() {
            if listed.binary_search(&self.msgs[i].uid.get()).is_err() {
                self.msgs.remove(i);
                if let Some(seq) = SeqNo::from_index(i) {
                    changes.push(Change::Expunged(seq));
                }
            } else {
                i += 1;
            }
        }
        // Flags others changed.
        let mut flag_changes = Vec::new();
        for (i, m) in self.msgs.iter_mut().enumerate() {
            if let Some(r) = by_uid.get(&m.uid.get()) {
                let flags = r.flags().union(m.flags.intersect(Flags::RECENT));
                let kws = keyword_set(r.keywords, table_len);
                if flags != m.flags || kws != m.keywords {
                    m.flags = flags;
                    m.keywords = kws;
                    if let Some(seq) = SeqNo::from_index(i) {
                        flag_changes.push(Change::Flags(seq));
                    }
                }
            }
        }
        // New messages.
        let before = self.msgs.len();
        let seen_before = self.seen;
        for &n in listed.iter().filter(|&&n| n > seen_before) {
            let Some(uid) = Uid::new(n) else { continue };
            let path = self.dir.join(n.to_string());
            let Some(meta) = fs::metadata(&path).ok().filter(fs::Metadata::is_file) else {
                continue;
            };
            let (mut flags, keywords) = match by_uid.get(&n) {
                Some(r) => (r.flags(), keyword_set(r.keywords, table_len)),
                None => (Flags::EMPTY, KeywordSet::EMPTY),
            };
            if arrival == Arrival::Later {
                flags = flags.union(Flags::RECENT);
            }
            self.msgs.push(MessageInfo {
                uid,
                flags,
                keywords,
                internal_date: file_date(&meta),
                size: u32::try_from(meta.len()).unwrap_or(u32::MAX),
            });
            self.seen = n;
        }
        self.last = self.last.max(index.last).max(self.seen);
        if self.msgs.len() != before {
            changes.push(Change::Exists(self.msgs.len() as u32));
            changes.push(Change::Recent(self.recent()));
        }
        changes.extend(flag_changes);
        changes
    }

    /// Adopts the index's keyword table where it is longer than this session's.
    fn adopt_keywords(&mut self, index: &Index) {
        let valid: Vec<Keyword> = index
            .keywords
            .iter()
            .map_while(|k| k.as_deref().and_then(|k| Keyword::new(k).ok()))
            .collect();
        if valid.len() > self.keywords.len() {
            self.keywords = valid;
        }
    }

    fn recent(&self) -> u32 {
        self.msgs
            .iter()
            .filter(|m| m.flags.contains(Flags::RECENT))
            .count() as u32
    }

    /// The table positions of `kws`, defining those not in the table yet.
    fn define(&mut self, kws: &[Keyword]) -> Result<KeywordSet> {
        let mut set = KeywordSet::EMPTY;
        for k in kws {
            let pos = match self.keywords.iter().position(|x| x == k) {
                Some(p) => p,
                None if self.keywords.len() < MAX_KEYWORDS => {
                    self.keywords.push(k.clone());
                    self.keywords.len() - 1
                }
                None => {
                    return Err(Error::TooManyKeywords {
                        limit: MAX_KEYWORDS,
                    });
                }
            };
            set.insert(pos);
        }
        Ok(set)
    }

    fn message_path(&self, uid: Uid) -> PathBuf {
        message_file(&self.dir, uid)
    }

    /// Writes one message file under the index lock; returns its UID.
    fn write_message(&mut self, m: &AppendMessage) -> Result<Uid> {
        if m.data.is_empty() {
            return Err(Error::BadMessage {
                reason: "Append of zero-length message",
            });
        }
        let data = to_crlf(&m.data);
        loop {
            let n = self.last.checked_add(1).ok_or(Error::BadMessage {
                reason: "the mailbox has used every UID",
            })?;
            self.last = n;
            let uid = Uid::new(n).ok_or(Error::BadMessage {
                reason: "the mailbox has used every UID",
            })?;
            let path = self.message_path(uid);
            let mut f = match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(self.cfg.mailbox_mode)
                .open(&path)
            {
                Ok(f) => f,
                // A file the index does not know of: take the next number.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("create", &path, e)),
            };
            let written = f
                .write_all(&data)
                .and_then(|()| f.sync_all())
                .and_then(|()| {
                    let date = m.date.unwrap_or_else(now);
                    set_times(&f, &date, SystemTime::now())
                });
            if let Err(e) = written {
                let _ = fs::remove_file(&path);
                return Err(Error::io("write", &path, e));
            }
            return Ok(uid);
        }
    }
}

/// Whether messages found now are new to this session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arrival {
    /// Found when the mailbox was opened: not `\Recent` (c-client keeps no `\Recent` in mx).
    AtOpen,
    /// Arrived while the session had it open: `\Recent`.
    Later,
}

fn now() -> rfc822::DateTime {
    rfc822::DateTime::new(jiff::Timestamp::now().as_second(), 0)
        .unwrap_or(rfc822::DateTime::UNIX_EPOCH)
}

fn record_of(m: &MessageInfo) -> Record {
    Record {
        uid: m.uid.get(),
        keywords: keyword_bits(m.keywords),
        system: Record::bits(m.flags),
    }
}

fn apply(op: FlagOp, flags: Flags, kws: KeywordSet, r: &mut Record) {
    // The record keeps no `\Recent` for a replacement to keep.
    let f = common::apply_flags(op, r.flags(), flags);
    let k = common::apply_keywords(op, keyword_set(r.keywords, MAX_KEYWORDS), kws);
    r.system = Record::bits(f.intersect(Flags::SETTABLE));
    r.keywords = keyword_bits(k);
}

impl Mailbox for MxMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        Format::Mx
    }

    fn access(&self) -> Access {
        self.access
    }

    fn uid_validity(&self) -> UidValidity {
        self.validity
    }

    fn uid_next(&self) -> Uid {
        Uid::new(self.last.saturating_add(1)).unwrap_or(Uid::MAX)
    }

    fn keywords(&self) -> &[Keyword] {
        &self.keywords
    }

    fn can_create_keywords(&self) -> bool {
        self.access == Access::ReadWrite && self.keywords.len() < MAX_KEYWORDS
    }

    fn messages(&self) -> &[MessageInfo] {
        &self.msgs
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        let Some(info) = self.msgs.get(seq.index()) else {
            return Err(Error::NoSuchMessage(seq.get()));
        };
        let path = self.message_path(info.uid);
        let raw = fs::read(&path).map_err(|e| read_error(&path, e))?;
        let (out, size) = message_part(&raw, part);
        if let Some(m) = self.msgs.get_mut(seq.index()) {
            m.size = u32::try_from(size).unwrap_or(u32::MAX);
        }
        Ok(out)
    }

    fn set_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()> {
        common::writable(self.access)?;
        common::check_seqs(seqs, self.msgs.len())?;
        let mut locked = self.lock(Hold::Exclusive)?;
        self.adopt_keywords(&locked.index);
        let table_before = self.keywords.len();
        let kws = match self.define(keywords) {
            Ok(k) => k,
            Err(e) => {
                self.keywords.truncate(table_before);
                return Err(e);
            }
        };
        let listed = numbered(&self.dir).ctx("read directory", &self.dir)?;
        let mut records = self.records(&locked.index, &listed);
        for s in seqs {
            let m = &mut self.msgs[s.index()];
            let uid = m.uid.get();
            let mut r = records
                .iter()
                .find(|r| r.uid == uid)
                .copied()
                .unwrap_or_else(|| record_of(m));
            apply(op, flags, kws, &mut r);
            m.flags = r.flags().union(m.flags.intersect(Flags::RECENT));
            m.keywords = keyword_set(r.keywords, self.keywords.len());
            if let Some(slot) = records.iter_mut().find(|x| x.uid == uid) {
                *slot = r;
            }
        }
        self.write(&mut locked, records)
    }

    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        common::writable(self.access)?;
        let mut locked = self.lock(Hold::Exclusive)?;
        let (gone, result) = expunge_files(&mut self.msgs, scope, &self.dir);
        let listed = numbered(&self.dir).ctx("read directory", &self.dir)?;
        let records = self.records(&locked.index, &listed);
        self.write(&mut locked, records)?;
        result.map(|()| gone)
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        let mut locked = self.lock(Hold::Exclusive)?;
        if locked.index.validity == 0 && self.validity == UidValidity::MIN {
            self.validity = UidValidity::new(new_uid_validity()).unwrap_or(UidValidity::MIN);
        }
        if let Some(v) = UidValidity::new(locked.index.validity) {
            self.validity = v;
        }
        self.adopt_keywords(&locked.index);
        self.last = self.last.max(locked.index.last);
        let (last_before, table_before) = (self.last, self.keywords.len());
        let mut added: Vec<(Uid, Record)> = Vec::new();
        let outcome = (|| -> Result<()> {
            for m in msgs {
                let m = m?;
                let kws = self.define(&m.keywords)?;
                let uid = self.write_message(&m)?;
                added.push((
                    uid,
                    Record {
                        uid: uid.get(),
                        keywords: keyword_bits(kws),
                        system: Record::bits(m.flags.intersect(Flags::SETTABLE)),
                    },
                ));
            }
            Ok(())
        })();
        if let Err(e) = outcome {
            for (uid, _) in &added {
                let _ = fs::remove_file(self.message_path(*uid));
            }
            self.last = last_before;
            self.keywords.truncate(table_before);
            return Err(e);
        }
        let listed = numbered(&self.dir).ctx("read directory", &self.dir)?;
        let mut records = self.records(&locked.index, &listed);
        records.extend(added.iter().map(|(_, r)| *r));
        records.sort_by_key(|r| r.uid);
        records.dedup_by_key(|r| r.uid);
        self.write(&mut locked, records)?;
        Ok(AppendOutcome {
            uids: Some((self.validity, added.into_iter().map(|(u, _)| u).collect())),
        })
    }

    fn check(&mut self) -> Result<()> {
        // Every change is written when it is made.
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        let hold = match self.access {
            Access::ReadWrite => Hold::Exclusive,
            Access::ReadOnly => Hold::Shared,
        };
        let locked = self.lock(hold)?;
        let listed = numbered(&self.dir).ctx("read directory", &self.dir)?;
        Ok(self.take_in(&locked.index, &listed, Arrival::Later))
    }

    fn close(mut self: Box<Self>, how: Close) -> Result<()> {
        if how == Close::Expunge && self.access == Access::ReadWrite {
            self.expunge(ExpungeScope::AllDeleted)?;
        }
        Ok(())
    }
}

/// Makes a new, empty mx mailbox in directory `dir` (which does not exist): the
/// directory and an index with a fresh UIDVALIDITY and `keywords`.
pub(crate) fn create(cfg: &StoreConfig, dir: &Path, keywords: &[String]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    common::create_dir(cfg, dir)?;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(cfg.dir_mode));
    let ix = Index {
        validity: new_uid_validity(),
        last: 0,
        keywords: keywords
            .iter()
            .filter(|k| Keyword::new(k).is_ok())
            .take(MAX_KEYWORDS)
            .map(|k| Some(k.clone()))
            .collect(),
        records: Vec::new(),
        error_at: None,
    };
    let path = dir.join(INDEX);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(cfg.mailbox_mode)
        .open(&path)
        .map_err(|e| Error::node(&path, e))?;
    f.write_all(&ix.to_bytes()).ctx("write", &path)?;
    Ok(())
}
