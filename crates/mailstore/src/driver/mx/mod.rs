//! The mx format: a directory with one file per message, named by its UID, and an index
//! (c-client `mx.c`, panda-inventory.md §3.6; experimental and deprecated in Panda).
//!
//! # The format
//!
//! ```text
//! box/                 the mailbox (it may also hold other mailboxes)
//! box/.mxindex         V<uidvalidity hex8>L<last uid hex8>, K<keyword>LF …,
//!                      M<uid hex8>;<keyword bits hex8>.<system flags hex4> … (no separators)
//! box/1, box/2, …      the messages, with CRLF line ends, as appended; the file's size is
//!                      RFC822.SIZE and its modification time the internal date (UTC)
//! ```
//!
//! See [`index`] for the index grammar. A mailbox is a directory holding a regular file
//! `.mxindex`; LIST hides the index and the numbered files.
//!
//! # Sessions
//!
//! Any number of sessions may have a mailbox read-write: each change rewrites the index
//! under an exclusive `flock` of `.mxindex`, and a session learns of others' changes when
//! it polls (files gone: expunged; new files: new mail; records changed: flags). As in
//! c-client, no `\Recent` is kept: a message is `\Recent` only to the sessions that see it
//! arrive while they have the mailbox open.
//!
//! Departures from c-client: [`create`](MxDriver::create) writes the index header at once
//! (c-client leaves an empty index for the first session to fill; both read either); a
//! flag another session cleared is seen cleared at the next poll (c-client only ever adds
//! the flags it reads from the index until it reopens).
//!
//! INBOX is `~/INBOX` when that is an mx directory, as in c-client. c-client's mx driver
//! compares the spool file's path with the name `INBOX` before moving new mail in, which
//! never matches, so it never moves spool mail into an mx INBOX; neither does this one.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::config::{Format, StoreConfig};
use crate::error::{Error, IoContext, Result};
use crate::mailbox::Mailbox;
use crate::types::Access;

use super::{Driver, HomeInbox, Layout, common};

pub(crate) mod files;
pub mod index;
mod mailbox;

use mailbox::{INDEX, MxMailbox};

/// The mx driver.
#[derive(Debug)]
pub(crate) struct MxDriver;

impl Driver for MxDriver {
    fn format(&self) -> Format {
        Format::Mx
    }

    fn layout(&self) -> Layout {
        Layout::Directory
    }

    fn home_inbox(&self) -> HomeInbox {
        HomeInbox::Yes
    }

    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> io::Result<bool> {
        common::dir_holds_file(path, meta, INDEX)
    }

    fn create(&self, cfg: &StoreConfig, path: &Path, keywords: &[String]) -> Result<()> {
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(files::is_number)
        {
            return Err(Error::invalid_name(
                &path.to_string_lossy(),
                "invalid MX-format name (a name of all digits)",
            ));
        }
        mailbox::create(cfg, path, keywords)
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        _spool: Option<&Path>,
        access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        Ok(Box::new(MxMailbox::open(cfg, name, path, access)?))
    }

    fn delete(&self, _cfg: &StoreConfig, _name: &str, path: &Path) -> Result<()> {
        let ix = path.join(INDEX);
        fs::remove_file(&ix).ctx("delete mailbox index", &ix)?;
        for n in files::numbered(path).ctx("read directory", path)? {
            let f = path.join(n.to_string());
            let _ = fs::remove_file(&f);
        }
        // A mailbox that also holds other mailboxes keeps its directory (c-client warns).
        let _ = fs::remove_dir(path);
        Ok(())
    }

    fn own_entry(&self, entry: &str) -> bool {
        entry == INDEX || files::is_number(entry)
    }
}
