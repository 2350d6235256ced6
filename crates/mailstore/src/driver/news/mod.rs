//! Netnews spool groups as read-only mailboxes (c-client `news.c`, panda-inventory.md
//! §3.9).
//!
//! # The format
//!
//! ```text
//! /var/lib/news/active         one line per group: "<group> <high> <low> <flag>"
//! /var/spool/news/comp/mail/   #news.comp.mail: one article per file, named by its number
//! ~/.newsrc                    "comp.mail: 1-5,7": the articles read (see [`newsrc`])
//! ```
//!
//! `#news.<group>` is the group's spool directory (dots made slashes), if the active file
//! lists the group; the spool and the active file are [`StoreConfig::news_spool`] and
//! [`StoreConfig::news_active`]. A group is always open read-only: the article number is
//! the UID, UIDVALIDITY is the constant `0xBEEFFACE`, and nothing can be appended or
//! expunged. Articles the newsrc lists as read are `\Deleted`, the others `\Recent`;
//! `\Deleted` set or cleared in a session is written back to `~/.newsrc` when it closes,
//! changing only that group's line. Other flags live in the session.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::{Format, StoreConfig};
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::types::Access;

use super::{Driver, Layout};

mod mailbox;
pub mod newsrc;

use mailbox::NewsMailbox;

/// The news driver.
#[derive(Debug)]
pub(crate) struct NewsDriver;

/// The spools `#news.` names have led to, so that format detection, which sees only
/// paths, knows their directories for newsgroups.
static SPOOLS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

impl Driver for NewsDriver {
    fn format(&self) -> Format {
        Format::News
    }

    fn layout(&self) -> Layout {
        Layout::Directory
    }

    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> io::Result<bool> {
        let spools = SPOOLS.lock().map(|s| s.clone()).unwrap_or_default();
        Ok(meta.is_dir()
            && spools
                .iter()
                .any(|s| path != s.as_path() && path.starts_with(s)))
    }

    fn create(&self, _cfg: &StoreConfig, _path: &Path, _keywords: &[String]) -> Result<()> {
        Err(Error::ReadOnly)
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        _spool: Option<&Path>,
        _access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        let group = group_of(&cfg, path).ok_or_else(|| Error::NoSuchMailbox {
            name: name.to_owned(),
        })?;
        Ok(Box::new(NewsMailbox::open(cfg, name, path, &group)?))
    }

    fn delete(&self, _cfg: &StoreConfig, _name: &str, _path: &Path) -> Result<()> {
        Err(Error::ReadOnly)
    }

    fn rename(&self, _cfg: &StoreConfig, _name: &str, _from: &Path, _to: &Path) -> Result<()> {
        Err(Error::ReadOnly)
    }

    fn own_entry(&self, entry: &str) -> bool {
        super::mx::files::is_number(entry)
    }
}

/// Resolves `#news.<group>` to the group's spool directory; `None` for other names. A
/// group the active file does not list is no mailbox.
pub(crate) fn name_path(cfg: &StoreConfig, name: &str) -> Result<Option<PathBuf>> {
    let Some(group) = name
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("#news."))
        .map(|_| &name[6..])
    else {
        return Ok(None);
    };
    if group.is_empty() || group.contains('/') || group.split('.').any(str::is_empty) {
        return Err(Error::invalid_name(name, "invalid newsgroup name"));
    }
    if !groups(cfg).iter().any(|g| g == group) {
        return Err(Error::NoSuchMailbox {
            name: name.to_owned(),
        });
    }
    if let Ok(mut s) = SPOOLS.lock()
        && !s.contains(&cfg.news_spool)
    {
        s.push(cfg.news_spool.clone());
    }
    Ok(Some(cfg.news_spool.join(group.replace('.', "/"))))
}

/// The groups the active file lists, in its order (what LIST `#news.*` shows).
pub fn groups(cfg: &StoreConfig) -> Vec<String> {
    let Ok(text) = fs::read(&cfg.news_active) else {
        return Vec::new();
    };
    active_groups(&text)
}

/// The group names of an active file: the first word of each line.
pub fn active_groups(text: &[u8]) -> Vec<String> {
    text.split(|&b| b == b'\n')
        .filter_map(|l| l.split(|&b| b == b' ' || b == b'\t').next())
        .filter(|g| !g.is_empty())
        .filter_map(|g| std::str::from_utf8(g).ok().map(str::to_owned))
        .collect()
}

/// The group whose spool directory is `path`.
fn group_of(cfg: &StoreConfig, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(&cfg.news_spool).ok()?;
    let parts: Vec<&str> = rel
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lead_to_listed_groups() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = StoreConfig::new("me", dir.path());
        cfg.news_spool = dir.path().join("spool");
        cfg.news_active = dir.path().join("active");
        fs::write(
            &cfg.news_active,
            "comp.mail.imap 0000000010 0000000001 y\nalt.x 1 1 n\n",
        )
        .unwrap();
        assert_eq!(groups(&cfg), vec!["comp.mail.imap", "alt.x"]);
        assert_eq!(
            name_path(&cfg, "#news.comp.mail.imap").unwrap(),
            Some(dir.path().join("spool/comp/mail/imap"))
        );
        assert_eq!(name_path(&cfg, "#mh/x").unwrap(), None);
        assert!(name_path(&cfg, "#news.comp.nothere").is_err());
        assert!(name_path(&cfg, "#news.a..b").is_err());
        assert_eq!(
            group_of(&cfg, &dir.path().join("spool/comp/mail/imap")).as_deref(),
            Some("comp.mail.imap")
        );
    }
}
