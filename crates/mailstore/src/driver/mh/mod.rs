//! The MH format: a directory of message files named by number (c-client `mh.c`,
//! panda-inventory.md §3.8, FAQ 1.30 and 6.8). A legacy format, kept for reading old mail.
//!
//! # The format
//!
//! ```text
//! ~/.mh_profile        "Path: Mail" names the MH root (relative to the home; ~/Mail when
//!                      the profile says nothing; no profile: no MH names at all)
//! <root>/inbox/        #mhinbox
//! <root>/jobs/1, 2, …  #mh/jobs: one message per file, LF line ends, numbered from 1
//! ```
//!
//! Names: `#mhinbox` is `<root>/inbox`, `#mh/<name>` is `<root>/<name>`; a component of
//! all digits is refused (it would be a message). A directory inside the MH root reached
//! by its plain name is an MH mailbox too. Files named `,<n>` (MH's deleted messages) and
//! `.mh_sequences` are MH's own and neither read nor shown.
//!
//! Nothing but the messages is kept: the UID is the file number, the internal date the
//! file's modification time (UTC), and flags live in the session, except that `\Seen` is
//! read from the file's access time being later than its modification time, as c-client
//! reads it when it first scans a mailbox. This driver also writes `\Seen` that way
//! (access time now, or back to the modification time), and reads message files without
//! touching their access time; c-client sets the access time to now on every append, so
//! that every message it appends with a date reads as seen. UIDs are not sticky (MH's
//! `folder -pack` renumbers), so UIDVALIDITY is new at each open and there is no
//! APPENDUID. Several sessions may have a mailbox read-write; an expunge removes files,
//! which other sessions see at their next poll.
//!
//! Opening `#mhinbox` read-write moves new mail from the spool into it, as c-client does.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Format, StoreConfig};
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::types::Access;

use super::mx::files;
use super::{Driver, Layout, common};

mod mailbox;

use mailbox::MhMailbox;

/// The MH profile's name in the home directory.
pub const PROFILE: &str = ".mh_profile";

/// The MH root when the profile names none (c-client MHPATH).
const DEFAULT_ROOT: &str = "Mail";

/// The MH driver.
#[derive(Debug)]
pub(crate) struct MhDriver;

impl Driver for MhDriver {
    fn format(&self) -> Format {
        Format::Mh
    }

    fn layout(&self) -> Layout {
        Layout::Directory
    }

    fn sniff(&self, path: &Path, meta: &fs::Metadata) -> io::Result<bool> {
        Ok(meta.is_dir() && inside_root(path))
    }

    fn create(&self, cfg: &StoreConfig, path: &Path, _keywords: &[String]) -> Result<()> {
        if !inside_root(path) {
            return Err(Error::invalid_name(
                &path.to_string_lossy(),
                "invalid MH-format name (not inside the MH root of ~/.mh_profile)",
            ));
        }
        if path
            .components()
            .filter_map(|c| c.as_os_str().to_str())
            .next_back()
            .is_some_and(files::is_number)
        {
            return Err(Error::invalid_name(
                &path.to_string_lossy(),
                "invalid MH-format name (a name of all digits)",
            ));
        }
        common::create_dir(cfg, path)
    }

    fn open(
        &self,
        cfg: Arc<StoreConfig>,
        name: &str,
        path: &Path,
        _spool: Option<&Path>,
        access: Access,
    ) -> Result<Box<dyn Mailbox>> {
        let spool = is_mh_inbox(name).then(|| cfg.spool.clone());
        Ok(Box::new(MhMailbox::open(cfg, name, path, spool, access)?))
    }

    fn delete(&self, _cfg: &StoreConfig, _name: &str, path: &Path) -> Result<()> {
        let entries = fs::read_dir(path).map_err(|e| Error::io("read directory", path, e))?;
        for entry in entries.flatten() {
            let n = entry.file_name();
            let n = n.to_string_lossy();
            if files::is_number(&n) || n.starts_with(',') || n == ".mh_sequences" {
                let _ = fs::remove_file(entry.path());
            }
        }
        fs::remove_dir(path).map_err(|e| Error::io("delete mailbox", path, e))
    }

    fn own_entry(&self, entry: &str) -> bool {
        files::is_number(entry)
            || entry.starts_with(',')
            || entry == ".mh_sequence"
            || entry == ".mh_sequences"
    }
}

/// Whether `name` is `#mhinbox` (any case).
fn is_mh_inbox(name: &str) -> bool {
    name.eq_ignore_ascii_case("#mhinbox")
}

/// The MH root of the user whose home is `home`: `Path:` of `~/.mh_profile` (relative to
/// the home unless absolute), else `~/Mail`; `None` without a profile.
pub fn root(home: &Path) -> Option<PathBuf> {
    let text = fs::read(home.join(PROFILE)).ok()?;
    Some(
        profile_path(&text)
            .map(|p| home.join(p))
            .unwrap_or_else(|| home.join(DEFAULT_ROOT)),
    )
}

/// The `Path:` value of an MH profile, as c-client reads it: the first line whose first
/// word (up to a space or tab) is `path:` in any case; its value after the blanks.
pub fn profile_path(text: &[u8]) -> Option<String> {
    text.split(|&b| b == b'\n' || b == b'\r')
        .filter(|l| !l.is_empty())
        .find_map(|line| {
            let cut = line.iter().position(|&b| b == b' ' || b == b'\t')?;
            if !line[..cut].eq_ignore_ascii_case(b"path:") {
                return None;
            }
            let value = &line[cut..];
            let start = value.iter().position(|&b| b != b' ' && b != b'\t')?;
            Some(String::from_utf8_lossy(&value[start..]).into_owned())
        })
}

/// Resolves `#mhinbox` and `#mh/<name>` to their directories; `None` for other names.
pub(crate) fn name_path(cfg: &StoreConfig, name: &str) -> Result<Option<PathBuf>> {
    let rest = if is_mh_inbox(name) {
        "inbox"
    } else if name.len() >= 4 && name[..4].eq_ignore_ascii_case("#mh/") {
        &name[4..]
    } else {
        return Ok(None);
    };
    if rest.is_empty() || rest.split('/').any(files::is_number) {
        return Err(Error::invalid_name(
            name,
            "invalid MH-format name (an empty or all-digit component)",
        ));
    }
    let Some(root) = root(&cfg.home) else {
        return Err(Error::invalid_name(
            name,
            "~/.mh_profile not found, mh format names disabled",
        ));
    };
    Ok(Some(root.join(rest)))
}

/// Whether directory `path` lies inside the MH root of the nearest directory above it that
/// has an MH profile.
fn inside_root(path: &Path) -> bool {
    let path: PathBuf = path.components().collect();
    path.ancestors()
        .skip(1)
        .find(|a| a.join(PROFILE).is_file())
        .and_then(root)
        .map(|r| r.components().collect::<PathBuf>())
        .is_some_and(|r| path != r && path.starts_with(&r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_paths() {
        assert_eq!(
            profile_path(b"Editor: vi\nPath: Mail/mh\n"),
            Some("Mail/mh".to_owned())
        );
        assert_eq!(profile_path(b"PATH:\t /abs\r\n"), Some("/abs".to_owned()));
        assert_eq!(profile_path(b"Path:Mail\n"), None);
        assert_eq!(profile_path(b""), None);
    }

    #[test]
    fn names_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = StoreConfig::new("me", dir.path());
        assert!(name_path(&cfg, "#mh/x").is_err(), "no profile, no names");
        assert_eq!(name_path(&cfg, "other").unwrap(), None);
        fs::write(dir.path().join(PROFILE), "Path: mh\n").unwrap();
        assert_eq!(
            name_path(&cfg, "#MHINBOX").unwrap(),
            Some(dir.path().join("mh/inbox"))
        );
        assert_eq!(
            name_path(&cfg, "#mh/a/b").unwrap(),
            Some(dir.path().join("mh/a/b"))
        );
        for bad in ["#mh/", "#mh/12", "#mh/a/3/b"] {
            assert!(name_path(&cfg, bad).is_err(), "{bad}");
        }
        fs::create_dir_all(dir.path().join("mh/a")).unwrap();
        assert!(inside_root(&dir.path().join("mh/a")));
        assert!(!inside_root(&dir.path().join("mh")));
        assert!(!inside_root(&dir.path().join("elsewhere")));
        fs::write(dir.path().join(PROFILE), "Editor: vi\n").unwrap();
        assert_eq!(root(dir.path()), Some(dir.path().join("Mail")));
    }
}
