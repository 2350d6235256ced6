//! Appending to a maildir: each message is written to `tmp/` under a new unique name and
//! synced, then, under the UID list's lock, renamed into `new/` (with `:2,` and its flags
//! when it has some) and given its UID in the list. An error takes back every file of
//! the append.

use std::fs::{self, FileTimes, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::name::{self, FileName};
use super::scan::{self, Sub};
use super::uidlist::{self, ListLock};
use crate::config::StoreConfig;
use crate::error::{Error, IoContext, Result};
use crate::mailbox::AppendMessage;
use crate::types::{Flags, Keyword, KeywordSet, MAX_KEYWORDS, Uid, UidValidity};

/// One message written to `tmp/`.
struct Staged {
    tmp: PathBuf,
    base: String,
    flags: Flags,
    keywords: Vec<Keyword>,
    zone: i32,
}

/// Appends `msgs` to the maildir `dir`; returns its UIDVALIDITY and the new UIDs.
pub fn append(
    cfg: &StoreConfig,
    dir: &Path,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
) -> Result<(UidValidity, Vec<Uid>)> {
    let mut staged = Vec::new();
    let r = stage_all(cfg, dir, msgs, &mut staged).and_then(|()| commit(cfg, dir, &staged));
    if r.is_err() {
        for s in &staged {
            let _ = fs::remove_file(&s.tmp);
        }
    }
    r
}

fn stage_all(
    cfg: &StoreConfig,
    dir: &Path,
    msgs: &mut dyn Iterator<Item = Result<AppendMessage>>,
    staged: &mut Vec<Staged>,
) -> Result<()> {
    let tmp_dir = dir.join("tmp");
    if !tmp_dir.is_dir() {
        fs::create_dir(&tmp_dir).map_err(|e| Error::node(&tmp_dir, e))?;
    }
    for m in msgs {
        let m = m?;
        if m.data.is_empty() {
            return Err(Error::BadMessage {
                reason: "empty message",
            });
        }
        let data = to_lf(&m.data);
        let crs = bytecount::count(&data, b'\r');
        let lfs = bytecount::count(&data, b'\n');
        let vsize = (data.len() - crs + lfs) as u64;
        if u32::try_from(vsize).is_err() {
            return Err(Error::BadMessage {
                reason: "message too large",
            });
        }
        let date = match m.date {
            Some(d) => d,
            None => crate::clock::now(&cfg.tz),
        };
        let (file, base, tmp) = loop {
            let base = name::new_base(data.len() as u64, vsize, &cfg.hostname);
            let tmp = tmp_dir.join(&base);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(cfg.mailbox_mode)
                .open(&tmp)
            {
                Ok(f) => {
                    // The mode whatever the umask (0666 in `#public/`).
                    let _ = f.set_permissions(fs::Permissions::from_mode(cfg.mailbox_mode));
                    break (f, base, tmp);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("create", &tmp, e)),
            }
        };
        staged.push(Staged {
            tmp: tmp.clone(),
            base,
            flags: m.flags.intersect(Flags::SETTABLE),
            keywords: m.keywords,
            zone: date.offset_seconds(),
        });
        let mut file = file;
        file.write_all(&data).ctx("write", &tmp)?;
        file.sync_all().ctx("sync", &tmp)?;
        let when = match u64::try_from(date.timestamp()) {
            Ok(s) => UNIX_EPOCH + Duration::from_secs(s),
            Err(_) => SystemTime::UNIX_EPOCH,
        };
        file.set_times(FileTimes::new().set_modified(when))
            .ctx("set time of", &tmp)?;
    }
    Ok(())
}

fn commit(cfg: &StoreConfig, dir: &Path, staged: &[Staged]) -> Result<(UidValidity, Vec<Uid>)> {
    let _lock = ListLock::acquire(dir, cfg.mailbox_mode)?;
    let mut list = match uidlist::read(dir)? {
        Some(l) => l,
        None => {
            let mut l = scan::fresh_list(dir, 0);
            let listing = scan::scan_once(dir)?;
            scan::adopt(&mut l, listing.keys().map(String::as_str));
            l
        }
    };
    let mut sets = Vec::with_capacity(staged.len());
    for s in staged {
        let mut set = KeywordSet::EMPTY;
        for k in &s.keywords {
            let i = list.keyword_index(k).ok_or(Error::TooManyKeywords {
                limit: MAX_KEYWORDS,
            })?;
            set.insert(i);
        }
        sets.push(set);
    }
    let mut placed: Vec<PathBuf> = Vec::new();
    let mut uids = Vec::with_capacity(staged.len());
    let mut run = || -> Result<()> {
        for (s, set) in staged.iter().zip(&sets) {
            let file = if s.flags.is_empty() {
                s.base.clone()
            } else {
                FileName::bare(&s.base).with_flags(s.flags)
            };
            let dst = dir.join(Sub::New.dir()).join(file);
            fs::rename(&s.tmp, &dst).ctx("rename", &s.tmp)?;
            placed.push(dst);
            let uid = list
                .assign(&s.base, Some(s.zone), *set)
                .ok_or(Error::BadMessage {
                    reason: "the mailbox has used up its UIDs",
                })?;
            uids.push(uid);
        }
        uidlist::write(dir, &list, cfg.mailbox_mode)
    };
    if let Err(e) = run() {
        for p in &placed {
            let _ = fs::remove_file(p);
        }
        return Err(e);
    }
    let validity = UidValidity::new(list.validity).unwrap_or(UidValidity::MIN);
    Ok((validity, uids))
}

/// The message with CRLF line ends made LF (a maildir holds UNIX text).
pub fn to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut rest = data;
    while let Some(i) = memchr::memchr(b'\r', rest) {
        out.extend_from_slice(&rest[..i]);
        if rest.get(i + 1) != Some(&b'\n') {
            out.push(b'\r');
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_becomes_lf() {
        assert_eq!(to_lf(b"a\r\nb\r\n\r\nc\rd\r"), b"a\nb\n\nc\rd\r");
    }
}
