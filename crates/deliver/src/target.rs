//! Delivering a prepared message to the running user's mailboxes: a `+folder`, an
//! alternative INBOX (`tmail -I`), or INBOX, created if need be (UW's `deliver()`,
//! `ibxpath()` and `deliver_safely()`).
//!
//! INBOX is wherever the store finds it (a home-directory format's `~/INBOX`, `~/mbox`, or
//! the spool file), and mail is appended in that mailbox's own format, under the same locks
//! every other reader and writer of it takes ([`mailstore::lock`]). When there is no INBOX
//! yet, it is made in the format asked for (`tmail -b`) or the store's format for new
//! mailboxes, where that format keeps INBOX: the spool file for unix and mmdf, `~/mbox`
//! for mbox, `~/INBOX` for the others.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mailstore::config::Format;
use mailstore::name::Target;
use mailstore::{Access, AppendMessage, Close, Flags, Keyword, Store};
use server::log::Level;

use crate::report::{Report, describe};
use crate::safety::{self, Owner};
use crate::sysexits::Exit;

/// A recipient `user[+folder]` split in two; an empty folder, or INBOX, is no folder.
pub fn split_recipient(recipient: &str) -> (&str, Option<&str>) {
    match recipient.split_once('+') {
        Some((u, f)) if f.is_empty() || f.eq_ignore_ascii_case("INBOX") => (u, None),
        Some((u, f)) => (u, Some(f)),
        None => (recipient, None),
    }
}

/// Which `+folder` names are accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderNames {
    /// Names in the user's own directory only (tmail, which runs privileged): no `#`.
    Own,
    /// Namespace names too (`#mh/`, `#shared/`, …: dmail, which runs as the user).
    WithNamespaces,
}

/// Keywords asked for (`dmail -k`): set only where the mailbox already defines them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keywords(pub Vec<Keyword>);

/// One delivery: the user's store and the rules of the program delivering.
#[derive(Debug)]
pub struct Delivery {
    /// The recipient's store (the process is the recipient by now).
    pub store: Store,
    /// Where notices go.
    pub report: Arc<Report>,
    /// Whose the mailbox must be.
    pub owner: Owner,
    /// Which folder names are accepted.
    pub folders: FolderNames,
    /// Flags the message gets (`dmail -s`: `\Seen`).
    pub flags: Flags,
    /// Keywords the message gets.
    pub keywords: Keywords,
}

impl Delivery {
    /// Delivers to `+folder` of `user`; `None` when that cannot be done (the reason has
    /// been given) and the message should go to INBOX instead.
    pub fn to_folder(&self, user: &str, folder: &str, msg: &[u8]) -> Option<Exit> {
        let refused_first: &[char] = match self.folders {
            FolderNames::Own => &['%', '*', '#', '/', '~'],
            FolderNames::WithNamespaces => &['%', '*', '/', '~'],
        };
        let plausible = !folder.starts_with(refused_first)
            && !folder.contains("..")
            && !folder.contains("//")
            && !folder.contains("/~");
        if plausible
            && let Ok(loc) = self.store.resolve(folder)
            && let Target::File(path) = &loc.target
            && self.safely(folder, path, msg) == Exit::Ok
        {
            return Some(Exit::Ok);
        }
        self.report.say(
            Level::Warning,
            &format!("invalid mailbox name {user}+{folder}"),
        );
        self.report.debug("retrying delivery to INBOX");
        None
    }

    /// Delivers to the alternative INBOX `spec` (`tmail -I`): `INBOX`, `#driver.FMT/name`
    /// (`#driver.FMT/` alone: `~/INBOX`), or a name (`mail.txt` is tenex, `INBOX.MTX` mtx
    /// and `mbox` unix). `None` when it does not resolve: the message goes to INBOX.
    pub fn to_inbox_spec(&self, spec: &str, msg: &[u8]) -> Option<Exit> {
        if spec.eq_ignore_ascii_case("INBOX") {
            return None;
        }
        let cfg = self.store.config();
        let resolved = match mailstore::name::driver_prefix(spec) {
            Ok(Some((format, ""))) => Some((Some(format), cfg.home.join("INBOX"))),
            Ok(Some((format, rest))) => self.file_of(rest).map(|p| (Some(format), p)),
            Ok(None) => self.file_of(spec).map(|p| {
                let imputed = match spec {
                    "mail.txt" => Some(Format::Tenex),
                    "INBOX.MTX" => Some(Format::Mtx),
                    "mbox" => Some(Format::Unix),
                    _ => None,
                };
                (imputed, p)
            }),
            Err(_) => {
                self.report.say(
                    Level::Warning,
                    &format!("Unable to resolve driver in {spec}, -I ignored"),
                );
                return None;
            }
        };
        let Some((format, path)) = resolved else {
            self.report.say(
                Level::Warning,
                &format!("Unable to resolve {spec}, -I ignored"),
            );
            return None;
        };
        let name = match format {
            Some(f) => format!("#driver.{}/{}", f.name(), path.display()),
            None => path.display().to_string(),
        };
        if fs::symlink_metadata(&path).is_err() {
            let create = format.unwrap_or(cfg.create_format);
            let made = self
                .store
                .create(&format!("#driver.{}/{}", create.name(), path.display()));
            if let Err(e) = made {
                self.report.say(Level::Error, &describe(&e));
                self.report.say(
                    Level::Warning,
                    &format!("Unable to create {}, -I ignored", path.display()),
                );
                return None;
            }
        }
        Some(self.safely(&name, &path, msg))
    }

    /// Delivers to INBOX, making it (in `create`, else the store's format for new
    /// mailboxes) when there is none.
    pub fn to_inbox(&self, msg: &[u8], create: Option<Format>) -> Exit {
        let (found, format) = match self.store.inbox_file() {
            Ok(f) => f,
            Err(mailstore::Error::UnknownFormat { .. }) => {
                return self.report.fail("unknown format INBOX", Exit::Unavailable);
            }
            Err(e) => {
                self.report.say(Level::Error, &describe(&e));
                return self
                    .report
                    .fail("unable to resolve INBOX path", Exit::CantCreat);
            }
        };
        if format.is_some() {
            return self.safely("INBOX", &found, msg);
        }
        let cfg = self.store.config();
        let format = create.unwrap_or(cfg.create_format);
        let Some((path, made_as)) = inbox_path(cfg, format) else {
            return self.report.fail("unable to resolve INBOX", Exit::CantCreat);
        };
        let name = format!("#driver.{}/INBOX", format.name());
        if fs::symlink_metadata(&path).is_err() {
            self.report.debug(&format!(
                "attempting to create mailbox {name} path {}",
                path.display()
            ));
            let made = self
                .store
                .create(&format!("#driver.{}/{}", made_as.name(), path.display()));
            if let Err(e) = made {
                self.report.say(Level::Error, &describe(&e));
                return self.report.fail("can't create INBOX", Exit::CantCreat);
            }
            self.report.debug(&format!("created {}", path.display()));
        }
        // Append by INBOX when the store now finds it there, else by the file's name.
        let append_name = match self.store.inbox_file() {
            Ok((p, Some(_))) if p == path => "INBOX".to_owned(),
            _ => format!("#driver.{}/{}", made_as.name(), path.display()),
        };
        self.safely(&append_name, &path, msg)
    }

    /// The file a name is, if it is one.
    fn file_of(&self, name: &str) -> Option<PathBuf> {
        match self.store.resolve(name).ok()?.target {
            Target::File(p) => Some(p),
            Target::Inbox => None,
        }
    }

    /// Checks `path`, appends to mailbox `name` (which is `path`), and checks again.
    fn safely(&self, name: &str, path: &Path, msg: &[u8]) -> Exit {
        let md = match safety::check(path, self.owner, &self.report) {
            Ok(md) => md,
            Err(exit) => return exit,
        };
        safety::warn(path, &md, &self.report);
        self.report.debug(&format!(
            "appending to {name} ({} {})",
            if md.is_dir() { "directory" } else { "file" },
            path.display()
        ));
        let message = AppendMessage {
            data: msg.to_vec(),
            flags: self.flags,
            keywords: self.defined_keywords(name),
            date: None,
        };
        let appended = self.store.append(name, &mut std::iter::once(Ok(message)));
        if let Err(e) = appended {
            self.report.say(Level::Error, &describe(&e));
            return self.report.fail(
                &format!("message delivery failed to {}", path.display()),
                Exit::CantCreat,
            );
        }
        self.report
            .say(Level::Info, &format!("delivered to {}", path.display()));
        match safety::check(path, self.owner, &self.report) {
            Ok(_) => Exit::Ok,
            Err(exit) => exit,
        }
    }

    /// The keywords asked for that mailbox `name` already defines (UW sets no others).
    fn defined_keywords(&self, name: &str) -> Vec<Keyword> {
        if self.keywords.0.is_empty() {
            return Vec::new();
        }
        let Ok(mb) = self.store.open(name, Access::ReadOnly) else {
            return Vec::new();
        };
        let defined: Vec<Keyword> = self
            .keywords
            .0
            .iter()
            .filter(|k| mb.keywords().contains(k))
            .cloned()
            .collect();
        let _ = mb.close(Close::Keep);
        defined
    }
}

/// Where INBOX is kept in `format`, and the format to create it in (UW's `ibxpath`);
/// `None` for formats that cannot hold INBOX (mh, news, phile). tenex and mtx INBOX is
/// `~/INBOX`, which c-client also reads as INBOX in those formats (UW's tmail makes
/// `~/mail.txt` and `~/INBOX.MTX`, which our store does not look for).
pub fn inbox_path(cfg: &mailstore::StoreConfig, format: Format) -> Option<(PathBuf, Format)> {
    let dir = cfg.mail_dir();
    Some(match format {
        Format::Unix | Format::Mmdf => (cfg.spool.clone(), format),
        Format::Mbox => (dir.join("mbox"), Format::Unix),
        Format::Mh | Format::News | Format::Phile | Format::Dummy => return None,
        _ => (cfg.home.join("INBOX"), format),
    })
}
