//! An open mix mailbox: many sessions may have one read-write at once.
//!
//! The session keeps `.mixmeta` open and `flock`ed shared from open to close. Everything
//! else is read when needed: at each poll, index and status are read under shared locks,
//! and their update sequences tell whether anything changed since the last look (what
//! changed is found by comparing UIDs and flags, so that the session's own writes are not
//! reported back to it). Flag changes are written at once, under the exclusive status
//! lock; expunge rewrites index and status under exclusive locks, then burps if the
//! metadata lock can be made exclusive (no other session has the mailbox), and otherwise
//! remembers to try again at the next check or close.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::files::{self, INDEX, Locked, META, Mode, Modseq, STATUS, Share};
use super::format::{self, F_OLD, F_SETTABLE, IndexEntry, Meta, StatusEntry};
use super::{append, burp};
use crate::config::{Format, StoreConfig};
use crate::driver::common::{self, system_bits, system_flags};
use crate::driver::snarf::{self, Snarfer};
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::types::{
    Access, Flags, Keyword, KeywordSet, MAX_KEYWORDS, MessageInfo, SeqNo, Uid, UidValidity,
};

/// Whether expunged data waits in the data files for a burp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Burp {
    /// Nothing known to reclaim.
    NotNeeded,
    /// Another session had the mailbox when this one expunged: try again later.
    Needed,
}

/// An open mix mailbox.
#[derive(Debug)]
pub(crate) struct MixMailbox {
    cfg: Arc<StoreConfig>,
    name: String,
    dir: PathBuf,
    access: Access,
    /// `.mixmeta`, `flock`ed shared for the whole session.
    meta_file: File,
    meta: Meta,
    keywords: Vec<Keyword>,
    /// Update sequences of index and status at the last look (none before the first).
    index_seq: Option<u32>,
    status_seq: Option<u32>,
    msgs: Vec<MessageInfo>,
    entries: Vec<IndexEntry>,
    burp: Burp,
    /// For INBOX in the home directory: the spool, and when it was last looked at.
    snarf: Option<(PathBuf, Snarfer)>,
}

impl MixMailbox {
    /// Opens the mix mailbox in directory `dir`.
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        name: &str,
        dir: &Path,
        spool: Option<&Path>,
        access: Access,
    ) -> Result<MixMailbox> {
        let meta_path = dir.join(META);
        let (meta_file, access) = match access {
            Access::ReadWrite => match files::open(&meta_path, Mode::Write) {
                Ok(f) => (f, Access::ReadWrite),
                Err(Error::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::PermissionDenied =>
                {
                    (files::open(&meta_path, Mode::Read)?, Access::ReadOnly)
                }
                Err(e) => return Err(e),
            },
            Access::ReadOnly => (files::open(&meta_path, Mode::Read)?, Access::ReadOnly),
        };
        meta_file.lock_shared().ctx("flock", &meta_path)?;
        let bytes = files::read_all(&meta_file, &meta_path)?;
        let meta = format::parse_meta(&bytes).map_err(|e| files::corrupt(&meta_path, e))?;
        let keywords = valid_keywords(&meta, &meta_path)?;
        let mut mb = MixMailbox {
            cfg,
            name: name.to_owned(),
            dir: dir.to_owned(),
            access,
            meta_file,
            meta,
            keywords,
            index_seq: None,
            status_seq: None,
            msgs: Vec::new(),
            entries: Vec::new(),
            burp: Burp::NotNeeded,
            snarf: spool.map(|s| (s.to_owned(), Snarfer::default())),
        };
        mb.snarf_if_due()?;
        mb.sync()?;
        Ok(mb)
    }

    /// Moves spool mail into this INBOX when it is time to.
    fn snarf_if_due(&mut self) -> Result<()> {
        if self.access != Access::ReadWrite {
            return Ok(());
        }
        let Some((spool, snarfer)) = self.snarf.as_mut() else {
            return Ok(());
        };
        if !snarfer.due(&self.cfg) {
            return Ok(());
        }
        let spool = spool.clone();
        let (cfg, dir) = (Arc::clone(&self.cfg), self.dir.clone());
        snarf::from_spool(&cfg, &spool, &mut |m| append::append(&cfg, &dir, m))?;
        Ok(())
    }

    /// Reads what changed on disk since the last look and reports it.
    fn sync(&mut self) -> Result<Vec<Change>> {
        let index_lock = Locked::open(&self.dir, INDEX, Mode::Read, Share::Shared)?;
        let status_lock = Locked::open(&self.dir, STATUS, Mode::Read, Share::Shared)?;
        let meta_path = self.dir.join(META);
        let bytes = files::read_all(&self.meta_file, &meta_path)?;
        let meta = format::parse_meta(&bytes).map_err(|e| files::corrupt(&meta_path, e))?;
        if meta != self.meta {
            self.keywords = valid_keywords(&meta, &meta_path)?;
            self.meta = meta;
        }
        let index = if self.index_seq == Some(seq_of(&index_lock)?) {
            None
        } else {
            Some(index_lock.index()?)
        };
        drop(index_lock);

        let mut changes = Vec::new();
        let mut fresh = Vec::new();
        if let Some(index) = index {
            let live = ByUid::new(&index.entries, |e| e.uid);
            let mut i = 0;
            while i < self.msgs.len() {
                match live.get(self.msgs[i].uid.get()) {
                    Some(e) => {
                        self.entries[i] = (*e).clone();
                        i += 1;
                    }
                    None => {
                        self.msgs.remove(i);
                        self.entries.remove(i);
                        // Expunged while this session had it at position i.
                        if let Some(seq) = SeqNo::from_index(i) {
                            changes.push(Change::Expunged(seq));
                        }
                    }
                }
            }
            let top = self.msgs.last().map_or(0, |m| m.uid.get());
            for e in index.entries.iter().filter(|e| e.uid > top) {
                let Some(uid) = Uid::new(e.uid) else { continue };
                fresh.push(self.msgs.len());
                self.msgs.push(MessageInfo {
                    uid,
                    flags: Flags::EMPTY,
                    keywords: KeywordSet::EMPTY,
                    internal_date: e.date,
                    size: e.size,
                });
                self.entries.push(e.clone());
            }
            self.index_seq = Some(index.seq);
        }

        // The status file is read again only when its sequence moved, or for new messages.
        let status_seq = seq_of(&status_lock)?;
        if fresh.is_empty() && self.status_seq == Some(status_seq) {
            return Ok(changes);
        }
        let status = status_lock.status()?;
        drop(status_lock);
        let by_uid = ByUid::new(&status.entries, |e| e.uid);
        let mut to_mark_old = Vec::new();
        for &i in &fresh {
            let m = &mut self.msgs[i];
            let st = by_uid.get(m.uid.get());
            let bits = st.map_or(0, |s| s.flags);
            m.flags = system_flags(bits);
            m.keywords = common::keyword_set(st.map_or(0, |s| s.keywords), self.keywords.len());
            if bits & F_OLD == 0 {
                m.flags = m.flags.union(Flags::RECENT);
                to_mark_old.push(m.uid.get());
            }
        }
        if !fresh.is_empty() {
            changes.push(Change::Exists(self.msgs.len() as u32));
            changes.push(Change::Recent(
                self.msgs
                    .iter()
                    .filter(|m| m.flags.contains(Flags::RECENT))
                    .count() as u32,
            ));
        }
        if self.status_seq != Some(status.seq) {
            // The new messages are the last ones, read above.
            let first_fresh = fresh.first().copied().unwrap_or(usize::MAX);
            for (i, m) in self.msgs.iter_mut().enumerate() {
                if i >= first_fresh {
                    break;
                }
                let st = by_uid.get(m.uid.get());
                let flags =
                    system_flags(st.map_or(0, |s| s.flags)).union(m.flags.intersect(Flags::RECENT));
                let kws = common::keyword_set(st.map_or(0, |s| s.keywords), self.keywords.len());
                if flags != m.flags || kws != m.keywords {
                    m.flags = flags;
                    m.keywords = kws;
                    if let Some(seq) = SeqNo::from_index(i) {
                        changes.push(Change::Flags(seq));
                    }
                }
            }
            self.status_seq = Some(status.seq);
        }
        if self.access == Access::ReadWrite && !to_mark_old.is_empty() {
            self.mark_old(&to_mark_old)?;
        }
        Ok(changes)
    }

    /// Records on disk that this session has seen messages `uids` (`fOLD`): they are no
    /// longer `\Recent` for anyone else.
    fn mark_old(&mut self, uids: &[u32]) -> Result<()> {
        let lock = Locked::open(&self.dir, STATUS, Mode::Write, Share::Exclusive)?;
        let mut status = lock.status()?;
        let wanted: HashSet<u32> = uids.iter().copied().collect();
        let mut modseq = Modseq::after(files::highest(
            &self.meta,
            &format::Index::default(),
            &status,
        ));
        let m = modseq.next();
        let mut changed = false;
        for e in status.entries.iter_mut() {
            if wanted.contains(&e.uid) && e.flags & F_OLD == 0 {
                e.flags |= F_OLD;
                e.modseq = m;
                changed = true;
            }
        }
        if changed {
            status.seq = m;
            lock.rewrite(&format::status_text(&status))?;
        }
        Ok(())
    }

    /// Defines the keywords of `wanted` missing from the metadata; returns their bits.
    fn define_keywords(&mut self, wanted: &[Keyword]) -> Result<u32> {
        let mut bits = 0u32;
        let missing: Vec<&Keyword> = wanted
            .iter()
            .filter(|k| !self.keywords.contains(k))
            .collect();
        if !missing.is_empty() {
            // The index lock serializes writers of the metadata (deliveries rewrite it).
            let _guard = Locked::open(&self.dir, INDEX, Mode::Write, Share::Exclusive)?;
            let meta_path = self.dir.join(META);
            let bytes = files::read_all(&self.meta_file, &meta_path)?;
            let mut meta = format::parse_meta(&bytes).map_err(|e| files::corrupt(&meta_path, e))?;
            let before = meta.keywords.len();
            let owned: Vec<Keyword> = missing.into_iter().cloned().collect();
            append::keyword_bits(&mut meta.keywords, &owned)?;
            if meta.keywords.len() != before {
                meta.seq = Modseq::after(meta.seq.max(meta.new_file)).next();
                files::rewrite(&self.meta_file, &meta_path, &format::meta_text(&meta))?;
            }
            self.keywords = valid_keywords(&meta, &meta_path)?;
            self.meta = meta;
        }
        for k in wanted {
            if let Some(i) = self.keywords.iter().position(|t| t == k) {
                bits |= 1 << i;
            }
        }
        Ok(bits)
    }

    /// Burps if no other session has the mailbox; the caller holds the index lock
    /// exclusively (the guard that makes upgrading the metadata lock safe).
    fn try_burp(&mut self, index_lock: &Locked) -> Result<()> {
        let meta_path = self.dir.join(META);
        match self.meta_file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                // flock dropped the shared lock in trying: take it again (no one can
                // hold it exclusively, for that needs the index lock we hold).
                self.meta_file.lock_shared().ctx("flock", &meta_path)?;
                self.burp = Burp::Needed;
                return Ok(());
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("flock", &meta_path, e)),
        }
        let result = (|| -> Result<()> {
            let mut index = index_lock.index()?;
            if burp::burp(&self.dir, &mut index, self.meta.new_file)? {
                let status = Locked::open(&self.dir, STATUS, Mode::Read, Share::Shared)?;
                let st = status.status()?;
                index.seq = Modseq::after(files::highest(&self.meta, &index, &st)).next();
                drop(status);
                index_lock.rewrite(&format::index_text(&index))?;
                // This session's messages moved too.
                let at: HashMap<u32, &IndexEntry> =
                    index.entries.iter().map(|e| (e.uid, e)).collect();
                for e in self.entries.iter_mut() {
                    if let Some(moved) = at.get(&e.uid) {
                        *e = (*moved).clone();
                    }
                }
            }
            Ok(())
        })();
        self.meta_file.lock_shared().ctx("flock", &meta_path)?;
        result?;
        self.burp = Burp::NotNeeded;
        Ok(())
    }

    /// Reads `len` bytes of message `seq` (record line checked) from its data file.
    fn read_message(&self, seq: SeqNo) -> Result<Vec<u8>> {
        let e = self
            .entries
            .get(seq.index())
            .ok_or(Error::NoSuchMessage(seq.get()))?;
        let path = self.dir.join(files::data_name(e.file));
        let file = files::open(&path, Mode::Read)?;
        let bad = |what: String| Error::Corrupt {
            path: path.clone(),
            offset: u64::from(e.pos),
            what,
        };
        // Checked before allocating: a corrupt index must not ask for gigabytes.
        let len = file.metadata().ctx("stat", &path)?.len();
        if u64::from(e.pos) + u64::from(e.isize) + u64::from(e.size) > len {
            return Err(bad(format!("data file ends inside message UID {}", e.uid)));
        }
        let mut buf = vec![0u8; e.isize as usize + e.size as usize];
        file.read_exact_at(&mut buf, u64::from(e.pos))
            .map_err(|_| bad(format!("data file ends inside message UID {}", e.uid)))?;
        let rec = buf.get(..e.isize as usize).unwrap_or_default();
        let rec = rec.strip_suffix(b"\r\n").unwrap_or(rec);
        if format::parse_msg_record(rec) != Some(e.uid) {
            return Err(bad(format!("no message record for UID {}", e.uid)));
        }
        buf.drain(..e.isize as usize);
        Ok(buf)
    }
}

impl Mailbox for MixMailbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn format(&self) -> Format {
        Format::Mix
    }

    fn access(&self) -> Access {
        self.access
    }

    fn uid_validity(&self) -> UidValidity {
        // parse_meta refuses a zero UIDVALIDITY.
        UidValidity::new(self.meta.validity).unwrap_or(UidValidity::MIN)
    }

    fn uid_next(&self) -> Uid {
        Uid::new(self.meta.last_uid.saturating_add(1)).unwrap_or(Uid::MAX)
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
        let msg = self.read_message(seq)?;
        let hsize = self
            .entries
            .get(seq.index())
            .map_or(0, |e| e.hsize as usize)
            .min(msg.len());
        Ok(common::cut_part(msg, hsize, part))
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
        let kw_bits = self.define_keywords(keywords)?;
        let sys_bits = system_bits(flags);
        let lock = Locked::open(&self.dir, STATUS, Mode::Write, Share::Exclusive)?;
        let mut status = lock.status()?;
        let mut modseq = Modseq::after(files::highest(
            &self.meta,
            &format::Index::default(),
            &status,
        ));
        let m = modseq.next();
        let mut changed = false;
        for seq in seqs {
            let msg = &mut self.msgs[seq.index()];
            let uid = msg.uid.get();
            let at = match status.entries.iter().position(|e| e.uid == uid) {
                Some(at) => at,
                None => {
                    status.entries.push(StatusEntry {
                        uid,
                        keywords: 0,
                        flags: F_OLD,
                        modseq: 0,
                    });
                    status.entries.sort_by_key(|e| e.uid);
                    status
                        .entries
                        .iter()
                        .position(|e| e.uid == uid)
                        .unwrap_or_default()
                }
            };
            let e = &mut status.entries[at];
            let (new_sys, new_kw) = match op {
                FlagOp::Replace => ((e.flags & !F_SETTABLE) | sys_bits, kw_bits),
                FlagOp::Add => (e.flags | sys_bits, e.keywords | kw_bits),
                FlagOp::Remove => (e.flags & !sys_bits, e.keywords & !kw_bits),
            };
            if (new_sys, new_kw) != (e.flags, e.keywords) {
                e.flags = new_sys;
                e.keywords = new_kw;
                e.modseq = m;
                changed = true;
            }
            msg.flags = system_flags(e.flags).union(msg.flags.intersect(Flags::RECENT));
            msg.keywords = common::keyword_set(e.keywords, self.keywords.len());
        }
        if changed {
            status.seq = m;
            lock.rewrite(&format::status_text(&status))?;
        }
        Ok(())
    }

    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        common::writable(self.access)?;
        let index_lock = Locked::open(&self.dir, INDEX, Mode::Write, Share::Exclusive)?;
        let status_lock = Locked::open(&self.dir, STATUS, Mode::Write, Share::Exclusive)?;
        let mut index = index_lock.index()?;
        let mut status = status_lock.status()?;
        let doomed: HashSet<u32> = self
            .msgs
            .iter()
            .filter(|m| scope.selects(m))
            .map(|m| m.uid.get())
            .collect();
        let mut gone = Vec::new();
        if !doomed.is_empty() {
            index.entries.retain(|e| !doomed.contains(&e.uid));
            status.entries.retain(|e| !doomed.contains(&e.uid));
            let m = Modseq::after(files::highest(&self.meta, &index, &status)).next();
            index.seq = m;
            status.seq = m;
            status_lock.rewrite(&format::status_text(&status))?;
            index_lock.rewrite(&format::index_text(&index))?;
            let mut i = 0;
            while i < self.msgs.len() {
                if doomed.contains(&self.msgs[i].uid.get()) {
                    self.msgs.remove(i);
                    self.entries.remove(i);
                    if let Some(seq) = SeqNo::from_index(i) {
                        gone.push(seq);
                    }
                } else {
                    i += 1;
                }
            }
            self.burp = Burp::Needed;
        }
        drop(status_lock);
        if self.burp == Burp::Needed {
            self.try_burp(&index_lock)?;
        }
        Ok(gone)
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        append::append(&self.cfg, &self.dir, msgs)
    }

    fn check(&mut self) -> Result<()> {
        if self.access == Access::ReadWrite {
            let index_lock = Locked::open(&self.dir, INDEX, Mode::Write, Share::Exclusive)?;
            self.try_burp(&index_lock)?;
        }
        Ok(())
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        self.snarf_if_due()?;
        self.sync()
    }

    fn close(mut self: Box<Self>, how: Close) -> Result<()> {
        if self.access == Access::ReadWrite {
            if how == Close::Expunge {
                self.expunge(ExpungeScope::AllDeleted)?;
            }
            if self.burp == Burp::Needed {
                let index_lock = Locked::open(&self.dir, INDEX, Mode::Write, Share::Exclusive)?;
                self.try_burp(&index_lock)?;
            }
        }
        Ok(())
    }
}

/// The update sequence on the first line of a locked file, without parsing the rest.
fn seq_of(lock: &Locked) -> Result<u32> {
    let mut head = [0u8; 64];
    let n = read_prefix(&lock.file, &mut head).ctx("read", &lock.path)?;
    let head = &head[..n];
    let line = head
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    // A file without its sequence line (just created) counts as sequence 0.
    Ok(line
        .strip_prefix(b"S")
        .and_then(|h| std::str::from_utf8(h).ok())
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .unwrap_or(0))
}

fn read_prefix(file: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], n as u64)? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The keyword table of `meta`, each name checked.
fn valid_keywords(meta: &Meta, path: &Path) -> Result<Vec<Keyword>> {
    if meta.keywords.len() > MAX_KEYWORDS {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            offset: 0,
            what: format!("{} keywords, more than {MAX_KEYWORDS}", meta.keywords.len()),
        });
    }
    meta.keywords
        .iter()
        .map(|k| {
            Keyword::new(k).map_err(|_| Error::Corrupt {
                path: path.to_owned(),
                offset: 0,
                what: format!(
                    "keyword {:?} is not an atom",
                    k.chars().take(60).collect::<String>()
                ),
            })
        })
        .collect()
}

/// Entries of a file by UID. Index and status files list them in ascending UID order, so
/// a binary search finds one; a file out of order (written by something else) falls back
/// to a hash map.
#[derive(Debug)]
enum ByUid<'a, T> {
    Sorted(&'a [T], fn(&T) -> u32),
    Map(HashMap<u32, &'a T>),
}

impl<'a, T> ByUid<'a, T> {
    fn new(entries: &'a [T], uid: fn(&T) -> u32) -> Self {
        if entries.windows(2).all(|w| uid(&w[0]) < uid(&w[1])) {
            ByUid::Sorted(entries, uid)
        } else {
            ByUid::Map(entries.iter().map(|e| (uid(e), e)).collect())
        }
    }

    fn get(&self, key: u32) -> Option<&'a T> {
        match self {
            ByUid::Sorted(entries, uid) => entries
                .binary_search_by_key(&key, uid)
                .ok()
                .map(|i| &entries[i]),
            ByUid::Map(m) => m.get(&key).copied(),
        }
    }
}
