//! The namespaces a user has (RFC 2342 NAMESPACE; panda-inventory.md §4.5).
//!
//! As Panda answers for a user of an open (not black-box) system:
//!
//! | kind        | namespaces                                                       |
//! |-------------|------------------------------------------------------------------|
//! | personal    | `""` `/`, then `#mhinbox` (no delimiter) and `#mh/` `/`            |
//! | other users | `~` `/`                                                          |
//! | shared      | `#shared/` `/`, `#ftp/` `/`, `#news.` `.`, `#public/` `/`            |
//!
//! The anonymous user has no personal or other users' namespace, and no `#shared/`.
//!
//! Panda names every namespace whatever exists; this store names only those a client can
//! use here: MH when `~/.mh_profile` gives a root, news when the active file can be read,
//! each shared namespace when its account's home is a directory, other users when
//! `~user` names are not restricted.

use crate::config::{SharedNamespace, UserKind};
use crate::list::DELIMITER;
use crate::store::Store;

/// One namespace: its prefix and hierarchy delimiter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// The prefix of its names (`#public/`).
    pub prefix: String,
    /// The hierarchy delimiter (none for `#mhinbox`, which is a single name).
    pub delimiter: Option<char>,
}

/// The three lists of NAMESPACE.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Namespaces {
    /// The user's own.
    pub personal: Vec<Namespace>,
    /// Other users'.
    pub other_users: Vec<Namespace>,
    /// Shared ones.
    pub shared: Vec<Namespace>,
}

impl Namespace {
    fn new(prefix: &str, delimiter: Option<char>) -> Self {
        Namespace {
            prefix: prefix.to_owned(),
            delimiter,
        }
    }
}

impl Store {
    /// The namespaces this user has (see the [module](self) documentation).
    pub fn namespaces(&self) -> Namespaces {
        let cfg = self.config();
        let anonymous = cfg.user_kind == UserKind::Anonymous;
        let mut personal = Vec::new();
        if !anonymous {
            personal.push(Namespace::new("", Some(DELIMITER)));
            if crate::driver::mh::root(&cfg.home).is_some() {
                personal.push(Namespace::new("#mhinbox", None));
                personal.push(Namespace::new("#mh/", Some(DELIMITER)));
            }
        }
        let other_users = if anonymous || cfg.restrict.other_users() {
            Vec::new()
        } else {
            vec![Namespace::new("~", Some(DELIMITER))]
        };
        let has = |ns: SharedNamespace| cfg.shared_home(ns).is_some_and(|h| h.is_dir());
        let mut shared = Vec::new();
        for ns in SharedNamespace::ALL {
            if has(ns) {
                shared.push(Namespace::new(ns.prefix(), Some(DELIMITER)));
            }
            if ns == SharedNamespace::Ftp && std::fs::metadata(&cfg.news_active).is_ok() {
                shared.push(Namespace::new("#news.", Some('.')));
            }
        }
        Namespaces {
            personal,
            other_users,
            shared,
        }
    }
}
