//! Mailbox names and where they lead (c-client `mailboxfile`, panda-inventory.md §4.1).
//!
//! | name                | file                                                    |
//! |---------------------|---------------------------------------------------------|
//! | `INBOX` (any case)  | chosen by the formats: `~/mbox`, else the spool file    |
//! | `foo/bar`           | `<mail dir>/foo/bar` (the home, or its mail subdirectory)|
//! | `~/foo`             | `<mail dir>/foo`                                        |
//! | `~user/foo`         | `<user's home>[/<mail subdirectory>]/foo`               |
//! | `/abs/path`         | itself                                                  |
//! | `#ftp/foo`          | `<home of account ftp>/foo` (files 0644, dirs 0755)      |
//! | `#public/foo`       | `<home of account imappublic>/foo` (0666, 0777)          |
//! | `#shared/foo`       | `<home of account imapshared>/foo` (0660, 0770)          |
//! | `#driver.mbx/foo`   | `foo`, made in format `mbx` (CREATE and APPEND only)    |
//!
//! A trailing `/` names a directory (CREATE makes a directory, not a mailbox). Names are
//! at most 256 bytes; CR, LF and NUL are refused.
//!
//! A shared namespace exists only when its account does ([`StoreConfig::shared_home`]);
//! its names may never hold `..`, `//` or `/~` (c-client treats every `#` name as
//! restricted), and `#public/INBOX` is spelt so whatever the case.
//!
//! Restrictions (c-client `restrict-mailbox-access`, FAQ 5.1, panda-inventory.md §4.3):
//! any level refuses `..`, `//` and `/~`; `root` refuses absolute names outside the
//! user's mail directory (the spool INBOX excepted) and homes that are the filesystem
//! root; `otherusers` refuses `~user`. Under `root`, and always in a shared namespace,
//! the deepest existing directory of the file must lie, symbolic links followed, inside
//! the directory the name is confined to: a link out of it is refused. That check reads
//! the filesystem (it never writes).
//!
//! The anonymous user ([`UserKind::Anonymous`], FAQ 4.1) has only `#ftp/`, `#public/`
//! and `#news.`: INBOX, plain names, `~user` and absolute names are refused (Panda gives
//! anonymous an INBOX of its own under the spool; here there is none), and `#shared/`
//! does not exist for it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::{Format, Restrict, SharedNamespace, StoreConfig, UserKind};
use crate::error::{Error, Result};

/// The longest mailbox name (c-client NETMAXMBX).
pub const MAX_NAME_LEN: usize = 256;

/// Where a mailbox name leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The name in canonical form (`INBOX` upper-cased).
    pub name: String,
    /// The file it names.
    pub target: Target,
}

/// The file a name leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// INBOX: which file depends on what exists (`~/mbox` or the spool).
    Inbox,
    /// A path.
    File(PathBuf),
}

impl Location {
    /// Whether this is INBOX.
    pub fn is_inbox(&self) -> bool {
        self.target == Target::Inbox
    }

    /// The shared namespace the name is in, if any.
    pub fn shared_namespace(&self) -> Option<SharedNamespace> {
        SharedNamespace::split(&self.name).map(|(ns, _)| ns)
    }
}

/// Whether `name` is INBOX (ASCII case ignored).
pub fn is_inbox(name: &str) -> bool {
    name.eq_ignore_ascii_case("INBOX")
}

/// Resolves a mailbox name for user configuration `cfg`.
pub fn resolve(cfg: &StoreConfig, name: &str) -> Result<Location> {
    if name.is_empty() {
        return Err(Error::invalid_name(name, "empty name"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::invalid_name(name, "name too long"));
    }
    if name.contains(['\r', '\n', '\0']) {
        return Err(Error::invalid_name(name, "name contains CR, LF or NUL"));
    }
    if name.starts_with('{') {
        return Err(Error::invalid_name(
            name,
            "remote names are not local mailboxes",
        ));
    }
    if cfg.user_kind == UserKind::Anonymous && !anonymous_may_use(name) {
        return Err(Error::invalid_name(
            name,
            "not available to anonymous users",
        ));
    }
    if is_inbox(name) {
        return Ok(Location {
            name: "INBOX".into(),
            target: Target::Inbox,
        });
    }
    if let Some((ns, rest)) = SharedNamespace::split(name) {
        return shared(cfg, name, ns, rest);
    }
    if cfg.restrict != Restrict::None && escapes(name) {
        return Err(Error::invalid_name(name, "restricted name"));
    }
    let path = match name.as_bytes()[0] {
        b'#' => match crate::driver::mh::name_path(cfg, name)?
            .or(crate::driver::news::name_path(cfg, name)?)
        {
            Some(p) => p,
            None => return Err(Error::invalid_name(name, "unknown namespace")),
        },
        b'/' if cfg.restrict.root() => {
            let own = cfg.mail_dir();
            let p = PathBuf::from(name);
            if p != cfg.spool && !p.starts_with(&own) {
                return Err(Error::invalid_name(name, "restricted name"));
            }
            p
        }
        b'~' if cfg.restrict.other_users() && !name.starts_with("~/") => {
            return Err(Error::invalid_name(name, "restricted name"));
        }
        b'/' => PathBuf::from(name),
        b'~' => {
            let rest = &name[1..];
            match rest.split_once('/') {
                _ if rest.is_empty() => {
                    return Err(Error::invalid_name(name, "no user name after ~"));
                }
                Some(("", tail)) => cfg.mail_dir().join(tail),
                Some((user, tail)) => other_user(cfg, name, user)?.join(canon_inbox(tail)),
                None => other_user(cfg, name, rest)?,
            }
        }
        _ => cfg.mail_dir().join(name),
    };
    // The user's own names (not `#mh/`, `#news.` or `~user`) stay in their mail directory.
    let own = !name.starts_with('#') && (!name.starts_with('~') || name.starts_with("~/"));
    if cfg.restrict.root() && own && path != cfg.spool {
        confine(name, &cfg.mail_dir(), &path)?;
    }
    Ok(Location {
        name: name.to_owned(),
        target: Target::File(keep_trailing_slash(path, name)),
    })
}

/// Whether the anonymous user may use `name`: only names in `#ftp/`, `#public/` (whose
/// homes [`StoreConfig::shared_home`] gives) and `#news.`, none holding `..`, `//` or `/~`.
fn anonymous_may_use(name: &str) -> bool {
    let news = name
        .get(..6)
        .is_some_and(|head| head.eq_ignore_ascii_case("#news."));
    let shared = matches!(
        SharedNamespace::split(name),
        Some((SharedNamespace::Ftp | SharedNamespace::Public, _))
    );
    (news || shared) && !escapes(name)
}

/// Splits `#driver.NAME/rest` into the format and the rest; `None` for other names.
pub fn driver_prefix(name: &str) -> Result<Option<(Format, &str)>> {
    let Some(head) = name.get(..8) else {
        return Ok(None);
    };
    if !head.eq_ignore_ascii_case("#driver.") {
        return Ok(None);
    }
    let rest = &name[8..];
    let Some(cut) = rest.find(['/', '\\', ':']).filter(|&c| c > 0) else {
        return Err(Error::invalid_name(name, "bad driver syntax"));
    };
    match Format::from_name(&rest[..cut].to_ascii_lowercase()) {
        Some(f) => Ok(Some((f, &rest[cut + 1..]))),
        None => Err(Error::UnsupportedFormat {
            format: rest[..cut].to_owned(),
        }),
    }
}

/// The shared namespace `ns` this name is in, whose part after the prefix is `rest`.
fn shared(cfg: &StoreConfig, name: &str, ns: SharedNamespace, rest: &str) -> Result<Location> {
    if escapes(name) {
        return Err(Error::invalid_name(name, "restricted name"));
    }
    let home = cfg
        .shared_home(ns)
        .ok_or_else(|| Error::invalid_name(name, "unknown namespace"))?;
    let rest = canon_inbox(rest);
    let path = keep_trailing_slash(home.join(rest), name);
    confine(name, &home, &path)?;
    Ok(Location {
        name: format!("{}{rest}", ns.prefix()),
        target: Target::File(path),
    })
}

/// Whether `name` holds `..`, `//` or `/~`, which could leave where it is confined to.
fn escapes(name: &str) -> bool {
    name.contains("..") || name.contains("//") || name.contains("/~")
}

/// Refuses `path` when its deepest existing directory (symbolic links followed) is not
/// inside `root` (also resolved): a link that leads out of where the name is confined.
fn confine(name: &str, root: &Path, path: &Path) -> Result<()> {
    let Ok(root) = fs::canonicalize(root) else {
        // Nothing exists there yet, so nothing there can be a link.
        return Ok(());
    };
    let deepest = path
        .ancestors()
        .find_map(|p| fs::canonicalize(p).ok())
        .unwrap_or_default();
    if deepest.starts_with(&root) {
        Ok(())
    } else {
        Err(Error::invalid_name(
            name,
            "restricted name (a link leads outside)",
        ))
    }
}

fn other_user(cfg: &StoreConfig, name: &str, user: &str) -> Result<PathBuf> {
    let home = cfg
        .homes
        .home_of(user)
        .ok_or_else(|| Error::invalid_name(name, "no such user"))?;
    if cfg.restrict.root() && home == Path::new("/") {
        return Err(Error::invalid_name(name, "restricted name"));
    }
    Ok(match &cfg.mail_subdir {
        Some(sub) => home.join(sub),
        None => home,
    })
}

fn canon_inbox(tail: &str) -> &str {
    if is_inbox(tail) { "INBOX" } else { tail }
}

/// `Path::join` drops a trailing slash's meaning; keep it, as it says "directory".
fn keep_trailing_slash(path: PathBuf, name: &str) -> PathBuf {
    if name.ends_with('/') && !path.as_os_str().to_string_lossy().ends_with('/') {
        let mut s = path.into_os_string();
        s.push("/");
        PathBuf::from(s)
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Homes;

    #[derive(Debug)]
    struct FakeHomes;

    impl Homes for FakeHomes {
        fn home_of(&self, user: &str) -> Option<PathBuf> {
            match user {
                "fred" => Some(PathBuf::from("/home/fred")),
                "imappublic" => Some(PathBuf::from("/srv/public")),
                "ftp" => Some(PathBuf::from("/")),
                _ => None,
            }
        }
    }

    fn cfg() -> StoreConfig {
        let mut c = StoreConfig::new("me", "/home/me");
        c.homes = Arc::new(FakeHomes);
        c
    }

    fn file(name: &str) -> PathBuf {
        match resolve(&cfg(), name).unwrap().target {
            Target::File(p) => p,
            Target::Inbox => panic!("{name} is INBOX"),
        }
    }

    #[test]
    fn names_map_to_files() {
        assert!(resolve(&cfg(), "inBox").unwrap().is_inbox());
        assert_eq!(resolve(&cfg(), "inBox").unwrap().name, "INBOX");
        assert_eq!(file("foo/bar"), PathBuf::from("/home/me/foo/bar"));
        assert_eq!(file("~/foo"), PathBuf::from("/home/me/foo"));
        assert_eq!(file("~fred/x"), PathBuf::from("/home/fred/x"));
        assert_eq!(file("~fred/inbox"), PathBuf::from("/home/fred/INBOX"));
        assert_eq!(file("~fred"), PathBuf::from("/home/fred"));
        assert_eq!(file("/var/tmp/x"), PathBuf::from("/var/tmp/x"));
        assert_eq!(file("dir/"), PathBuf::from("/home/me/dir/"));
        let mut c = cfg();
        c.mail_subdir = Some("Mail".into());
        assert_eq!(
            resolve(&c, "a").unwrap().target,
            Target::File("/home/me/Mail/a".into())
        );
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in [
            "",
            "{host}INBOX",
            "a\nb",
            "a\rb",
            "~",
            "~nobody/x",
            "#news.comp",
        ] {
            assert!(resolve(&cfg(), bad).is_err(), "{bad:?} accepted");
        }
        assert!(resolve(&cfg(), &"x".repeat(257)).is_err());
        assert!(resolve(&cfg(), &"x".repeat(256)).is_ok());
    }

    #[test]
    fn restrictions_refuse_escapes() {
        let mut c = cfg();
        c.restrict = Restrict::All;
        for bad in [
            "../x",
            "a/../../b",
            "a//b",
            "a/~b",
            "/etc/passwd",
            "~fred/x",
            "/home/mex",
        ] {
            assert!(resolve(&c, bad).is_err(), "{bad:?} accepted");
        }
        for good in ["a/b", "~/a", "/home/me/a", "/var/mail/me", "INBOX"] {
            assert!(resolve(&c, good).is_ok(), "{good:?} refused");
        }
        c.restrict = Restrict::OtherUsers;
        assert!(resolve(&c, "/var/tmp/x").is_ok());
        assert!(resolve(&c, "~fred/x").is_err());
        c.restrict = Restrict::Root;
        assert!(resolve(&c, "~fred/x").is_ok());
        assert!(resolve(&c, "/var/tmp/x").is_err());
    }

    #[test]
    fn shared_namespaces() {
        assert_eq!(file("#public/a/b"), PathBuf::from("/srv/public/a/b"));
        assert_eq!(file("#PuBlIc/x"), PathBuf::from("/srv/public/x"));
        assert_eq!(file("#public/"), PathBuf::from("/srv/public/"));
        let inbox = resolve(&cfg(), "#public/inbox").unwrap();
        assert_eq!(inbox.name, "#public/INBOX");
        assert_eq!(inbox.shared_namespace(), Some(SharedNamespace::Public));
        assert_eq!(resolve(&cfg(), "a").unwrap().shared_namespace(), None);
        // No imapshared account; ftp's home is the filesystem root: both absent.
        for bad in [
            "#shared/x",
            "#ftp/etc/passwd",
            "#public/../x",
            "#public//x",
            "#public/a/~b",
            "#publicx",
        ] {
            assert!(resolve(&cfg(), bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            SharedNamespace::split("#Shared/a/b"),
            Some((SharedNamespace::Shared, "a/b"))
        );
        assert_eq!(SharedNamespace::split("#sharedx"), None);
        assert_eq!(SharedNamespace::split("#ftp"), None);
    }

    #[test]
    fn mh_and_news_namespaces() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = StoreConfig::new("me", dir.path());
        c.news_active = dir.path().join("active");
        c.news_spool = dir.path().join("spool");
        // No ~/.mh_profile: MH names are disabled, as in c-client.
        assert!(resolve(&c, "#mh/x").is_err());
        std::fs::write(dir.path().join(".mh_profile"), "Path: Mail\n").unwrap();
        std::fs::write(dir.path().join("active"), "comp.x 2 1 y\n").unwrap();
        let at = |name: &str| resolve(&c, name).unwrap().target;
        assert_eq!(at("#mh/a/b"), Target::File(dir.path().join("Mail/a/b")));
        assert_eq!(at("#MHinbox"), Target::File(dir.path().join("Mail/inbox")));
        assert_eq!(
            at("#news.comp.x"),
            Target::File(dir.path().join("spool/comp/x"))
        );
        for bad in ["#mh/1", "#news.comp.y", "#other"] {
            assert!(resolve(&c, bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn driver_prefixes() {
        assert_eq!(
            driver_prefix("#driver.unix/foo").unwrap(),
            Some((Format::Unix, "foo"))
        );
        assert_eq!(
            driver_prefix("#DRIVER.Unix/a/b").unwrap(),
            Some((Format::Unix, "a/b"))
        );
        assert_eq!(driver_prefix("foo").unwrap(), None);
        assert!(driver_prefix("#driver.unix").is_err());
        assert!(driver_prefix("#driver.bogus/x").is_err());
    }
}
