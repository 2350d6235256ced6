//! Maildir: a directory with `tmp/`, `new/` and `cur/`, one file per message, the flags
//! in the file names — the format of qmail, Courier, Dovecot, mutt, mbsync and procmail,
//! which c-client never had (FAQ 6.9).
//!
//! # The format
//!
//! ```text
//! box/
//!   tmp/   1795676978.M613452P4711Q0.host,S=120,W=124          <- being written
//!   new/   1795676978.M613452P4711Q1.host,S=98,W=101           <- delivered, \Recent
//!   cur/   1795676900.M1P9Q2.host,S=77,W=80:2,FS               <- seen; \Flagged \Seen
//!   .panda-uidlist                                            <- UIDs, keywords (ours)
//!   .panda-uidlist.lock                                       <- its lock (flock)
//!   sub/                                                      <- a child mailbox
//! ```
//!
//! A message is written to `tmp/` under a name no other delivery can have
//! (`time.M<usec>P<pid>Q<n>.host`, with Dovecot's `,S=<size>,W=<size with CRLF>`),
//! synced, and renamed into `new/`. Files hold LF line ends. A read-write session moves
//! what it finds in `new/` to `cur/`, adding the info suffix `:2,` followed by the flag
//! letters in ASCII order ([`name`]): `D` \Draft, `F` \Flagged, `R` \Answered, `S` \Seen,
//! `T` \Deleted. Messages in `new/` are `\Recent` to the session that moves them (to a
//! read-only session, while they stay there). A flag change renames the file; other
//! programs do the same, and keep the base name (the part before `:2,`).
//!
//! The internal date is the file's modification time; its time zone, which a file time
//! cannot hold, is kept in the UID list.
//!
//! # UIDs and keywords
//!
//! The UID list `.panda-uidlist` ([`uidlist`]) keeps UIDVALIDITY, the next UID, the
//! keyword table and, by base name, each message's UID, time zone and keywords; it is
//! replaced whole under the lock of `.panda-uidlist.lock`. Files found without a UID
//! (delivered by other programs, or in a maildir another program made) get the next UIDs
//! in delivery order. Keywords live in the UID list rather than in Dovecot's
//! `dovecot-keywords` letters: 26 letters cannot hold c-client's 30 keywords, and other
//! programs that rename files cannot lose them. Other programs do not see them.
//!
//! A program that changes a file's base name (mbsync without `AltMap yes` adds `,U=<uid>`
//! to it) makes it a new message here: its UID, keywords and time zone are lost.
//!
//! # Sharing
//!
//! Any number of sessions, ours and other programs', may write at once; changes reach the
//! disk at once and are found by reading the directories again ([`scan`] deals with the
//! races of files being renamed meanwhile).
//!
//! # Children
//!
//! A maildir may hold other mailboxes as plain subdirectories (`box/sub`), as the other
//! directory formats do; LIST hides `cur`, `new`, `tmp`, the UID list's files, and the
//! files Dovecot, mbsync and Maildir++ keep beside them (`dovecot-*`, `dovecot.*`,
//! `.mbsyncstate*`, `.isyncuidmap.db`, `.uidvalidity`, `maildirfolder`). The Maildir++
//! convention of `.sub` directories is not used: such a directory is just another
//! mailbox, a dot file (hidden when LIST hides dot files).
//!
//! Sources: D. J. Bernstein's maildir description (cr.yp.to/proto/maildir.html), the
//! info-suffix conventions of mutt and Dovecot; panda-inventory.md §3.0 (30 keywords).

use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::config::{Format, StoreConfig};
use crate::driver::{Driver, Layout, common};
use crate::error::{Error, Result};
use crate::mailbox::{AppendMessage, AppendOutcome, Mailbox};
use crate::types::{Access, Keyword, MAX_KEYWORDS};

pub mod append;
pub mod name;
pub mod scan;
pub mod session;
pub mod uidlist;

pub use session::MaildirMailbox;

/// The maildir driver.
#[derive(Debug)]
pub struct Maildir;

impl Driver for Maildir {
    fn format(&self) -> Format {
        Format::Maildir
    }

    fn layout(&self) -> Layout {
        Layout::Directory
    }

    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> io::Result<bool> {
        Ok(meta.is_dir() && path.join("cur").is_dir() && path.join("new").is_dir())
    }

    fn create(&self, cfg: &StoreConfig, path: &Path, keywords: &[String]) -> Result<()> {
        let mut list = uidlist::UidList::new(crate::clock::new_uid_validity());
        for k in keywords {
            let k = Keyword::new(k)?;
            list.keyword_index(&k).ok_or(Error::TooManyKeywords {
                limit: MAX_KEYWORDS,
            })?;
        }
        common::create_dir(cfg, path)?;
        let made = (|| {
            for sub in ["tmp", "new", "cur"] {
                common::create_dir(cfg, &path.join(sub))?;
            }
            uidlist::write(path, &list, cfg.mailbox_mode)
        })();
        if made.is_err() {
            let _ = remove_own(path);
            let _ = fs::remove_dir(path);
        }
        made
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        _spool: Option<&Path>,
        access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        Ok(Box::new(MaildirMailbox::open(cfg, name, path, access)?))
    }

    fn append(
        &self,
        cfg: &Arc<StoreConfig>,
        _name: &str,
        path: &Path,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        let (validity, uids) = append::append(cfg, path, msgs)?;
        Ok(AppendOutcome {
            uids: Some((validity, uids)),
        })
    }

    fn delete(&self, _cfg: &StoreConfig, _name: &str, path: &Path) -> Result<()> {
        remove_own(path)?;
        common::remove_dir_unless_children(path)
    }

    fn own_entry(&self, entry: &str) -> bool {
        matches!(
            entry,
            "cur" | "new" | "tmp" | "maildirfolder" | uidlist::FILE | uidlist::LOCK | uidlist::TMP
        ) || entry.starts_with("dovecot-")
            || entry.starts_with("dovecot.")
            || entry.starts_with(".mbsyncstate")
            || matches!(entry, ".isyncuidmap.db" | ".uidvalidity")
    }
}

/// Removes the maildir's own files and directories from `path` (children stay).
fn remove_own(path: &Path) -> Result<()> {
    for sub in ["tmp", "new", "cur"] {
        let d = path.join(sub);
        let rd = match fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io("read directory", d, e)),
        };
        for entry in rd {
            let entry = entry.map_err(|e| Error::io("read directory", &d, e))?;
            common::remove_if_present(&entry.path())?;
        }
        fs::remove_dir(&d).map_err(|e| Error::io("delete", &d, e))?;
    }
    for f in [uidlist::FILE, uidlist::TMP, uidlist::LOCK] {
        common::remove_if_present(&path.join(f))?;
    }
    Ok(())
}
