//! The mix format: UW's and Panda's recommended format since 2007 (FAQ 4.5), a directory
//! whose files several sessions read and write at once.
//!
//! # The format
//!
//! A mix mailbox is a directory. Besides its own files, which all start `.mix`, it may hold
//! other mailboxes (it is "dual use": neither `\NoSelect` nor `\NoInferiors`):
//!
//! ```text
//! box/.mixmeta        S6b07dae7      update sequence (each file has one, first line)
//!                     V6b07dae5      UIDVALIDITY
//!                     L00000002      last UID given
//!                     N6b07dae5      data file new messages go to
//!                     KJunk $Label1  keywords (no line when there are none)
//! box/.mixindex       S6b07dae6
//!                     :00000001:20261126070000+0000:0000001a:6b07dae5:00000000:0000002d:00000010:
//!                       UID, internal date, size, data file, position, record length, header size
//! box/.mixstatus      S6b07dae6
//!                     :00000001:00000000:0005:6b07dae6:
//!                       UID, keyword bits, system flag bits (fOLD 0x10: not \Recent), modseq
//! box/.mix6b07dae5    :msg:00000001:20261126070000+0000:0000001a:    record line, then the
//!                     Subject: one                                  message, CRLF line ends
//!                     …
//! box/.mixsortcache   sort keys (optional; neither read nor written here)
//! ```
//!
//! Every line ends in CRLF; unknown keys and extra fields are ignored. A data file is
//! named after the modseq at which it was started; a new one is begun when an append
//! would push the current one past 1 MiB (`.mix` alone is file 0, from early versions).
//!
//! Each file's update sequence rises whenever it is rewritten, so a session re-reads a
//! file only when its sequence changed. Sequences and modseqs are 32-bit times that never
//! go backwards.
//!
//! # Locking
//!
//! No dot-locks and no `/tmp` locks. A session keeps `.mixmeta` `flock`ed shared while it
//! has the mailbox open; `.mixindex` and `.mixstatus` are locked briefly, shared to read
//! and exclusive to write; data files are not locked. Delivery holds the metadata shared
//! and index and status exclusive. Expunge removes messages from index and status only;
//! their bytes are reclaimed ("burped") by a session that, holding the index exclusive,
//! manages to upgrade its metadata lock to exclusive, which means no one else has the
//! mailbox open.
//!
//! Sources: Panda's `docs/mixfmt.txt`; panda-inventory.md §3.0, §3.5, §4.2, §5.3; files
//! written by UW's `mailutil` (known-answer tests in [`format`]).

use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::clock;
use crate::config::{Format, StoreConfig};
use crate::driver::{Driver, HomeInbox, Layout, common};
use crate::error::{Error, IoContext, Result};
use crate::mailbox::{AppendMessage, AppendOutcome, Mailbox};
use crate::types::{Access, Keyword, MAX_KEYWORDS};

pub(crate) mod append;
pub(crate) mod burp;
pub(crate) mod files;
pub mod format;
pub(crate) mod session;

#[cfg(test)]
mod tests;

use files::{INDEX, META, Mode, STATUS};

/// The mix driver.
#[derive(Debug)]
pub(crate) struct Mix;

impl Driver for Mix {
    fn format(&self) -> Format {
        Format::Mix
    }

    fn layout(&self) -> Layout {
        Layout::Directory
    }

    fn home_inbox(&self) -> HomeInbox {
        HomeInbox::Yes
    }

    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> io::Result<bool> {
        common::dir_holds_file(path, meta, META)
    }

    fn create(&self, cfg: &StoreConfig, path: &Path, keywords: &[String]) -> Result<()> {
        // A name like mix's own files would hide in its parent's listing (c-client
        // refuses such names).
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| self.own_entry(n))
        {
            return Err(Error::invalid_name(
                &path.to_string_lossy(),
                "names starting with .mix are mix's own files",
            ));
        }
        let mut kws = Vec::new();
        for k in keywords {
            let k = Keyword::new(k)?;
            if !kws.contains(&k) {
                kws.push(k);
            }
        }
        if kws.len() > MAX_KEYWORDS {
            return Err(Error::TooManyKeywords {
                limit: MAX_KEYWORDS,
            });
        }
        // A directory that is not a mix mailbox yet may become one (the store only asks
        // this of INBOX's directory after RENAME INBOX left children in it).
        let exists = fs::metadata(path).is_ok_and(|m| m.is_dir());
        if !exists || path.join(META).exists() {
            common::create_dir(cfg, path)?;
        }
        // As UW: sequence, UIDVALIDITY and the first data file's number are one time.
        let t = clock::new_uid_validity();
        let meta = format::Meta {
            seq: t,
            validity: t,
            last_uid: 0,
            new_file: t,
            keywords: kws.iter().map(|k| k.as_str().to_owned()).collect(),
        };
        let made = (|| -> Result<()> {
            let f = files::create_new(&path.join(META), cfg.mailbox_mode)?;
            files::rewrite(&f, &path.join(META), &format::meta_text(&meta))?;
            for name in [INDEX, STATUS, files::data_name(t).as_str()] {
                files::create_new(&path.join(name), cfg.mailbox_mode)?;
            }
            Ok(())
        })();
        if made.is_err() {
            let _ = remove_own_files(path);
            let _ = fs::remove_dir(path);
        }
        made
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        spool: Option<&Path>,
        access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        Ok(Box::new(session::MixMailbox::open(
            cfg, name, path, spool, access,
        )?))
    }

    fn append(
        &self,
        cfg: &Arc<StoreConfig>,
        _name: &str,
        path: &Path,
        msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    ) -> Result<AppendOutcome> {
        append::append(cfg, path, msgs)
    }

    fn delete(&self, _cfg: &StoreConfig, name: &str, path: &Path) -> Result<()> {
        let meta_path = path.join(META);
        let meta = files::open(&meta_path, Mode::Read)?;
        common::lock_alone(&meta, name, &meta_path)?;
        remove_own_files(path)?;
        drop(meta);
        // A mailbox with children keeps its directory.
        common::remove_dir_unless_children(path)
    }

    fn rename(&self, cfg: &StoreConfig, name: &str, from: &Path, to: &Path) -> Result<()> {
        let meta_path = from.join(META);
        let meta = files::open(&meta_path, Mode::Read)?;
        common::lock_alone(&meta, name, &meta_path)?;
        if name != "INBOX" {
            // The directory goes whole: inferior mailboxes are renamed with it.
            return crate::store::move_file(from, to);
        }
        // INBOX's messages move; mailboxes under INBOX stay where they are.
        common::create_dir(cfg, to)?;
        for entry in fs::read_dir(from).ctx("read directory", from)? {
            let entry = entry.ctx("read directory", from)?;
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| self.own_entry(n))
            {
                let dst = to.join(entry.file_name());
                fs::rename(entry.path(), &dst).ctx("rename", &dst)?;
            }
        }
        // The store then makes a new, empty INBOX there: in the directory, kept when it
        // has children, or in its place.
        let _ = fs::remove_dir(from);
        Ok(())
    }

    fn own_entry(&self, entry: &str) -> bool {
        entry.starts_with(".mix")
    }
}

/// Removes the mix files of directory `path` (the metadata last, so that a delete cut
/// short leaves something still recognised as a mailbox).
fn remove_own_files(path: &Path) -> Result<()> {
    for entry in fs::read_dir(path).ctx("read directory", path)? {
        let entry = entry.ctx("read directory", path)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name == META {
            continue;
        }
        if files::data_number(name).is_some()
            || name == INDEX
            || name == STATUS
            || name == files::SORTCACHE
        {
            let p = entry.path();
            fs::remove_file(&p).ctx("delete", &p)?;
        }
    }
    common::remove_if_present(&path.join(META))
}
