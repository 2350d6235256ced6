//! Moving new mail from the system spool into an INBOX kept in a home-directory format
//! (FAQ 4.5: with `~/INBOX` in mix, mbx, tenex or mtx, the delivery agent still writes
//! the spool file, and the session moves what it finds there).
//!
//! As c-client's `*_snarf` routines do: the spool is opened read-write as the mailbox it
//! is, UNIX or MMDF (c-client opens it by name, whatever driver takes it), quietly: no kiss of death; if another process has it, nothing is moved this time),
//! its messages are appended to INBOX with their flags, keywords and dates, and only once
//! the append has succeeded are they deleted from the spool. A failure leaves the mail in
//! the spool, never in neither place; a crash between the two steps can leave it in both.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::config::StoreConfig;
use crate::driver::spool_format;
use crate::driver::unix::{Quiet, UnixMailbox};
use crate::error::{Error, Result};
use crate::mailbox::{AppendMessage, AppendOutcome, Close, ExpungeScope, FlagOp, Mailbox, Part};
use crate::notify::Level;
use crate::types::{Access, Flags, SeqNo, Status, Uid};

/// How [`from_spool`] adds messages to INBOX: the driver's own append.
pub(crate) type AppendTo<'a> =
    dyn FnMut(&mut dyn Iterator<Item = Result<AppendMessage>>) -> Result<AppendOutcome> + 'a;

/// When a session last looked at the spool, so it looks once per snarf interval.
#[derive(Debug, Default)]
pub(crate) struct Snarfer {
    last: Option<Instant>,
}

impl Snarfer {
    /// Whether it is time to look at the spool again (always, the first time).
    pub(crate) fn due(&mut self, cfg: &StoreConfig) -> bool {
        if self.last.is_some_and(|t| t.elapsed() < cfg.snarf_interval) {
            return false;
        }
        self.last = Some(Instant::now());
        true
    }
}

/// Moves the messages of spool file `spool` through `append` (which adds them to INBOX);
/// returns how many moved. An empty, missing or busy spool moves nothing; a spool that
/// is neither a UNIX nor an MMDF mailbox is left alone with a notice.
pub(crate) fn from_spool(
    cfg: &Arc<StoreConfig>,
    spool: &Path,
    append: &mut AppendTo<'_>,
) -> Result<u32> {
    match std::fs::metadata(spool) {
        Ok(m) if m.is_file() && m.len() > 0 => {}
        _ => return Ok(0),
    }
    let format = match spool_format(spool) {
        Ok(Some(format)) => format,
        Ok(None) => {
            cfg.notify.notice(
                Level::Error,
                &format!(
                    "Mail drop {} is not in standard Unix format",
                    spool.display()
                ),
            );
            return Ok(0);
        }
        Err(_) => return Ok(0),
    };
    let mut mb = match UnixMailbox::open(
        Arc::clone(cfg),
        "INBOX",
        spool,
        format,
        Access::ReadWrite,
        Quiet::Yes,
    ) {
        Ok(mb) => mb,
        Err(Error::Lock { .. }) => return Ok(0),
        Err(e) => return Err(e),
    };
    if mb.access() != Access::ReadWrite || mb.messages().is_empty() {
        mb_close(mb)?;
        return Ok(0);
    }
    let n = mb.messages().len() as u32;
    let table = mb.keywords().to_vec();
    {
        let mut next = 1..=n;
        let mb_ref: &mut UnixMailbox = &mut mb;
        let mut msgs = std::iter::from_fn(|| {
            let i = next.next()?;
            let seq = SeqNo::new(i)?;
            let info = mb_ref.messages().get(seq.index()).cloned()?;
            Some(mb_ref.fetch(seq, Part::Whole).map(|data| {
                AppendMessage {
                    data,
                    flags: info.flags.intersect(Flags::SETTABLE),
                    keywords: info
                        .keywords
                        .iter()
                        .filter_map(|k| table.get(k).cloned())
                        .collect(),
                    date: Some(info.internal_date),
                }
            }))
        });
        append(&mut msgs)?;
    }
    let all: Vec<SeqNo> = (1..=n).filter_map(SeqNo::new).collect();
    mb.set_flags(&all, FlagOp::Add, Flags::DELETED, &[])?;
    mb.expunge(ExpungeScope::AllDeleted)?;
    mb_close(mb)?;
    Ok(n)
}

fn mb_close(mb: UnixMailbox) -> Result<()> {
    Box::new(mb).close(Close::Keep)
}

/// The counts of spool file `spool` (UNIX or MMDF), read quietly; `None` when it is
/// empty, missing, in neither format or cannot be read (c-client adds nothing when its
/// `mail_open` of the spool fails).
pub(crate) fn spool_status(cfg: &Arc<StoreConfig>, spool: &Path) -> Option<Status> {
    let format = spool_format(spool).ok()??;
    crate::driver::unix::open::status_quietly(cfg, "INBOX", spool, format).ok()
}

/// STATUS of an INBOX that takes its mail from the spool: its own counts, and when none
/// of its messages is recent, the spool's added, UIDNEXT moved on by the spool's message
/// count ("post-snarf results": c-client's `mbox_status`, `mbx_status`, `tenex_status`,
/// `mtx_status`).
pub(crate) fn status_with_spool(inbox: &Status, spool: Option<Status>) -> Status {
    let mut s = *inbox;
    if s.recent == 0
        && let Some(sp) = spool
    {
        s.messages += sp.messages;
        s.recent += sp.recent;
        s.unseen += sp.unseen;
        s.uid_next = Uid::new(s.uid_next.get().saturating_add(sp.messages)).unwrap_or(Uid::MAX);
    }
    s
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::from_spool;
    use crate::driver::unix;
    use crate::driver::unix::tests::env;
    use crate::mailbox::{AppendMessage, Part};
    use crate::types::{Access, Flags, SeqNo};

    #[test]
    fn spool_mail_moves_once_with_its_flags() {
        let e = env();
        let cfg = Arc::new(e.store.config().clone());
        let spool = cfg.spool.clone();
        let msgs = ["one", "two"].map(|s| {
            Ok(AppendMessage {
                data: format!("Subject: {s}\r\n\r\n{s}\r\n").into_bytes(),
                flags: if s == "two" {
                    Flags::SEEN
                } else {
                    Flags::EMPTY
                },
                keywords: Vec::new(),
                date: None,
            })
        });
        e.store.append("INBOX", &mut msgs.into_iter()).unwrap();
        let target = e.path("target");
        e.store.create("target").unwrap();
        let moved = from_spool(&cfg, &spool, &mut |m| {
            unix::append::append(&cfg, "target", &target, m)
        })
        .unwrap();
        assert_eq!(moved, 2);
        // Only the UID pseudo-message is left, as after c-client's snarf.
        assert_eq!(e.store.status("INBOX").unwrap().messages, 0);
        let mut mb = e.store.open("target", Access::ReadOnly).unwrap();
        assert_eq!(mb.messages().len(), 2);
        assert!(mb.messages()[1].flags.contains(Flags::SEEN));
        let text = mb.fetch(SeqNo::new(2).unwrap(), Part::Text).unwrap();
        assert_eq!(text, b"two\r\n");
        // Nothing more to move; a spool in no known format is left alone.
        let again = from_spool(&cfg, &spool, &mut |m| {
            unix::append::append(&cfg, "target", &target, m)
        });
        assert_eq!(again.unwrap(), 0);
        std::fs::write(&spool, b"not a mailbox\n").unwrap();
        let odd = from_spool(&cfg, &spool, &mut |m| {
            unix::append::append(&cfg, "target", &target, m)
        });
        assert_eq!(odd.unwrap(), 0);
        assert_eq!(std::fs::read(&spool).unwrap(), b"not a mailbox\n");
        // A failing append leaves the mail in the spool.
        std::fs::write(&spool, b"").unwrap();
        let msgs = [Ok(AppendMessage {
            data: b"Subject: three\r\n\r\nx\r\n".to_vec(),
            flags: Flags::EMPTY,
            keywords: Vec::new(),
            date: None,
        })];
        e.store.append("INBOX", &mut msgs.into_iter()).unwrap();
        let before = std::fs::read(&spool).unwrap();
        let failed = from_spool(&cfg, &spool, &mut |_| {
            Err(crate::Error::NoSuchMailbox { name: "x".into() })
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&spool).unwrap(), before);
    }
}
