//! Keeping a session and its file in step: reading what others added, reading messages,
//! and writing this session's changes back (c-client `unix_parse`, `unix_rewrite`,
//! `unix_ping`, `unix_check`).

use std::collections::HashMap;
use std::fs::{File, FileTimes};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::format::{self, OldMark, PseudoKind, UidLines};
use super::open::Locked;
use super::scan::{ScanError, Scanned, Scanner};
use super::{Framing, MMDF_DELIMITER, Model, Msg, Quiet, Stamp, UnixMailbox};
use crate::clock;
use crate::config::{StoreConfig, UidMode};
use crate::error::{Error, IoContext, Result};
use crate::journal::{self, Holder, JournalPlace, Plan, Recovery};
use crate::lock::instance::{Attempt, InstanceLock, Share, Wait};
use crate::mailbox::{Change, FlagOp, Part};
use crate::notify::Level;
use crate::types::{Access, Flags, Keyword, KeywordSet, MAX_KEYWORDS, MessageInfo, SeqNo, Uid};

/// The window the file is read in while scanning.
const SCAN_WINDOW: usize = 1 << 20;

/// Whether `X-UID:` values found in new data are believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrustUids {
    /// Yes: the file as a whole, or data written by a process that held the mailbox.
    Yes,
    /// No: new mail that arrived while this session holds the mailbox read-write came from
    /// a delivery agent, which writes no UIDs; an `X-UID:` there is the sender's, not ours.
    NewMail,
}

impl Model {
    /// Takes in scanned messages, as c-client's parser does: UIDVALIDITY and keywords from
    /// the first message's `X-IMAP:` / `X-IMAPbase:`, UIDs from `X-UID:` while they ascend,
    /// new UIDs for the rest. Returns how many messages became visible.
    fn ingest(
        &mut self,
        batch: Vec<Scanned>,
        trust: TrustUids,
        cfg: &StoreConfig,
        warnings: &mut Vec<(Level, String)>,
    ) {
        let sticky = cfg.uids == UidMode::Sticky;
        for s in batch {
            let first_in_file = !self.seen_any;
            self.seen_any = true;
            self.parsed_len = s.end();
            let validity_before = self.uid_validity;
            let mut holds_base = false;
            if first_in_file
                && sticky
                && self.uid_validity == 0
                && let Some(b) = &s.base
            {
                self.uid_validity = b.validity;
                self.uid_last = b.last;
                self.keywords = b
                    .keywords
                    .iter()
                    .flatten()
                    .filter_map(|k| std::str::from_utf8(k).ok())
                    .filter_map(|k| Keyword::new(k).ok())
                    .take(MAX_KEYWORDS)
                    .collect();
                if b.pseudo {
                    self.pseudo = Some(s.end());
                    continue;
                }
                holds_base = true;
            }
            let number = self.msgs.len() + 1;
            let mut uid: u32 = 0;
            if sticky {
                for &(value, after_base) in &s.uids {
                    let known = if after_base {
                        self.uid_validity
                    } else {
                        validity_before
                    };
                    if known == 0 {
                        continue;
                    }
                    if trust == TrustUids::NewMail {
                        warnings.push((
                            Level::Info,
                            format!("Ignoring X-UID {value} in new message {number} from outside"),
                        ));
                        continue;
                    }
                    // Bad UIDs in a whole file make new ones for all (c-client's rule);
                    // in data added to a mailbox a session has open, they only lose their
                    // own UID: a session's UIDVALIDITY never changes under it.
                    let whole = !self.opened;
                    if uid != 0 {
                        warnings.push((
                            Level::Warn,
                            format!("Message {number} UID {value} already has UID {uid}"),
                        ));
                        if whole {
                            self.uid_validity = 0;
                        }
                        uid = 0;
                    } else if value <= u64::from(self.prev_uid) || value > u64::from(u32::MAX) {
                        warnings.push((
                            Level::Warn,
                            format!(
                                "Message {number} UID {value} less than {}",
                                u64::from(self.prev_uid) + 1
                            ),
                        ));
                        if whole {
                            self.uid_validity = 0;
                        }
                    } else {
                        uid = value as u32;
                        self.prev_uid = uid;
                        if uid > self.uid_last {
                            self.uid_last = uid;
                            self.base_dirty = true;
                            self.dirty = true;
                            self.ddirty = true;
                        }
                    }
                }
            }
            let mut keywords = KeywordSet::EMPTY;
            for k in &s.keywords {
                if let Some(i) = self
                    .keywords
                    .iter()
                    .position(|t| t.as_str().as_bytes().eq_ignore_ascii_case(k))
                {
                    keywords.insert(i);
                }
            }
            let recent = !s.status.old;
            let mut flags = s.status.flags;
            if recent {
                flags = flags.union(Flags::RECENT);
            }
            let mut dirty = false;
            if uid == 0 {
                uid = self.next_uid();
                dirty = true;
                if sticky {
                    self.ddirty = true;
                    self.base_dirty = true;
                }
            }
            if holds_base {
                self.base_holder = Uid::new(uid);
            }
            let Some(uid) = Uid::new(uid) else { continue };
            self.msgs.push(Msg {
                start: s.start,
                from_len: s.from_len,
                from_hash: s.from_hash,
                header_len: s.header_len,
                kept_len: s.kept_len,
                body_len: s.body_len,
                sep_len: s.sep_len,
                old_on_disk: s.status.old,
                dirty,
            });
            self.infos.push(MessageInfo {
                uid,
                flags,
                keywords,
                internal_date: s.date,
                size: u32::try_from(u64::from(s.header_size) + s.body_size).unwrap_or(u32::MAX),
            });
            if recent {
                self.dirty = true;
            }
        }
    }

    /// Ends a scan that took in `new` messages (c-client's end of `unix_parse`): a mailbox
    /// still without UIDVALIDITY gets one, and its UIDs will be written.
    fn finish_scan(&mut self, new: usize, cfg: &StoreConfig, warnings: &mut Vec<(Level, String)>) {
        let sticky = cfg.uids == UidMode::Sticky;
        if self.uid_validity == 0 {
            self.uid_validity = clock::next_uid_validity(self.old_validity);
            if sticky && new > 0 {
                self.dirty = true;
                self.ddirty = true;
                self.base_dirty = true;
                if let Some(m) = self.msgs.first_mut() {
                    m.dirty = true;
                }
                warnings.push((
                    Level::Info,
                    "Assigning new unique identifiers to all messages".into(),
                ));
            }
        }
    }

    /// The next UID (c-client's `++uid_last`).
    fn next_uid(&mut self) -> u32 {
        self.uid_last = self.uid_last.saturating_add(1);
        self.prev_uid = self.uid_last;
        self.uid_last
    }
}

impl UnixMailbox {
    /// Brings the session up to date with the file, under a lock of strength `share`.
    pub(crate) fn refresh(&mut self, share: Share) -> Result<()> {
        // Nothing changed since we looked: no need to lock anything (c-client's ping
        // compares sizes first too).
        if self.stamp.is_some() && self.pending_journals().is_empty() {
            let meta = self.file.metadata().ctx("stat", &self.path)?;
            if Some(Stamp::of(&meta)) == self.stamp {
                return Ok(());
            }
        }
        let guard = self.lock_and_refresh(share)?;
        drop(guard);
        Ok(())
    }

    /// Locks the file (exclusively if a journal is waiting, which is then dealt with first)
    /// and brings the session up to date; every operation that reads or changes the file
    /// starts here.
    pub(crate) fn lock_and_refresh(&mut self, share: Share) -> Result<Locked> {
        if self.broken {
            return Err(Error::ChangedUnderneath {
                what: "an earlier change to the mailbox failed; it must be opened again".into(),
            });
        }
        let pending = self.pending_journals();
        let guard = self.lock_file(if pending.is_empty() {
            share
        } else {
            Share::Exclusive
        })?;
        for place in &pending {
            self.recover(place)?;
        }
        self.refresh_locked()?;
        Ok(guard)
    }

    /// The journals left for this mailbox, wherever ours may be.
    fn pending_journals(&self) -> Vec<JournalPlace> {
        self.cfg
            .journal_dirs()
            .iter()
            .map(|d| JournalPlace::new(d, self.id))
            .filter(|p| p.path.exists())
            .collect()
    }

    /// As [`refresh`](Self::refresh), with the file already locked.
    pub(crate) fn refresh_locked(&mut self) -> Result<()> {
        let meta = self.file.metadata().ctx("stat", &self.path)?;
        let stamp = Stamp::of(&meta);
        if Some(stamp) == self.stamp {
            return Ok(());
        }
        let len = meta.len();
        let parsed = self.model.parsed_len;
        let first = self.stamp.is_none();
        if first {
            match super::index::load(&self.cfg, &meta).filter(|m| self.cache_fits(m)) {
                Some(model) => self.model = model,
                None => {
                    self.scan_more(len, TrustUids::Yes)?;
                    super::index::save(&self.cfg, &meta, &self.model);
                }
            }
        } else if self.access == Access::ReadWrite {
            if len < parsed {
                return Err(Error::Shrank {
                    expected: parsed,
                    found: len,
                });
            }
            // Others may only append while we hold the mailbox; a program that ignores the
            // instance lock (mutt, an editor) may have rewritten it instead.
            let ends = [self.model.msgs.first(), self.model.msgs.last()];
            if ends.iter().flatten().any(|m| !self.message_in_place(m)) {
                return Err(Error::ChangedUnderneath {
                    what: "the mailbox was rewritten by another program".into(),
                });
            }
            if len > parsed {
                self.scan_more(len, TrustUids::NewMail)?;
            }
        } else {
            let grew_only = len > parsed && self.last_message_in_place();
            if !(grew_only && self.scan_more(len, TrustUids::Yes).is_ok()) {
                self.reparse_all(len)?;
            }
        }
        self.stamp = Some(stamp);
        Ok(())
    }

    /// Scans the file from where the session stopped up to `to`, taking in new messages.
    pub(crate) fn scan_more(&mut self, to: u64, trust: TrustUids) -> Result<()> {
        let from = self.model.parsed_len;
        let before = self.model.msgs.len();
        let first = self.stamp.is_none();
        let mut warnings: Vec<(Level, String)> = Vec::new();
        let cfg = Arc::clone(&self.cfg);
        let model = &mut self.model;
        let scanned = scan_file(
            &self.file,
            from,
            to,
            &cfg,
            Framing::of(self.format),
            &mut |batch, found| {
                warnings.extend(found.into_iter().map(|w| (Level::Warn, w)));
                model.ingest(batch, trust, &cfg, &mut warnings);
            },
        );
        scanned.map_err(|e| match e {
            ScanFailure::Io(e) => Error::io("read", &self.path, e),
            ScanFailure::Format(
                ScanError::NoFromLine { excerpt, .. } | ScanError::NoDelimiter { excerpt, .. },
            ) if from > 0 => Error::ChangedUnderneath {
                what: format!("new data starts {excerpt:?}"),
            },
            ScanFailure::Format(ScanError::NoFromLine { offset, excerpt }) => Error::Corrupt {
                path: self.path.clone(),
                offset,
                what: format!("not a From line: {excerpt:?}"),
            },
            ScanFailure::Format(ScanError::NoDelimiter { offset, excerpt }) => Error::Corrupt {
                path: self.path.clone(),
                offset,
                what: format!("not an MMDF delimiter: {excerpt:?}"),
            },
        })?;
        let new = self.model.msgs.len() - before;
        self.model.finish_scan(new, &cfg, &mut warnings);
        self.model.opened = true;
        self.model.parsed_len = to;
        for (level, text) in warnings {
            self.cfg.notify.notice(level, &text);
        }
        if new > 0 && !first {
            self.pending
                .push(Change::Exists(self.model.infos.len() as u32));
            self.pending.push(Change::Recent(self.recent_count()));
        }
        Ok(())
    }

    /// Reads the whole file afresh (another process rewrote it) and reports the difference
    /// by UID.
    fn reparse_all(&mut self, len: u64) -> Result<()> {
        let old = std::mem::take(&mut self.model);
        self.model.old_validity = old.uid_validity;
        let saved_stamp = self.stamp.take();
        if let Err(e) = self.scan_more(len, TrustUids::Yes) {
            self.model = old;
            self.stamp = saved_stamp;
            return Err(e);
        }
        self.pending
            .retain(|c| !matches!(c, Change::Exists(_) | Change::Recent(_)));
        if self.model.uid_validity != old.uid_validity {
            let what = "UIDVALIDITY changed".to_owned();
            self.model = old;
            self.stamp = saved_stamp;
            return Err(Error::ChangedUnderneath { what });
        }
        let now: HashMap<Uid, usize> = self
            .model
            .infos
            .iter()
            .enumerate()
            .map(|(i, m)| (m.uid, i))
            .collect();
        let mut removed = 0;
        let mut survivors = Vec::new();
        for (i, m) in old.infos.iter().enumerate() {
            match now.get(&m.uid) {
                None => {
                    if let Some(seq) = SeqNo::from_index(i - removed) {
                        self.pending.push(Change::Expunged(seq));
                    }
                    removed += 1;
                }
                Some(&j) => survivors.push((i - removed, j, m)),
            }
        }
        // Messages that appeared between known ones cannot be told to a client in place.
        let in_order = survivors.iter().enumerate().all(|(k, &(_, j, _))| k == j);
        if !in_order {
            self.model = old;
            self.stamp = saved_stamp;
            return Err(Error::ChangedUnderneath {
                what: "messages were reordered".into(),
            });
        }
        for &(seq, j, m) in &survivors {
            // \Recent belongs to the session: it keeps what it had.
            let n = &mut self.model.infos[j];
            n.flags = n
                .flags
                .minus(Flags::RECENT)
                .union(m.flags.intersect(Flags::RECENT));
            let n = &self.model.infos[j];
            if (n.flags != m.flags || n.keywords != m.keywords)
                && let Some(seq) = SeqNo::from_index(seq)
            {
                self.pending.push(Change::Flags(seq));
            }
        }
        if self.model.infos.len() > survivors.len() {
            self.pending
                .push(Change::Exists(self.model.infos.len() as u32));
            self.pending.push(Change::Recent(self.recent_count()));
        }
        Ok(())
    }

    /// Whether a cached model agrees with the file where it is cheap to look: the first
    /// and last messages' `From ` lines.
    fn cache_fits(&self, m: &Model) -> bool {
        let ok = |msg: Option<&Msg>| msg.is_none_or(|x| self.message_in_place(x));
        ok(m.msgs.first()) && ok(m.msgs.last())
    }

    /// Saves the cache of this session's view, if it says what the file says.
    pub(crate) fn save_index(&self) {
        if let Ok(meta) = self.file.metadata()
            && Some(Stamp::of(&meta)) == self.stamp
        {
            super::index::save(&self.cfg, &meta, &self.model);
        }
    }

    /// Whether the last message's `From ` line is still where it was.
    fn last_message_in_place(&self) -> bool {
        match self.model.msgs.last() {
            None => self.model.parsed_len == 0 && self.model.pseudo.is_none(),
            Some(m) => self.message_in_place(m),
        }
    }

    fn message_in_place(&self, m: &Msg) -> bool {
        let mut buf = vec![0u8; m.from_len as usize];
        if self.file.read_exact_at(&mut buf, m.start).is_err()
            || format::line_hash(&buf) != m.from_hash
        {
            return false;
        }
        match Framing::of(self.format) {
            Framing::FromLine => format::from_line(&buf).is_some(),
            Framing::Mmdf => buf
                .strip_prefix(MMDF_DELIMITER)
                .is_some_and(|l| l.is_empty() || format::from_line(l).is_some()),
        }
    }

    pub(crate) fn recent_count(&self) -> u32 {
        self.model
            .infos
            .iter()
            .filter(|m| m.flags.contains(Flags::RECENT))
            .count() as u32
    }

    /// Finishes or undoes what a dead process left half-done (the file is locked
    /// exclusively). Rewrite journals are acted on only by a holder of the instance lock
    /// (this session's, or one borrowed for the purpose) whose lock file carries their
    /// token.
    fn recover(&mut self, place: &JournalPlace) -> Result<()> {
        let mut borrowed = None;
        let holder = match &self.instance {
            Some(lock) => Holder::Lock(lock.token()),
            None => match InstanceLock::acquire(
                &self.cfg.locks.tmp_dir,
                self.id,
                Share::Exclusive,
                Wait::NoWait,
                &*self.cfg.notify,
            )? {
                Attempt::Locked(lock) => {
                    let h = Holder::Lock(lock.token());
                    borrowed = Some(lock);
                    h
                }
                Attempt::Busy { .. } => Holder::Outside,
            },
        };
        let writable;
        let file = match self.access {
            Access::ReadWrite => &self.file,
            Access::ReadOnly => match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.path)
            {
                Ok(f) => {
                    writable = f;
                    &writable
                }
                Err(e) => {
                    self.cfg.notify.notice(
                        Level::Warn,
                        &format!("Mailbox needs repair by its owner (interrupted change): {e}"),
                    );
                    return Ok(());
                }
            },
        };
        let done = journal::recover(file, &self.path, place, holder, &*self.cfg.notify)?;
        if matches!(done, Recovery::RewriteFinished | Recovery::Discarded) {
            // The journal is gone: its token is no longer needed.
            if let Some(lock) = self.instance.as_mut().or(borrowed.as_mut())
                && lock.token().is_some()
            {
                lock.set_token(None)?;
            }
        }
        if done == Recovery::Pending && self.access == Access::ReadWrite {
            return Err(Error::Lock {
                path: place.path.clone(),
                what: "an interrupted change to this mailbox cannot be finished by this process"
                    .into(),
            });
        }
        Ok(())
    }

    /// Reads part of message `seq`.
    pub(crate) fn read_part(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        let i = seq.index();
        let m = *self
            .model
            .msgs
            .get(i)
            .ok_or(Error::NoSuchMessage(seq.get()))?;
        if self.access == Access::ReadOnly {
            // Another process may have rewritten the file since we read it (a writer holds
            // the file's flock exclusively while it does): then where this message's
            // header and body are is read afresh from the file.
            let _guard = self.flock_file(Share::Shared)?;
            let meta = self.file.metadata().ctx("stat", &self.path)?;
            if Some(Stamp::of(&meta)) != self.stamp {
                let uid = self.model.infos[i].uid;
                let fresh = self.layout_at(&m, uid, meta.len())?;
                return self.read_msg(&fresh, part);
            }
        }
        self.read_msg(&m, part)
    }

    /// Where message `m` (with UID `uid`) lies now, read from the file: its `From ` line
    /// must still be at its offset, and its `X-UID:` (if it has one) must still be `uid`.
    fn layout_at(&self, m: &Msg, uid: crate::types::Uid, len: u64) -> Result<Msg> {
        let moved = || Error::ChangedUnderneath {
            what: "the message was moved or removed by another session".into(),
        };
        if !self.message_in_place(m) {
            return Err(moved());
        }
        let mut found = None;
        let scanned = scan_file(
            &self.file,
            m.start,
            len,
            &self.cfg,
            Framing::of(self.format),
            &mut |batch, _| {
                if found.is_none() {
                    found = batch.into_iter().next();
                }
            },
        );
        scanned.map_err(|_| moved())?;
        let s = found.ok_or_else(moved)?;
        if s.uids
            .first()
            .is_some_and(|&(v, _)| v != u64::from(uid.get()))
        {
            return Err(moved());
        }
        Ok(Msg {
            header_len: s.header_len,
            kept_len: s.kept_len,
            body_len: s.body_len,
            sep_len: s.sep_len,
            ..*m
        })
    }

    fn read_msg(&self, m: &Msg, part: Part) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        if part != Part::Text {
            let mut h = vec![0u8; m.header_len as usize];
            self.file
                .read_exact_at(&mut h, m.start + u64::from(m.from_len))
                .ctx("read", &self.path)?;
            for r in format::kept_runs(&h) {
                format::to_crlf(&h[r], &mut out);
            }
            if has_blank_line(&h) {
                out.extend_from_slice(b"\r\n");
            }
        }
        if part != Part::Header {
            let mut b = vec![0u8; m.body_len as usize];
            self.file
                .read_exact_at(&mut b, m.body_start())
                .ctx("read", &self.path)?;
            format::to_crlf(&b, &mut out);
        }
        Ok(out)
    }

    /// Writes pending changes (c-client's checkpoint): flags, `\Recent` taken, UIDs.
    pub(crate) fn checkpoint(&mut self) -> Result<()> {
        if self.access != Access::ReadWrite {
            return Ok(());
        }
        let guard = self.lock_and_refresh(Share::Exclusive)?;
        let r = if self.model.dirty || self.model.ddirty || self.model.base_dirty {
            self.rewrite(None).map(|_| ())
        } else {
            Ok(())
        };
        drop(guard);
        r
    }

    /// Rewrites the file to match the session, leaving out the messages `expunge` picks;
    /// returns the sequence numbers removed. The file is locked exclusively and refreshed.
    pub(crate) fn rewrite(
        &mut self,
        expunge: Option<&dyn Fn(&MessageInfo) -> bool>,
    ) -> Result<Vec<SeqNo>> {
        let sticky = self.cfg.uids == UidMode::Sticky;
        let framing = Framing::of(self.format);
        let file_len = self.stamp.map_or(self.model.parsed_len, |s| s.len);
        let mut plan = Plan::new(file_len);
        let mut gone = Vec::new();
        let survivors: Vec<bool> = self
            .model
            .infos
            .iter()
            .map(|m| !expunge.is_some_and(|f| f(m)))
            .collect();
        let any_left = survivors.iter().any(|&k| k);
        let keep_pseudo = sticky && (self.model.pseudo.is_some() || !any_left);
        let table: Vec<String> = self.model.keywords.iter().map(|k| k.to_string()).collect();
        let mut at: u64 = 0;
        let mut new_pseudo = None;
        if keep_pseudo {
            match self.model.pseudo {
                Some(end) if !self.model.base_dirty => at = end,
                _ => {
                    let mut p = Vec::new();
                    format::write_pseudo_message(
                        &mut p,
                        &clock::now(&self.cfg.tz),
                        &self.cfg.hostname,
                        self.model.uid_validity,
                        self.model.uid_last,
                        &table,
                        PseudoKind::Rewrite,
                    );
                    format::frame_pseudo(&mut p, framing);
                    plan.write(0, &p);
                    at = p.len() as u64;
                }
            }
            new_pseudo = Some(at);
        }
        let mut new_msgs = Vec::with_capacity(self.model.msgs.len());
        let mut new_infos = Vec::with_capacity(self.model.infos.len());
        let mut block = Vec::with_capacity(128);
        let mut first_kept = true;
        let mut header = Vec::new();
        let mut size_grew = Vec::new();
        let last = self.model.msgs.len().saturating_sub(1);
        for (i, (m, info)) in self.model.msgs.iter().zip(&self.model.infos).enumerate() {
            if !survivors[i] {
                let removed = gone.len();
                if let Some(seq) = SeqNo::from_index(i - removed) {
                    gone.push(seq);
                }
                continue;
            }
            let carries_base = sticky && first_kept && !keep_pseudo;
            first_kept = false;
            block.clear();
            let uid_lines = if !sticky {
                UidLines::None
            } else if carries_base {
                UidLines::UidAndBase {
                    uid: info.uid.get(),
                    validity: self.model.uid_validity,
                    last: self.model.uid_last,
                    table: &table,
                }
            } else {
                UidLines::Uid(info.uid.get())
            };
            let recent = info.flags.contains(Flags::RECENT);
            // A session that only appends leaves new mail new for the next reader.
            let claim_recent = recent && self.quiet == Quiet::No;
            let write_old = !recent || claim_recent;
            format::write_status_block(
                &mut block,
                info.flags,
                info.keywords
                    .iter()
                    .filter_map(|k| table.get(k).map(String::as_str)),
                uid_lines,
                if write_old {
                    OldMark::Write
                } else {
                    OldMark::Omit
                },
            );
            let had_base = self.model.base_holder == Some(info.uid);
            let base_ok = if carries_base {
                had_base && !self.model.base_dirty
            } else {
                !had_base
            };
            let regen = m.dirty
                || (claim_recent && !m.old_on_disk)
                || !base_ok
                || u64::from(m.header_len) != u64::from(m.kept_len) + block.len() as u64;
            let ends_lf = m.sep_len > 0 || i < last || self.body_ends_lf(m)?;
            let mut n = *m;
            n.start = at;
            n.dirty = false;
            if regen {
                n.old_on_disk = write_old;
            }
            if regen {
                header.resize(m.header_len as usize, 0);
                self.file
                    .read_exact_at(&mut header, m.start + u64::from(m.from_len))
                    .ctx("read", &self.path)?;
                plan.move_range(m.start, at, u64::from(m.from_len));
                at += u64::from(m.from_len);
                let hstart = m.start + u64::from(m.from_len);
                let mut kept: u64 = 0;
                let mut last_kept_lf = true;
                for r in format::kept_runs(&header) {
                    plan.move_range(hstart + r.start as u64, at, r.len() as u64);
                    at += r.len() as u64;
                    kept += r.len() as u64;
                    last_kept_lf = header[r.end - 1] == b'\n';
                }
                if !last_kept_lf {
                    plan.write(at, b"\n");
                    at += 1;
                    kept += 1;
                }
                plan.write(at, &block);
                at += block.len() as u64;
                n.kept_len = kept as u32;
                n.header_len = (kept + block.len() as u64) as u32;
                plan.move_range(m.body_start(), at, m.body_len + u64::from(m.sep_len));
                at += m.body_len + u64::from(m.sep_len);
            } else {
                plan.move_range(m.start, at, m.end() - m.start);
                at += m.end() - m.start;
            }
            if framing == Framing::Mmdf {
                // A message cut short at the end of the file gets its closing delimiter.
                if m.sep_len == 0 {
                    if !self.body_ends_lf(m)? {
                        plan.write(at, b"\n");
                        at += 1;
                        n.body_len += 1;
                        size_grew.push(i);
                    }
                    plan.write(at, MMDF_DELIMITER);
                    at += MMDF_DELIMITER.len() as u64;
                    n.sep_len = MMDF_DELIMITER.len() as u8;
                }
            } else if m.sep_len == 0 && ends_lf && i < last {
                plan.write(at, b"\n");
                at += 1;
                n.sep_len = 1;
            } else if !ends_lf {
                // The last message of the file ends without a newline: c-client's rewrite
                // adds one, and delivery agents count on it (they write "From " next).
                plan.write(at, b"\n");
                at += 1;
                n.body_len += 1;
                size_grew.push(i);
            }
            new_msgs.push(n);
            let mut info = info.clone();
            if size_grew.last() == Some(&i) {
                info.size = info.size.saturating_add(2);
            }
            new_infos.push(info);
        }
        plan.final_len = at;
        let token = journal::new_token();
        if let Some(lock) = self.instance.as_mut() {
            lock.set_token(Some(token))?;
        }
        let place = JournalPlace::new(&self.cfg.journal_dir(), self.id);
        if let Err(e) = journal::rewrite(&self.file, &self.path, &plan, &place, token) {
            // The file may be half-changed: only a recovery (at the next open) may touch it.
            if place.path.exists() {
                self.broken = true;
            } else if let Some(lock) = self.instance.as_mut() {
                lock.set_token(None)?;
            }
            return Err(e);
        }
        if let Some(lock) = self.instance.as_mut() {
            lock.set_token(None)?;
        }
        self.model.base_holder = if keep_pseudo || !sticky {
            None
        } else {
            new_infos.first().map(|m| m.uid)
        };
        self.model.msgs = new_msgs;
        self.model.infos = new_infos;
        self.model.pseudo = new_pseudo;
        self.model.parsed_len = at;
        self.model.dirty = false;
        self.model.ddirty = false;
        self.model.base_dirty = false;
        mark_read(&self.file);
        let meta = self.file.metadata().ctx("stat", &self.path)?;
        self.stamp = Some(Stamp::of(&meta));
        super::index::save(&self.cfg, &meta, &self.model);
        Ok(gone)
    }

    fn body_ends_lf(&self, m: &Msg) -> Result<bool> {
        if m.body_len == 0 {
            return Ok(true);
        }
        let mut b = [0u8; 1];
        self.file
            .read_exact_at(&mut b, m.body_start() + m.body_len - 1)
            .ctx("read", &self.path)?;
        Ok(b[0] == b'\n')
    }

    /// Looks for changes by others; writes newly assigned UIDs; lets go of the mailbox when
    /// asked.
    pub(crate) fn poll_changes(&mut self) -> Result<Vec<Change>> {
        if self.access == Access::ReadWrite && self.kiss_of_death() {
            self.let_go()?;
            self.pending.push(Change::LostWriteAccess);
        }
        self.refresh(Share::Shared)?;
        if self.access == Access::ReadWrite && self.model.ddirty {
            self.checkpoint()?;
        }
        Ok(std::mem::take(&mut self.pending))
    }
}

impl UnixMailbox {
    /// Changes flags and keywords in memory; they reach the file at the next checkpoint.
    pub(crate) fn change_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()> {
        if self.access != Access::ReadWrite {
            return Err(Error::ReadOnly);
        }
        for s in seqs {
            if s.index() >= self.model.infos.len() {
                return Err(Error::NoSuchMessage(s.get()));
            }
        }
        let mut set = KeywordSet::EMPTY;
        for k in keywords {
            let i = match self.model.keywords.iter().position(|t| t == k) {
                Some(i) => i,
                None if self.cfg.uids == UidMode::Disabled => continue,
                None if self.model.keywords.len() < MAX_KEYWORDS => {
                    self.model.keywords.push(k.clone());
                    self.model.base_dirty = true;
                    self.model.dirty = true;
                    self.model.keywords.len() - 1
                }
                None => {
                    return Err(Error::TooManyKeywords {
                        limit: MAX_KEYWORDS,
                    });
                }
            };
            set.insert(i);
        }
        let flags = flags.intersect(Flags::SETTABLE);
        for s in seqs {
            let i = s.index();
            let info = &mut self.model.infos[i];
            let (nf, nk) = match op {
                FlagOp::Replace => (flags.union(info.flags.intersect(Flags::RECENT)), set),
                FlagOp::Add => (info.flags.union(flags), info.keywords.union(set)),
                FlagOp::Remove => (info.flags.minus(flags), info.keywords.minus(set)),
            };
            if nf != info.flags || nk != info.keywords {
                info.flags = nf;
                info.keywords = nk;
                self.model.msgs[i].dirty = true;
                self.model.dirty = true;
            }
        }
        Ok(())
    }
}

/// Whether a stored header ends with its empty line (it may run to the end of the file).
fn has_blank_line(h: &[u8]) -> bool {
    h.ends_with(b"\n\n")
        || h.ends_with(b"\r\n\r\n")
        || h == b"\n"
        || h == b"\r\n"
        || h.ends_with(b"\n\r\n")
}

/// Marks a mailbox as read: c-client sets atime to now and mtime just before it, so that
/// "new mail" (atime older than mtime) is cleared.
pub(crate) fn mark_read(file: &File) {
    let now = SystemTime::now();
    let times = FileTimes::new()
        .set_accessed(now)
        .set_modified(now - Duration::from_secs(1));
    let _ = file.set_times(times);
}

/// Marks a mailbox as having new mail: mtime now, atime just before.
pub(crate) fn mark_new_mail(file: &File) {
    let now = SystemTime::now();
    let times = FileTimes::new()
        .set_accessed(now - Duration::from_secs(1))
        .set_modified(now);
    let _ = file.set_times(times);
}

/// Why scanning a file failed.
#[derive(Debug)]
pub(crate) enum ScanFailure {
    Io(std::io::Error),
    Format(ScanError),
}

/// Scans `file` from `from` to `to` in bounded memory, handing over the messages (and
/// warnings) found after each window.
pub(crate) fn scan_file(
    file: &File,
    from: u64,
    to: u64,
    cfg: &StoreConfig,
    framing: Framing,
    each: &mut dyn FnMut(Vec<Scanned>, Vec<String>),
) -> std::result::Result<(), ScanFailure> {
    let mut scanner = Scanner::with_framing(from, cfg.tz.clone(), framing);
    if to <= from {
        return Ok(());
    }
    let window = SCAN_WINDOW.min((to - from) as usize).max(64);
    let mut buf = vec![0u8; window];
    let mut filled = 0usize;
    let mut pos = from;
    let fd = std::os::fd::AsFd::as_fd(file);
    let advise = |at: u64, len: u64, how| {
        let _ = nix::fcntl::posix_fadvise(fd, at as i64, len as i64, how);
    };
    advise(
        from,
        to - from,
        nix::fcntl::PosixFadviseAdvice::POSIX_FADV_SEQUENTIAL,
    );
    let mut out = Vec::new();
    loop {
        while filled < buf.len() && pos + (filled as u64) < to {
            let at = pos + filled as u64;
            let want = (buf.len() - filled).min((to - at) as usize);
            match file.read_at(&mut buf[filled..filled + want], at) {
                Ok(0) => break,
                Ok(n) => {
                    filled += n;
                    // Have the kernel fetch what comes next while this window is scanned.
                    let ahead = at + n as u64;
                    if ahead < to {
                        let len = (2 * window as u64).min(to - ahead);
                        advise(
                            ahead,
                            len,
                            nix::fcntl::PosixFadviseAdvice::POSIX_FADV_WILLNEED,
                        );
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ScanFailure::Io(e)),
            }
        }
        let eof = pos + filled as u64 >= to || filled < buf.len();
        let used = scanner
            .feed(&buf[..filled], eof, &mut out)
            .map_err(ScanFailure::Format)?;
        each(std::mem::take(&mut out), scanner.take_warnings());
        pos += used as u64;
        if eof && used == filled {
            break;
        }
        if used == 0 && filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        buf.copy_within(used..filled, 0);
        filled -= used;
        if eof && used == 0 {
            // The scanner needs more than the file has; it has been told it is the end.
            break;
        }
    }
    Ok(())
}
