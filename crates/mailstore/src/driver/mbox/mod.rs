//! The `mbox` arrangement: INBOX is `~/mbox`, and new mail is moved there from the spool.
//!
//! When `~/mbox` exists (in UNIX format, or empty) and the spool file is a UNIX mailbox,
//! empty or missing, INBOX is `~/mbox` (FAQ 7.6, 7.7). A read-write session moves the
//! spool's contents to the end of `~/mbox` when it opens and then every snarf interval (60
//! seconds): under the spool's dot-lock and an exclusive `flock`, the spool bytes are
//! appended raw to `~/mbox`, synced, and the spool is emptied — unless its size changed
//! meanwhile, in which case the copy is taken back. The first move of a session is logged
//! as c-client does: `Moved N bytes of new mail to <mbox> from <spool>`.
//!
//! `~/mbox` is otherwise an ordinary UNIX mailbox, opened by the `unix` driver.
//!
//! Source: panda-inventory.md §3.2; c-client `unix.c` (`mbox_*`).

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::config::{Format, StoreConfig};
use crate::driver::unix::open::{Sniff, sniff};
use crate::driver::unix::sync::TrustUids;
use crate::driver::unix::{Quiet, UnixMailbox};
use crate::error::{IoContext, Result};
use crate::journal::{self, JournalPlace};
use crate::lock::dotlock::{DotLock, DotLockOutcome};
use crate::lock::instance::Share;
use crate::mailbox::{
    AppendMessage, AppendOutcome, Change, Close, ExpungeScope, FlagOp, Mailbox, Part,
};
use crate::notify::Level;
use crate::types::{Access, Flags, Keyword, MessageInfo, SeqNo, Uid, UidValidity};

/// INBOX as `~/mbox`, fed from the spool.
#[derive(Debug)]
pub struct MboxMailbox {
    inner: UnixMailbox,
    spool: PathBuf,
    last_snarf: Option<Instant>,
    moved_once: bool,
}

impl MboxMailbox {
    pub(crate) fn open(
        cfg: Arc<StoreConfig>,
        mbox: &Path,
        spool: &Path,
        access: Access,
    ) -> Result<Self> {
        let inner = UnixMailbox::open(cfg, "INBOX", mbox, Format::Mbox, access, Quiet::No)?;
        let mut mb = MboxMailbox {
            inner,
            spool: spool.to_owned(),
            last_snarf: None,
            moved_once: false,
        };
        mb.snarf()?;
        mb.inner.take_pending();
        Ok(mb)
    }

    /// Moves new mail from the spool, if it is time to.
    fn snarf(&mut self) -> Result<()> {
        if self.inner.access_mode() != Access::ReadWrite {
            return Ok(());
        }
        let cfg = self.inner.config();
        if self
            .last_snarf
            .is_some_and(|t| t.elapsed() < cfg.snarf_interval)
        {
            return Ok(());
        }
        self.last_snarf = Some(Instant::now());
        match std::fs::metadata(&self.spool) {
            Ok(m) if m.len() > 0 => {}
            _ => return Ok(()),
        }
        let spool = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.spool)
            .ctx("open", &self.spool)?;
        let _dot = match DotLock::acquire(&self.spool, &cfg.locks, &*cfg.notify)? {
            DotLockOutcome::Held(l) => Some(l),
            DotLockOutcome::Unavailable => None,
        };
        spool.lock().ctx("flock", &self.spool)?;
        let r = self.move_mail(&spool, &cfg);
        let _ = spool.unlock();
        r
    }

    fn move_mail(&mut self, spool: &std::fs::File, cfg: &StoreConfig) -> Result<()> {
        let size = spool.metadata().ctx("stat", &self.spool)?.len();
        if size == 0 {
            return Ok(());
        }
        if sniff(&self.spool).ctx("read", &self.spool)? != Sniff::Unix {
            cfg.notify.notice(
                Level::Error,
                &format!(
                    "Mail drop {} is not in standard Unix format",
                    self.spool.display()
                ),
            );
            return Ok(());
        }
        let mut data = vec![0u8; size as usize];
        spool.read_exact_at(&mut data, 0).ctx("read", &self.spool)?;
        let guard = self.inner.lock_and_refresh(Share::Exclusive)?;
        let (file, path, id) = self.inner.file_parts();
        let at = file.metadata().ctx("stat", path)?.len();
        let mut prefix = Vec::new();
        if at > 0 {
            let mut last = [0u8; 1];
            file.read_exact_at(&mut last, at - 1).ctx("read", path)?;
            if last[0] != b'\n' {
                prefix.push(b'\n');
            }
        }
        prefix.extend_from_slice(&data);
        let place = JournalPlace::new(&cfg.journal_dir(), id);
        journal::begin_append(at, &prefix[..prefix.len().min(64 << 10)], &place)?;
        journal::note_append_end(&place, at + prefix.len() as u64)?;
        let written = file
            .write_all_at(&prefix, at)
            .and_then(|()| file.sync_data());
        let now_size = spool.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        if written.is_err() || now_size != size {
            let _ = file.set_len(at);
            let _ = file.sync_all();
            journal::end_append(&place);
            let text = match written {
                Err(e) => format!("New mail move failed: {e}"),
                Ok(()) => format!(
                    "Mail drop {} lock failure, old={size} now={now_size}",
                    self.spool.display()
                ),
            };
            cfg.notify.notice(Level::Error, &text);
            return Ok(());
        }
        journal::end_append(&place);
        spool.set_len(0).ctx("truncate", &self.spool)?;
        let _ = spool.sync_all();
        if !self.moved_once {
            self.moved_once = true;
            cfg.notify.notice(
                Level::Info,
                &format!(
                    "Moved {} bytes of new mail to {} from {}",
                    data.len(),
                    path.display(),
                    self.spool.display()
                ),
            );
        }
        let end = at + prefix.len() as u64;
        self.inner.scan_more(end, TrustUids::NewMail)?;
        self.inner.restamp()?;
        drop(guard);
        Ok(())
    }
}

impl Mailbox for MboxMailbox {
    fn name(&self) -> &str {
        "INBOX"
    }

    fn format(&self) -> Format {
        Format::Mbox
    }

    fn access(&self) -> Access {
        self.inner.access()
    }

    fn uid_validity(&self) -> UidValidity {
        self.inner.uid_validity()
    }

    fn uid_next(&self) -> Uid {
        self.inner.uid_next()
    }

    fn keywords(&self) -> &[Keyword] {
        self.inner.keywords()
    }

    fn can_create_keywords(&self) -> bool {
        self.inner.can_create_keywords()
    }

    fn messages(&self) -> &[MessageInfo] {
        self.inner.messages()
    }

    fn fetch(&mut self, seq: SeqNo, part: Part) -> Result<Vec<u8>> {
        self.inner.fetch(seq, part)
    }

    fn set_flags(
        &mut self,
        seqs: &[SeqNo],
        op: FlagOp,
        flags: Flags,
        keywords: &[Keyword],
    ) -> Result<()> {
        self.inner.set_flags(seqs, op, flags, keywords)
    }

    fn expunge(&mut self, scope: ExpungeScope<'_>) -> Result<Vec<SeqNo>> {
        let gone = self.inner.expunge(scope)?;
        self.snarf()?;
        Ok(gone)
    }

    fn append(
        &mut self,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        self.inner.append(msgs)
    }

    fn check(&mut self) -> Result<()> {
        self.snarf()?;
        self.inner.check()
    }

    fn poll(&mut self) -> Result<Vec<Change>> {
        self.snarf()?;
        self.inner.poll()
    }

    fn close(self: Box<Self>, how: Close) -> Result<()> {
        Box::new(self.inner).close(how)
    }

    fn derived(&self, kind: &str) -> crate::derived::Derived {
        self.inner.derived(kind)
    }

    fn asked_to_let_go(&self) -> bool {
        self.inner.asked_to_let_go()
    }
}
