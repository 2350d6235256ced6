//! What a store needs to know about its user and site.
//!
//! Everything c-client fixed at build time or read from `/etc/c-client.cf` that the store
//! itself uses. The defaults are Debian's UW build: mail in the spool file
//! `/var/mail/<user>` and the home directory, new mailboxes in the traditional UNIX format.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;

use crate::driver::unix::format::FromEscape;
use crate::lock::LockSettings;
use crate::notify::{Notify, Silent};

/// A mailbox format the store can read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The traditional UNIX (Berkeley) mailbox: one file, messages after `From ` lines.
    Unix,
    /// INBOX kept as `~/mbox` in UNIX format, fed from the spool file.
    Mbox,
    /// Not a mailbox yet: an empty file, a missing INBOX, or a directory.
    Dummy,
    /// MMDF: as UNIX, with `^A^A^A^A` lines around each message.
    Mmdf,
    /// mbx: one file, a 2048-byte header and a record before each message.
    Mbx,
    /// mix: a directory of index, status, metadata and data files.
    Mix,
    /// mx: a directory with one file per message and an index.
    Mx,
    /// tenex (Columbia MM): one file, a header line before each message, LF line ends.
    Tenex,
    /// mtx (TOPS-20, PC Pine): as tenex with CRLF line ends.
    Mtx,
    /// MH: a directory of numbered message files.
    Mh,
    /// Maildir: `cur/`, `new/` and `tmp/`, one file per message, flags in the file names.
    Maildir,
    /// A news spool directory, read-only.
    News,
    /// Any other file, as one read-only message.
    Phile,
}

impl Format {
    /// Every format, in c-client's order of format detection where it has one.
    pub const ALL: [Format; 13] = [
        Format::Mbox,
        Format::Mix,
        Format::Mx,
        Format::Mbx,
        Format::Tenex,
        Format::Mtx,
        Format::Mh,
        Format::Maildir,
        Format::Mmdf,
        Format::Unix,
        Format::News,
        Format::Phile,
        Format::Dummy,
    ];

    /// The driver name c-client uses (`#driver.unix/…`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Unix => "unix",
            Format::Mbox => "mbox",
            Format::Dummy => "dummy",
            Format::Mmdf => "mmdf",
            Format::Mbx => "mbx",
            Format::Mix => "mix",
            Format::Mx => "mx",
            Format::Tenex => "tenex",
            Format::Mtx => "mtx",
            Format::Mh => "mh",
            Format::Maildir => "maildir",
            Format::News => "news",
            Format::Phile => "phile",
        }
    }

    /// The format whose driver name is `name` (`mbox` as a creation format means `unix`, as
    /// in c-client).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Whether UIDs and keywords are kept in UNIX mailboxes (c-client
/// `disable-unix-UIDs-and-keywords`: "user has no life").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UidMode {
    /// Keep them: the pseudo-message or `X-IMAPbase`, `X-UID`, `X-Keywords` (the default).
    #[default]
    Sticky,
    /// Do not: UIDs are made up afresh at each open and nothing is written for them.
    Disabled,
}

/// Whether INBOX may be `~/mbox` (c-client's `mbox` driver).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MboxInbox {
    /// When `~/mbox` exists, it is INBOX and new mail is moved there from the spool.
    #[default]
    Enabled,
    /// INBOX is always the spool file.
    Disabled,
}

/// Whether LIST shows files whose names start with a dot (c-client `hide-dot-files`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DotFiles {
    /// Show them (the default).
    #[default]
    Show,
    /// Hide them.
    Hide,
}

/// Which names are refused (c-client `restrict-mailbox-access`, panda-inventory.md §4.3).
/// Any restriction also refuses names containing `..`, `//` or `/~`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Restrict {
    /// No restriction (UW's default).
    #[default]
    None,
    /// `root`: absolute names only for the spool INBOX or inside the user's mail
    /// directory.
    Root,
    /// `otherusers`: no `~user` names.
    OtherUsers,
    /// `all`: both (virtual users, who share one system account, always get this).
    All,
}

impl Restrict {
    /// Whether absolute names outside the user's own files are refused.
    pub fn root(self) -> bool {
        matches!(self, Restrict::Root | Restrict::All)
    }

    /// Whether `~user` names are refused.
    pub fn other_users(self) -> bool {
        matches!(self, Restrict::OtherUsers | Restrict::All)
    }
}

/// A shared namespace (panda-inventory.md §4.1, FAQ 4.6): a `#prefix/` whose names are
/// files in the home directory of a system account, made with wider modes than a user's
/// own mailboxes so that the account's group or everyone can share them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SharedNamespace {
    /// `#ftp/`: the home of account `ftp` (anonymous FTP export); files 0644, dirs 0755.
    Ftp,
    /// `#public/`: the home of account `imappublic`; files 0666, dirs 0777.
    Public,
    /// `#shared/`: the home of account `imapshared`; files 0660, dirs 0770. Never for
    /// anonymous users.
    Shared,
}

impl SharedNamespace {
    /// The three, in the order Panda's NAMESPACE lists them (`#news.` goes between
    /// `#ftp/` and `#public/`).
    pub const ALL: [SharedNamespace; 3] = [
        SharedNamespace::Shared,
        SharedNamespace::Ftp,
        SharedNamespace::Public,
    ];

    /// The name prefix, with its delimiter (`#public/`).
    pub fn prefix(self) -> &'static str {
        match self {
            SharedNamespace::Ftp => "#ftp/",
            SharedNamespace::Public => "#public/",
            SharedNamespace::Shared => "#shared/",
        }
    }

    /// The system account whose home directory holds the namespace.
    pub fn account(self) -> &'static str {
        match self {
            SharedNamespace::Ftp => "ftp",
            SharedNamespace::Public => "imappublic",
            SharedNamespace::Shared => "imapshared",
        }
    }

    /// The mode of new mailbox files (c-client `ftp-protection` and so on).
    pub fn file_mode(self) -> u32 {
        match self {
            SharedNamespace::Ftp => 0o644,
            SharedNamespace::Public => 0o666,
            SharedNamespace::Shared => 0o660,
        }
    }

    /// The mode of new directories (c-client `ftp-directory-protection` and so on).
    pub fn dir_mode(self) -> u32 {
        match self {
            SharedNamespace::Ftp => 0o755,
            SharedNamespace::Public => 0o777,
            SharedNamespace::Shared => 0o770,
        }
    }

    /// The namespace `name` is in (its prefix matched without regard to ASCII case), and
    /// the rest of the name; `None` for other names.
    pub fn split(name: &str) -> Option<(SharedNamespace, &str)> {
        Self::ALL.into_iter().find_map(|ns| {
            let p = ns.prefix();
            name.get(..p.len())
                .filter(|head| head.eq_ignore_ascii_case(p))
                .map(|_| (ns, &name[p.len()..]))
        })
    }
}

/// Whether the shared namespaces are looked for (c-client
/// `disable-automatic-shared-namespaces`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SharedNamespaces {
    /// Each exists when its account does (the default).
    #[default]
    Automatic,
    /// None exists (virtual users, whose mail is a sandbox of its own).
    Disabled,
}

/// Directories that stand for the shared namespaces instead of their accounts' homes
/// (c-client's `ftp-export-directory`, `public-home-directory`,
/// `shared-home-directory`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NamespaceDirs {
    /// `#ftp/`.
    pub ftp: Option<PathBuf>,
    /// `#public/`.
    pub public: Option<PathBuf>,
    /// `#shared/`.
    pub shared: Option<PathBuf>,
}

impl NamespaceDirs {
    /// The directory configured for `ns`, if any.
    pub fn of(&self, ns: SharedNamespace) -> Option<&Path> {
        match ns {
            SharedNamespace::Ftp => self.ftp.as_deref(),
            SharedNamespace::Public => self.public.as_deref(),
            SharedNamespace::Shared => self.shared.as_deref(),
        }
    }
}

/// Who the store's user is, as far as names go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UserKind {
    /// A user who logged in as themselves.
    #[default]
    Named,
    /// The anonymous user: no `#shared/`.
    Anonymous,
}

/// Looks up other users' home directories for `~user/…` names.
pub trait Homes: Send + Sync + fmt::Debug {
    /// The home directory of `user`, if there is such a user.
    fn home_of(&self, user: &str) -> Option<PathBuf>;
}

/// Homes from the system's password database (`getpwnam`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemHomes;

impl Homes for SystemHomes {
    fn home_of(&self, user: &str) -> Option<PathBuf> {
        nix::unistd::User::from_name(user)
            .ok()
            .flatten()
            .map(|u| u.dir)
    }
}

/// The configuration of one user's store.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// The login name (used in `From user@host` lines of appended mail).
    pub user: String,
    /// The home directory.
    pub home: PathBuf,
    /// Where mailboxes live, relative to the home (c-client `mail-subdirectory`); none
    /// means the home itself.
    pub mail_subdir: Option<PathBuf>,
    /// The spool file that is INBOX (c-client `sysinbox()`).
    pub spool: PathBuf,
    /// This host's name, for `From ` lines and the pseudo-message.
    pub hostname: String,
    /// The format of mailboxes created without `#driver.`.
    pub create_format: Format,
    /// The format an empty file takes when mail is appended to it without `#driver.`
    /// (c-client's `empty-folder-format`, EMPTYPROTO; unix by default).
    pub empty_format: Format,
    /// How `From ` lines in appended messages are escaped.
    pub from_escape: FromEscape,
    /// Whether UIDs and keywords are kept in UNIX mailboxes.
    pub uids: UidMode,
    /// Whether INBOX may be `~/mbox`.
    pub mbox_inbox: MboxInbox,
    /// How often new mail is moved from the spool to `~/mbox`, and an empty INBOX looks
    /// for mail (c-client's snarf interval, 60 seconds).
    pub snarf_interval: Duration,
    /// Locking tunables.
    pub locks: LockSettings,
    /// Mode of new mailbox files (0600).
    pub mailbox_mode: u32,
    /// Mode of new directories (0700).
    pub dir_mode: u32,
    /// Whether LIST shows dot files.
    pub dot_files: DotFiles,
    /// How deep `*` descends in LIST (c-client `list-maximum-level`, 20).
    pub list_max_level: u32,
    /// The local time zone, for `From ` lines without a zone.
    pub tz: TimeZone,
    /// The store's own directory: caches that spare re-reading unchanged mailboxes
    /// ([`crate::driver::unix::index`]) and the journals of changes under way
    /// ([`crate::journal`]). None turns the caches off and puts journals in the lock
    /// directory.
    pub state_dir: Option<PathBuf>,
    /// Where notices go.
    pub notify: Arc<dyn Notify>,
    /// How `~user` names find homes.
    pub homes: Arc<dyn Homes>,
    /// Which names are refused.
    pub restrict: Restrict,
    /// Whether `#ftp/`, `#public/` and `#shared/` exist.
    pub shared_namespaces: SharedNamespaces,
    /// Whether the user is anonymous: the anonymous user's store is read-only and has
    /// only `#ftp/`, `#public/` and `#news.` (see [`crate::name`]).
    pub user_kind: UserKind,
    /// Directories configured for the shared namespaces.
    pub namespace_dirs: NamespaceDirs,
    /// The news spool, where `#news.comp.mail` is `comp/mail` (c-client NEWSSPOOL).
    pub news_spool: PathBuf,
    /// The news server's active file, listing the groups (c-client ACTIVEFILE).
    pub news_active: PathBuf,
}

impl StoreConfig {
    /// A configuration for `user` with home `home` and the defaults of a Debian UW site:
    /// INBOX is `/var/mail/<user>`.
    pub fn new(user: &str, home: impl Into<PathBuf>) -> Self {
        let locks = LockSettings::default();
        let home = home.into();
        StoreConfig {
            user: user.to_owned(),
            state_dir: Some(home.join(".cache").join("panda-imap")),
            home,
            mail_subdir: None,
            spool: Path::new("/var/mail").join(user),
            hostname: locks.hostname.clone(),
            create_format: Format::Unix,
            empty_format: Format::Unix,
            from_escape: FromEscape::Every,
            uids: UidMode::Sticky,
            mbox_inbox: MboxInbox::Enabled,
            snarf_interval: Duration::from_secs(60),
            locks,
            mailbox_mode: 0o600,
            dir_mode: 0o700,
            dot_files: DotFiles::Show,
            list_max_level: 20,
            tz: TimeZone::try_system().unwrap_or(TimeZone::UTC),
            notify: Arc::new(Silent),
            homes: Arc::new(SystemHomes),
            restrict: Restrict::None,
            shared_namespaces: SharedNamespaces::Automatic,
            user_kind: UserKind::Named,
            namespace_dirs: NamespaceDirs::default(),
            news_spool: PathBuf::from("/var/spool/news"),
            news_active: PathBuf::from("/var/lib/news/active"),
        }
    }

    /// The directory relative names are resolved in (the home, or its mail subdirectory).
    pub fn mail_dir(&self) -> PathBuf {
        match &self.mail_subdir {
            Some(sub) => self.home.join(sub),
            None => self.home.clone(),
        }
    }

    /// The directory of shared namespace `ns`: the one configured for it (c-client's
    /// `ftp-export-directory` and so on), else the home of its account if the namespaces
    /// are automatic and the account exists; never the filesystem root. `#shared/` never
    /// exists for the anonymous user.
    pub fn shared_home(&self, ns: SharedNamespace) -> Option<PathBuf> {
        if ns == SharedNamespace::Shared && self.user_kind == UserKind::Anonymous {
            return None;
        }
        if let Some(dir) = self.namespace_dirs.of(ns) {
            return Some(dir.to_owned()).filter(|h| h.is_absolute() && h != Path::new("/"));
        }
        if self.shared_namespaces == SharedNamespaces::Disabled {
            return None;
        }
        self.homes
            .home_of(ns.account())
            .filter(|h| h.is_absolute() && h != Path::new("/"))
    }

    /// The subscription list, `~/.mailboxlist`.
    pub fn subscriptions_file(&self) -> PathBuf {
        self.home.join(".mailboxlist")
    }

    /// Where journals go: the state directory when it is ours (made mode 0700 if need
    /// be), else the lock directory.
    pub fn journal_dir(&self) -> PathBuf {
        self.own_state_dir()
            .unwrap_or_else(|| self.locks.tmp_dir.clone())
    }

    /// Every directory a journal of ours may be in.
    pub fn journal_dirs(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self.state_dir.iter().cloned().collect();
        v.push(self.locks.tmp_dir.clone());
        v
    }

    /// The state directory, made if missing, if it belongs to this user.
    pub(crate) fn own_state_dir(&self) -> Option<PathBuf> {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt};
        let dir = self.state_dir.as_ref()?;
        if !dir.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .ok()?;
        }
        let m = std::fs::symlink_metadata(dir).ok()?;
        (m.is_dir() && m.uid() == nix::unistd::geteuid().as_raw()).then(|| dir.clone())
    }

    /// `~/mbox`, INBOX when the `mbox` arrangement is in use.
    pub fn mbox_file(&self) -> PathBuf {
        self.mail_dir().join("mbox")
    }
}
