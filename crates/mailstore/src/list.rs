//! LIST and LSUB: mailbox names matching a pattern, with their attributes (c-client's
//! `dummy_list`, `pmatch_full`, `dmatch`; panda-inventory.md §3.11, §4.6).
//!
//! Patterns (RFC 3501 §6.3.8): `*` matches anything, `%` anything but the hierarchy
//! delimiter `/`. Matching is case-sensitive, except that INBOX is found in any case. The
//! reference is put in front of the pattern unless the pattern starts with `/` or `~`.
//!
//! Attributes, as c-client gives them:
//!
//! | object                | attributes                                                 |
//! |-----------------------|------------------------------------------------------------|
//! | directory             | `\NoSelect`, and `\HasChildren` or `\HasNoChildren`         |
//! | file                  | `\NoInferiors`, and `\Marked` (not empty, read before it changed) or `\UnMarked` |
//! | INBOX                 | `\NoInferiors`, no delimiter                               |

use std::fs;
use std::io::{self, BufRead, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::config::{DotFiles, SharedNamespace, StoreConfig, UserKind};
use crate::error::{Error, IoContext, Result};
use crate::name::{self, Target};
use crate::store::Store;

/// The hierarchy delimiter of local names.
pub const DELIMITER: char = '/';

/// The most wildcards a pattern may have (c-client MAXWILDCARDS).
const MAX_WILDCARDS: usize = 10;

/// One name LIST or LSUB gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// The mailbox name.
    pub name: String,
    /// The hierarchy delimiter (none for INBOX, as c-client answers).
    pub delimiter: Option<char>,
    /// Its attributes.
    pub attributes: Attributes,
}

/// LIST attributes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Attributes(u8);

impl Attributes {
    /// `\NoInferiors`: it cannot have children.
    pub const NO_INFERIORS: Attributes = Attributes(0x01);
    /// `\NoSelect`: it cannot be opened.
    pub const NO_SELECT: Attributes = Attributes(0x02);
    /// `\Marked`: it has new mail.
    pub const MARKED: Attributes = Attributes(0x04);
    /// `\UnMarked`: it has no new mail.
    pub const UNMARKED: Attributes = Attributes(0x08);
    /// `\HasChildren` (RFC 3348).
    pub const HAS_CHILDREN: Attributes = Attributes(0x20);
    /// `\HasNoChildren` (RFC 3348).
    pub const HAS_NO_CHILDREN: Attributes = Attributes(0x40);

    /// Whether all of `other` is set.
    pub fn contains(self, other: Attributes) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets.
    #[must_use]
    pub fn with(self, other: Attributes) -> Attributes {
        Attributes(self.0 | other.0)
    }

    /// The attribute names, as IMAP writes them.
    pub fn names(self) -> Vec<&'static str> {
        [
            (Self::NO_INFERIORS, "\\NoInferiors"),
            (Self::NO_SELECT, "\\NoSelect"),
            (Self::MARKED, "\\Marked"),
            (Self::UNMARKED, "\\UnMarked"),
            (Self::HAS_CHILDREN, "\\HasChildren"),
            (Self::HAS_NO_CHILDREN, "\\HasNoChildren"),
        ]
        .into_iter()
        .filter(|(a, _)| self.contains(*a))
        .map(|(_, n)| n)
        .collect()
    }
}

impl std::fmt::Debug for Attributes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Whether `s` matches `pat` (`*` anything, `%` anything without `/`), case-sensitively.
pub fn matches(s: &str, pat: &str) -> bool {
    reach(s.as_bytes(), pat.as_bytes()).1
}

/// Whether some name below directory `dir` (which ends with `/`) could match `pat`.
pub fn could_descend(dir: &str, pat: &str) -> bool {
    reach(dir.as_bytes(), pat.as_bytes()).0
}

/// Matches `s` against `pat` in O(|s|·|pat|): returns whether all of `s` matches some
/// prefix of `pat` (so that something longer could match all of it), and whether `s`
/// matches all of `pat`.
fn reach(s: &[u8], pat: &[u8]) -> (bool, bool) {
    let (n, m) = (s.len(), pat.len());
    // cur[j]: s[..i] matches pat[..j], a wildcard at pat[j-1] may go on.
    let mut cur = vec![false; m + 1];
    cur[0] = true;
    close_empty(&mut cur, pat);
    for &c in s.iter().take(n) {
        let mut next = vec![false; m + 1];
        for j in 0..m {
            match pat[j] {
                b'*' => {
                    if cur[j + 1] {
                        next[j + 1] = true;
                    }
                }
                b'%' => {
                    if cur[j + 1] && c != b'/' {
                        next[j + 1] = true;
                    }
                }
                p => {
                    if cur[j] && p == c {
                        next[j + 1] = true;
                    }
                }
            }
        }
        close_empty(&mut next, pat);
        cur = next;
    }
    (cur.iter().any(|&b| b), cur[m])
}

/// Lets each wildcard match the empty string.
fn close_empty(states: &mut [bool], pat: &[u8]) {
    for j in 0..pat.len() {
        if states[j] && matches!(pat[j], b'*' | b'%') {
            states[j + 1] = true;
        }
    }
}

impl Store {
    /// IMAP LIST: the names matching `pattern` under `reference`.
    pub fn list(&self, reference: &str, pattern: &str) -> Result<Vec<ListEntry>> {
        let cfg = self.config();
        let Some(pat) = canonical(reference, pattern)? else {
            return Ok(Vec::new());
        };
        if pattern.is_empty() {
            // LIST ref "": the root of the reference's hierarchy, to learn the delimiter.
            let root = match pat.find(DELIMITER) {
                Some(i) if pat.starts_with(['/', '~', '#']) => pat[..=i].to_owned(),
                _ => String::new(),
            };
            return Ok(vec![ListEntry {
                name: root,
                delimiter: Some(DELIMITER),
                attributes: Attributes::NO_SELECT,
            }]);
        }
        if let Some(groups) = news_list(cfg, &pat) {
            return Ok(groups);
        }
        if pat.len() >= 8 && pat[..8].eq_ignore_ascii_case("#mhinbox") {
            let mut out = Vec::new();
            if cfg.user_kind == UserKind::Named
                && crate::driver::mh::root(&cfg.home).is_some()
                && matches("#mhinbox", &pat)
            {
                out.push(ListEntry {
                    name: "#mhinbox".into(),
                    delimiter: Some(DELIMITER),
                    attributes: Attributes::NO_INFERIORS,
                });
            }
            return Ok(out);
        }
        let first_wild = pat.find(['*', '%']).unwrap_or(pat.len());
        let dir = pat[..first_wild]
            .rfind(DELIMITER)
            .map(|i| pat[..=i].to_owned());
        let mut out = Vec::new();
        // The anonymous user has no names of its own (only `#ftp/`, `#public/`, `#news.`).
        let anonymous = cfg.user_kind == UserKind::Anonymous;
        if !(anonymous && dir.is_none()) {
            self.list_dir(cfg, dir.as_deref(), &pat, 0, &mut out)?;
        }
        if !anonymous && matches("INBOX", &pat.to_ascii_uppercase()) {
            out.push(ListEntry {
                name: "INBOX".into(),
                delimiter: None,
                attributes: Attributes::NO_INFERIORS,
            });
        }
        for e in &mut out {
            if !e.attributes.contains(Attributes::NO_INFERIORS)
                && let Some(has) = self.has_children(&e.name)
            {
                e.attributes = e.attributes.with(if has {
                    Attributes::HAS_CHILDREN
                } else {
                    Attributes::HAS_NO_CHILDREN
                });
            }
        }
        Ok(out)
    }

    fn list_dir(
        &self,
        cfg: &StoreConfig,
        dir: Option<&str>,
        pat: &str,
        level: u32,
        out: &mut Vec<ListEntry>,
    ) -> Result<()> {
        let path = match dir {
            None => cfg.mail_dir(),
            // The MH namespace: its root is the Path: of ~/.mh_profile.
            Some(d) if d.eq_ignore_ascii_case("#mh/") => match crate::driver::mh::root(&cfg.home) {
                Some(p) => p,
                None => return Ok(()),
            },
            Some(d) => match self.dir_path(d) {
                Some(p) => p,
                None => return Ok(()),
            },
        };
        if let (0, Some(d)) = (level, dir)
            && d != "INBOX"
            && !d.eq_ignore_ascii_case("#mh/")
            && matches(d, pat)
        {
            out.push(ListEntry {
                name: d.to_owned(),
                delimiter: Some(DELIMITER),
                attributes: Attributes::NO_SELECT,
            });
        }
        let Ok(rd) = fs::read_dir(&path) else {
            return Ok(());
        };
        // A directory that is a mailbox (mix, MH, maildir…) holds the format's own files
        // beside its children.
        let owner = fs::metadata(&path)
            .ok()
            .and_then(|m| crate::driver::directory_driver(&path, &m));
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !(cfg.dot_files == DotFiles::Hide && n.starts_with('.')))
            .filter(|n| !owner.is_some_and(|d| d.own_entry(n)))
            .collect();
        names.sort();
        let prefix = dir.unwrap_or("");
        for entry in names {
            let name = format!("{prefix}{entry}");
            if name.len() > name::MAX_NAME_LEN {
                continue;
            }
            let as_dir = format!("{name}/");
            let whole = matches(&name, pat);
            let slash = matches(&as_dir, pat);
            let below = could_descend(&as_dir, pat);
            if !(whole || slash || below) {
                continue;
            }
            let Ok(meta) = fs::metadata(path.join(&entry)) else {
                continue;
            };
            if meta.is_dir() {
                if name != "INBOX" {
                    let mailbox = crate::driver::directory_driver(&path.join(&entry), &meta);
                    if whole && mailbox.is_some() {
                        out.push(ListEntry {
                            name: name.clone(),
                            delimiter: Some(DELIMITER),
                            attributes: Attributes::default(),
                        });
                    } else if whole {
                        out.push(dir_entry(name.clone()));
                    } else if slash {
                        out.push(dir_entry(as_dir.clone()));
                    }
                }
                if below && level < cfg.list_max_level {
                    self.list_dir(cfg, Some(&as_dir), pat, level + 1, out)?;
                }
            } else if meta.is_file() && whole && !name::is_inbox(&name) {
                let marked = meta.len() > 0 && meta.atime() < meta.ctime();
                out.push(ListEntry {
                    name,
                    delimiter: Some(DELIMITER),
                    attributes: Attributes::NO_INFERIORS.with(if marked {
                        Attributes::MARKED
                    } else {
                        Attributes::UNMARKED
                    }),
                });
            }
        }
        Ok(())
    }

    /// The directory a LIST prefix such as `foo/`, `~/` or `/var/` names.
    fn dir_path(&self, dir: &str) -> Option<PathBuf> {
        match name::resolve(self.config(), dir).ok()?.target {
            Target::File(p) => Some(p),
            Target::Inbox => None,
        }
    }

    /// Whether the directory `name` has entries; `None` if it is not a directory.
    fn has_children(&self, name: &str) -> Option<bool> {
        let p = self.dir_path(name)?;
        let hide = self.config().dot_files == DotFiles::Hide;
        let owner = fs::metadata(&p)
            .ok()
            .and_then(|m| crate::driver::directory_driver(&p, &m));
        let rd = fs::read_dir(&p).ok()?;
        Some(rd.filter_map(|e| e.ok()).any(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            !(owner.is_some_and(|d| d.own_entry(&n)) || hide && n.starts_with('.'))
        }))
    }

    /// IMAP LSUB: the subscribed names matching `pattern` under `reference`.
    pub fn lsub(&self, reference: &str, pattern: &str) -> Result<Vec<ListEntry>> {
        let Some(pat) = canonical(reference, pattern)? else {
            return Ok(Vec::new());
        };
        let show_uppers = pattern.ends_with('%');
        let mut out = Vec::new();
        for name in self.subscriptions()? {
            if name.starts_with('{') {
                continue;
            }
            if name::is_inbox(&name) {
                if matches("INBOX", &pat.to_ascii_uppercase()) {
                    out.push(ListEntry {
                        name: "INBOX".into(),
                        delimiter: None,
                        attributes: Attributes::NO_INFERIORS,
                    });
                }
            } else if matches(&name, &pat) {
                out.push(ListEntry {
                    name,
                    delimiter: Some(DELIMITER),
                    attributes: Attributes::default(),
                });
            } else if show_uppers {
                let mut upper = name.as_str();
                while let Some(i) = upper.rfind(DELIMITER) {
                    upper = &upper[..i];
                    if matches(upper, &pat) {
                        out.push(dir_entry(upper.to_owned()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The subscribed names, in order.
    pub fn subscriptions(&self) -> Result<Vec<String>> {
        let path = self.config().subscriptions_file();
        let f = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        io::BufReader::new(f)
            .split(b'\n')
            .map(|l| {
                l.map(|l| String::from_utf8_lossy(&l).into_owned())
                    .ctx("read", &path)
            })
            .filter(|l| !matches!(l, Ok(s) if s.is_empty()))
            .collect()
    }

    /// Subscribes to `name`, which must exist.
    pub fn subscribe(&self, name: &str) -> Result<()> {
        self.writable()?;
        let name = canonical_name(name);
        if self.format_of(&name)?.is_none() {
            return Err(Error::NoSuchMailbox { name });
        }
        if self.subscriptions()?.contains(&name) {
            return Err(Error::Subscription {
                what: format!("Already subscribed to mailbox {name}"),
            });
        }
        let path = self.config().subscriptions_file();
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .ctx("open", &path)?;
        f.write_all(format!("{name}\n").as_bytes())
            .and_then(|()| f.sync_data())
            .ctx("write", &path)
    }

    /// Unsubscribes from `name` (which need not exist any more).
    pub fn unsubscribe(&self, name: &str) -> Result<()> {
        self.writable()?;
        let name = canonical_name(name);
        let subs = self.subscriptions()?;
        if !subs.contains(&name) {
            return Err(Error::Subscription {
                what: format!("Not subscribed to mailbox {name}"),
            });
        }
        let cfg = self.config();
        let tmp = cfg.home.join(".mlbxlsttmp");
        let mut text = String::new();
        for s in subs.iter().filter(|s| **s != name) {
            text.push_str(s);
            text.push('\n');
        }
        write_replace(&tmp, &cfg.subscriptions_file(), text.as_bytes())
    }
}

/// LIST in the news namespace (`#news.…`): the groups of the active file that match,
/// `.` being the hierarchy delimiter there; `None` for other patterns.
fn news_list(cfg: &StoreConfig, pat: &str) -> Option<Vec<ListEntry>> {
    let rest = pat
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("#news."))
        .map(|_| &pat[6..])?;
    // `%` stops at the delimiter, which `matches` takes to be `/`.
    let pat = rest.replace('.', "/");
    Some(
        crate::driver::news::groups(cfg)
            .into_iter()
            .filter(|g| matches(&g.replace('.', "/"), &pat))
            .map(|g| ListEntry {
                name: format!("#news.{g}"),
                delimiter: Some('.'),
                attributes: Attributes::NO_INFERIORS,
            })
            .collect(),
    )
}

fn write_replace(tmp: &Path, dst: &Path, data: &[u8]) -> Result<()> {
    let mut f = fs::File::create(tmp).ctx("create", tmp)?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .ctx("write", tmp)?;
    fs::rename(tmp, dst).ctx("rename", dst)
}

fn canonical_name(name: &str) -> String {
    if name::is_inbox(name) {
        "INBOX".into()
    } else {
        name.to_owned()
    }
}

fn dir_entry(name: String) -> ListEntry {
    ListEntry {
        name,
        delimiter: Some(DELIMITER),
        attributes: Attributes::NO_SELECT,
    }
}

/// The pattern with the reference applied; `None` when the names are not local ones.
fn canonical(reference: &str, pattern: &str) -> Result<Option<String>> {
    if reference.starts_with('{') || pattern.starts_with('{') {
        return Ok(None);
    }
    if pattern.len() > name::MAX_NAME_LEN || reference.len() > name::MAX_NAME_LEN {
        return Err(Error::invalid_name(pattern, "LIST pattern too long"));
    }
    let pat = if reference.is_empty() || pattern.starts_with(['/', '~', '#']) {
        pattern.to_owned()
    } else {
        format!("{reference}{pattern}")
    };
    // The `#` namespaces: news (`#news.`), MH (`#mh/`, `#mhinbox`) and the shared ones
    // (`#ftp/`, `#public/`, `#shared/`, listed only where their accounts exist).
    let known = ["#news.", "#mh/", "#mhinbox"].iter().any(|ns| {
        pat.get(..ns.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(ns))
    }) || SharedNamespace::split(&pat).is_some();
    if pat.starts_with('#') && !known {
        return Ok(None);
    }
    if pat.matches(['*', '%']).count() > MAX_WILDCARDS {
        return Err(Error::invalid_name(
            pattern,
            "Excessive wildcards in LIST/LSUB",
        ));
    }
    Ok(Some(pat))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::unix::tests::{env, msg};

    #[test]
    fn wildcards() {
        assert!(matches("foo", "*"));
        assert!(matches("foo/bar", "*"));
        assert!(matches("foo", "%"));
        assert!(!matches("foo/bar", "%"));
        assert!(matches("foo/bar", "%/%"));
        assert!(matches("foo/bar", "f*r"));
        assert!(!matches("foo/bar", "f%r"));
        assert!(matches("foo", "foo"));
        assert!(!matches("Foo", "foo"));
        assert!(matches("", "%"));
        assert!(could_descend("foo/", "foo/bar"));
        assert!(could_descend("foo/", "*"));
        assert!(could_descend("foo/", "%/%"));
        assert!(!could_descend("foo/", "foo%"));
        assert!(!could_descend("foo/", "%"));
        assert!(!could_descend("foo/bar/", "%/%"));
        assert!(!could_descend("bar/", "foo/*"));
        // Many wildcards against a long name stay fast (no backtracking blow-up).
        let name = "a".repeat(250);
        assert!(!matches(&name, "*a*a*a*a*a*a*a*a*a*b"));
    }

    fn names(v: &[ListEntry]) -> Vec<(String, Vec<&'static str>)> {
        v.iter()
            .map(|e| (e.name.clone(), e.attributes.names()))
            .collect()
    }

    #[test]
    fn list_walks_the_mail_directory() {
        let e = env();
        e.store.create("a").unwrap();
        e.store.create("d/x").unwrap();
        e.store.create("d/e/y").unwrap();
        e.store.create("empty/").unwrap();
        e.store
            .append("a", &mut vec![msg("s", "b\n")].into_iter().map(Ok))
            .unwrap();
        let top = e.store.list("", "%").unwrap();
        assert_eq!(
            names(&top),
            vec![
                ("a".into(), vec!["\\NoInferiors", "\\Marked"]),
                ("d".into(), vec!["\\NoSelect", "\\HasChildren"]),
                ("empty".into(), vec!["\\NoSelect", "\\HasNoChildren"]),
                ("INBOX".into(), vec!["\\NoInferiors"]),
            ]
        );
        assert_eq!(top[3].delimiter, None);
        let all: Vec<String> = e
            .store
            .list("", "*")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(all, vec!["a", "d", "d/e", "d/e/y", "d/x", "empty", "INBOX"]);
        let sub: Vec<String> = e
            .store
            .list("d/", "%")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(sub, vec!["d/", "d/e", "d/x"]);
        let root = e.store.list("", "").unwrap();
        assert_eq!(root[0].name, "");
        assert_eq!(root[0].delimiter, Some('/'));
        assert!(
            e.store
                .list("", "inbox")
                .unwrap()
                .iter()
                .any(|x| x.name == "INBOX")
        );
        assert!(e.store.list("", &"%".repeat(11)).is_err());
    }

    #[test]
    fn subscriptions_round_trip() {
        let e = env();
        e.store.create("a/b").unwrap();
        e.store.subscribe("a/b").unwrap();
        e.store.subscribe("inbox").unwrap();
        assert_eq!(
            e.store.subscribe("a/b").unwrap_err().to_string(),
            "Already subscribed to mailbox a/b"
        );
        assert!(matches!(
            e.store.subscribe("nope"),
            Err(Error::NoSuchMailbox { .. })
        ));
        assert_eq!(
            fs::read_to_string(e.home().join(".mailboxlist")).unwrap(),
            "a/b\nINBOX\n"
        );
        assert_eq!(names(&e.store.lsub("", "*").unwrap()).len(), 2);
        let uppers = e.store.lsub("", "%").unwrap();
        assert_eq!(
            names(&uppers),
            vec![
                ("a".into(), vec!["\\NoSelect"]),
                ("INBOX".into(), vec!["\\NoInferiors"])
            ]
        );
        e.store.unsubscribe("a/b").unwrap();
        assert_eq!(
            e.store.unsubscribe("a/b").unwrap_err().to_string(),
            "Not subscribed to mailbox a/b"
        );
        assert_eq!(e.store.subscriptions().unwrap(), vec!["INBOX"]);
    }
}
