//! Who may log in, and where their mail is.
//!
//! An [`Authenticator`] checks credentials and gives the [`Account`]: the user's name and
//! the configuration of their mail store. [`VirtualUsers`] is the backend of the daemon's
//! virtual-user mode (and the quick start): users in a file of `name:hash` lines, where the
//! hash is anything the system's `crypt(3)` makes (yescrypt, SHA-512, bcrypt, MD5); their
//! mail in `<data_dir>/mail/<name>/`, INBOX being the file `INBOX` there. Fields after the
//! hash are ignored, except `admin=true`, which makes the user a mail administrator who
//! may log in as anyone (`user*admin`, or a SASL authorization identity).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use mailstore::config::{MboxInbox, StoreConfig};
use mailstore::notify::Notify;

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct Account {
    /// The user name.
    pub user: String,
    /// Their mail store.
    pub store: StoreConfig,
}

/// Checks credentials.
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// The account, if `password` is `user`'s.
    fn login(&self, user: &str, password: &[u8]) -> Option<Account>;

    /// The account of `user`, whose identity something else proved (CRAM-MD5 against
    /// the secrets file).
    fn account_of(&self, user: &str) -> Option<Account>;

    /// Where `user`'s Kerberos authorization file `~/.k5login` would be, and the user id
    /// that may own it, looked up without becoming the user (system accounts only).
    fn k5login_of(&self, user: &str) -> Option<(std::path::PathBuf, u32)> {
        let _ = user;
        None
    }

    /// The anonymous user's account (FAQ 4.1: read-only, `#ftp/`, `#public/` and
    /// `#news.` only), if this backend has one.
    fn anonymous(&self) -> Option<Account> {
        None
    }

    /// The account of `user`, when `password` is `admin`'s and `admin` is a mail
    /// administrator (UW's `user*admin` and SASL authorization identities,
    /// panda-inventory.md §8.4).
    fn login_as_admin(&self, user: &str, admin: &str, password: &[u8]) -> Option<Account> {
        let _ = (user, admin, password);
        None
    }

    /// What the client should be told about the account that just logged in with a
    /// password (the password or the account expires soon); each alert is given once.
    fn take_alerts(&self) -> Vec<Alert> {
        Vec::new()
    }
}

/// A line for the client's user, sent as an untagged `[ALERT]` after a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// How it is sent.
    pub level: AlertLevel,
    /// The text (after `[ALERT] `).
    pub text: String,
}

/// How an [`Alert`] is sent (c-client's `mm_notify` levels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertLevel {
    /// `* OK [ALERT] …`.
    Notice,
    /// `* NO [ALERT] …` (c-client's WARN).
    Warning,
}

/// Whether a user may act for others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    /// Only for themselves.
    #[default]
    User,
    /// For anyone (UW's group `mailadm`).
    Admin,
}

/// Checks a plaintext login as UW's `server_login` does: `user*admin` is the mail
/// administrator `admin` acting for `user` with their own password; any other name is
/// checked by [`login_as_uw`].
pub fn plaintext_login(auth: &dyn Authenticator, login: &str, password: &[u8]) -> Option<Account> {
    match split_admin(login) {
        Some((user, admin)) => auth.login_as_admin(user, admin, password),
        None => login_as_uw(auth, login, password),
    }
}

/// Splits UW's `user*admin` login name; `None` when there is no `*`.
pub fn split_admin(login: &str) -> Option<(&str, &str)> {
    login
        .split_once('*')
        .filter(|(u, a)| !u.is_empty() && !a.is_empty())
}

/// Secrets by user.
type Secrets = HashMap<String, Vec<u8>>;

/// Checks a password as UW does: as given, then without a leading space (a broken
/// client's habit), then with the user name in lower case.
pub fn login_as_uw(auth: &dyn Authenticator, user: &str, password: &[u8]) -> Option<Account> {
    auth.login(user, password)
        .or_else(|| {
            password
                .strip_prefix(b" ")
                .and_then(|p| auth.login(user, p))
        })
        .or_else(|| {
            let lower = user.to_lowercase();
            (lower != user)
                .then(|| auth.login(&lower, password))
                .flatten()
        })
}

/// A SASL login with a password (PLAIN, LOGIN): as [`login_as_uw`], or, when `authzid`
/// names someone other than `user`, `user` acting as `authzid` with an administrator's
/// rights.
pub fn login_with_password(
    auth: &dyn Authenticator,
    authzid: Option<&str>,
    user: &str,
    password: &[u8],
) -> Option<Account> {
    match authzid {
        Some(z) if z != user => auth.login_as_admin(z, user, password),
        _ => login_as_uw(auth, user, password),
    }
}

/// A CRAM-MD5 login: `user`'s account, if `cram` has a secret for `user` and `digest` is
/// the HMAC-MD5 of `challenge` under it.
pub fn login_with_cram_md5(
    cram: Option<&CramSecrets>,
    auth: &dyn Authenticator,
    user: &str,
    challenge: &[u8],
    digest: &[u8],
) -> Option<Account> {
    cram.and_then(|c| c.secret_of(user))
        .is_some_and(|s| sasl::cram_md5_matches(&s, challenge, digest))
        .then(|| auth.account_of(user))
        .flatten()
}

/// A CRAM-MD5 challenge as c-client makes it: `<random.time@host>`.
pub fn cram_md5_challenge(host: &str) -> Vec<u8> {
    let mut r = [0u8; 8];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut r))
        .map(|()| u64::from_le_bytes(r))
        .unwrap_or_else(|_| {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("<{random}.{now}@{host}>").into_bytes()
}

/// CRAM-MD5 shared secrets: UW's `/etc/cram-md5.pwd` format (panda-inventory.md §8.3),
/// one `user<TAB>secret` per line, `#` comments. The file should be mode 0400.
#[derive(Debug)]
pub struct CramSecrets {
    file: PathBuf,
    cache: Mutex<Option<(SystemTime, Secrets)>>,
}

impl CramSecrets {
    /// Secrets from `file`.
    pub fn new(file: &Path) -> Self {
        CramSecrets {
            file: file.to_owned(),
            cache: Mutex::new(None),
        }
    }

    /// Whether the file exists (CRAM-MD5 is offered only then, as UW).
    pub fn available(&self) -> bool {
        self.file.is_file()
    }

    /// `user`'s secret (the file is read again when it changes).
    pub fn secret_of(&self, user: &str) -> Option<Vec<u8>> {
        let mtime = std::fs::metadata(&self.file)
            .and_then(|m| m.modified())
            .ok()?;
        let mut cache = self.cache.lock().ok()?;
        if cache.as_ref().is_none_or(|(t, _)| *t != mtime) {
            let text = std::fs::read(&self.file).ok()?;
            let map = text
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty() && l[0] != b'#')
                .filter_map(|l| {
                    let l = l.strip_suffix(b"\r").unwrap_or(l);
                    let tab = l.iter().position(|&b| b == b'\t')?;
                    Some((
                        String::from_utf8_lossy(&l[..tab]).into_owned(),
                        l[tab + 1..].to_vec(),
                    ))
                })
                .collect();
            *cache = Some((mtime, map));
        }
        cache.as_ref()?.1.get(user).cloned()
    }
}

/// Users from a `name:crypt-hash` file, with mail under a data directory.
#[derive(Debug)]
pub struct VirtualUsers {
    users_file: PathBuf,
    data_dir: PathBuf,
    hostname: String,
    notify: Arc<dyn Notify>,
    cache: Mutex<Option<(SystemTime, HashMap<String, UserEntry>)>>,
    mailbox_format: mailstore::Format,
    namespace_dirs: mailstore::config::NamespaceDirs,
}

/// One line of the users file.
#[derive(Clone, Debug)]
struct UserEntry {
    hash: String,
    role: Role,
}

impl VirtualUsers {
    /// Users from `users_file`, mail under `data_dir/mail`.
    pub fn new(
        users_file: &Path,
        data_dir: &Path,
        hostname: &str,
        notify: Arc<dyn Notify>,
    ) -> Self {
        VirtualUsers {
            users_file: users_file.to_owned(),
            data_dir: data_dir.to_owned(),
            hostname: hostname.to_owned(),
            notify,
            cache: Mutex::new(None),
            mailbox_format: mailstore::Format::Unix,
            namespace_dirs: mailstore::config::NamespaceDirs::default(),
        }
    }

    /// Directories configured for the shared namespaces (none by default: the system
    /// accounts' homes are outside the virtual users' sandbox).
    pub fn with_namespace_dirs(mut self, dirs: mailstore::config::NamespaceDirs) -> Self {
        self.namespace_dirs = dirs;
        self
    }

    /// New mailboxes are created in `format` (c-client's `new-folder-format`).
    pub fn with_mailbox_format(mut self, format: mailstore::Format) -> Self {
        self.mailbox_format = format;
        self
    }

    /// The hash on file for `user`.
    fn hash_of(&self, user: &str) -> Option<String> {
        self.entry_of(user).map(|e| e.hash)
    }

    /// `user`'s line (the file is read again when it changes).
    fn entry_of(&self, user: &str) -> Option<UserEntry> {
        let mtime = std::fs::metadata(&self.users_file)
            .and_then(|m| m.modified())
            .ok()?;
        let mut cache = self.cache.lock().ok()?;
        if cache.as_ref().is_none_or(|(t, _)| *t != mtime) {
            let text = std::fs::read_to_string(&self.users_file).ok()?;
            let users = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter_map(|l| {
                    let (name, rest) = l.split_once(':')?;
                    let mut fields = rest.split(':');
                    let hash = fields.next().unwrap_or(rest).to_owned();
                    let role = if fields.any(|f| f.trim() == "admin=true") {
                        Role::Admin
                    } else {
                        Role::User
                    };
                    Some((name.to_owned(), UserEntry { hash, role }))
                })
                .collect();
            *cache = Some((mtime, users));
        }
        cache.as_ref()?.1.get(user).cloned()
    }

    /// The store of virtual user `user` (a name that could leave the mail directory has
    /// none).
    pub fn account(&self, user: &str) -> Option<Account> {
        if !valid_name(user) {
            return None;
        }
        let home = self.data_dir.join("mail").join(user);
        let mut store = StoreConfig::new(user, &home);
        store.spool = home.join("INBOX");
        store.mbox_inbox = MboxInbox::Disabled;
        store.hostname = self.hostname.clone();
        store.state_dir = Some(self.data_dir.join("state").join(user));
        store.notify = Arc::clone(&self.notify);
        store.restrict = mailstore::config::Restrict::All;
        // The system accounts' homes are outside the sandbox of virtual users.
        store.shared_namespaces = mailstore::config::SharedNamespaces::Disabled;
        store.create_format = self.mailbox_format;
        store.namespace_dirs = self.namespace_dirs.clone();
        // tenex and mtx mailboxes start as empty files, which take the format at the
        // first append (c-client's empty-folder-format).
        if matches!(
            self.mailbox_format,
            mailstore::Format::Tenex | mailstore::Format::Mtx
        ) {
            store.empty_format = self.mailbox_format;
        }
        Some(Account {
            user: user.to_owned(),
            store,
        })
    }
}

impl Authenticator for VirtualUsers {
    fn login(&self, user: &str, password: &[u8]) -> Option<Account> {
        let hash = self.hash_of(user)?;
        if !sysuser::crypt::verify(password, &hash) {
            return None;
        }
        self.account_of(user)
    }

    /// The anonymous user of virtual mode: no drop of privileges (the daemon already runs
    /// as the mail account), only the namespaces configured (`#news.`, and `#ftp/` and
    /// `#public/` where directories are set for them).
    fn anonymous(&self) -> Option<Account> {
        let home = self.data_dir.join("anonymous");
        let mut store = StoreConfig::new("anonymous", &home);
        store.spool = home.join("INBOX");
        store.mbox_inbox = MboxInbox::Disabled;
        store.hostname = self.hostname.clone();
        store.state_dir = None;
        store.notify = Arc::clone(&self.notify);
        store.restrict = mailstore::config::Restrict::All;
        store.shared_namespaces = mailstore::config::SharedNamespaces::Disabled;
        store.namespace_dirs = self.namespace_dirs.clone();
        store.user_kind = mailstore::config::UserKind::Anonymous;
        Some(Account {
            user: "ANONYMOUS".into(),
            store,
        })
    }

    /// `admin` must have `admin=true` on its line of the users file.
    fn login_as_admin(&self, user: &str, admin: &str, password: &[u8]) -> Option<Account> {
        let entry = self.entry_of(admin)?;
        if entry.role != Role::Admin || !sysuser::crypt::verify(password, &entry.hash) {
            return None;
        }
        self.account_of(user)
    }

    fn account_of(&self, user: &str) -> Option<Account> {
        self.hash_of(user)?;
        let account = self.account(user)?;
        let _ = std::fs::create_dir_all(&account.store.home);
        Some(account)
    }
}

/// Whether a user name is safe as a directory name: printable, no `/`, not `.` or `..`.
fn valid_name(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= 64
        && user != "."
        && user != ".."
        && user
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'\\' && b != b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_file() {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("users");
        let hash = sysuser::crypt::hash(b"pw", "$y$").unwrap();
        std::fs::write(&users, format!("# users\ndemo:{hash}\nlocked:!x\n")).unwrap();
        let v = VirtualUsers::new(&users, dir.path(), "h", Arc::new(mailstore::notify::Silent));
        let a = v.login("demo", b"pw").unwrap();
        assert_eq!(a.store.home, dir.path().join("mail/demo"));
        assert_eq!(a.store.spool, dir.path().join("mail/demo/INBOX"));
        assert!(v.login("demo", b"wrong").is_none());
        assert!(v.login("locked", b"x").is_none());
        assert!(v.login("nobody", b"pw").is_none());
        assert!(v.account("../etc").is_none());
        assert!(v.account_of("demo").is_some());
        assert!(v.account_of("nobody").is_none());
    }

    #[test]
    fn new_mailboxes_take_the_configured_format() {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("users");
        let hash = sysuser::crypt::hash(b"pw", "$y$").unwrap();
        std::fs::write(&users, format!("demo:{hash}\n")).unwrap();
        for format in [
            mailstore::Format::Mix,
            mailstore::Format::Mbx,
            mailstore::Format::Tenex,
            mailstore::Format::Maildir,
        ] {
            let v = VirtualUsers::new(&users, dir.path(), "h", Arc::new(mailstore::notify::Silent))
                .with_mailbox_format(format);
            let store = mailstore::Store::new(v.login("demo", b"pw").unwrap().store);
            let name = format!("box-{}", format.name());
            store.create(&name).unwrap();
            let msg = mailstore::AppendMessage {
                data: b"Subject: x\r\n\r\ny\r\n".to_vec(),
                flags: mailstore::Flags::EMPTY,
                keywords: Vec::new(),
                date: None,
            };
            store.append(&name, &mut std::iter::once(Ok(msg))).unwrap();
            assert_eq!(store.format_of(&name).unwrap(), Some(format));
            assert_eq!(store.status(&name).unwrap().messages, 1);
        }
    }

    #[test]
    fn administrators_act_for_others() {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("users");
        let hash = sysuser::crypt::hash(b"pw", "$y$").unwrap();
        std::fs::write(
            &users,
            format!("alice:{hash}\nboss:{hash}:admin=true\nplain:{hash}:admin=false\n"),
        )
        .unwrap();
        let v = VirtualUsers::new(&users, dir.path(), "h", Arc::new(mailstore::notify::Silent));
        let a = v.login_as_admin("alice", "boss", b"pw").unwrap();
        assert_eq!(a.user, "alice");
        assert!(v.login_as_admin("alice", "boss", b"wrong").is_none());
        assert!(v.login_as_admin("alice", "plain", b"pw").is_none());
        assert!(v.login_as_admin("nobody", "boss", b"pw").is_none());
        assert!(v.login("boss", b"pw").is_some());
        assert_eq!(split_admin("alice*boss"), Some(("alice", "boss")));
        assert_eq!(split_admin("alice"), None);
        assert_eq!(split_admin("*boss"), None);
        let anon = v.anonymous().unwrap();
        assert_eq!(anon.store.user_kind, mailstore::config::UserKind::Anonymous);
    }

    #[test]
    fn cram_secrets_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("cram-md5.pwd");
        let c = CramSecrets::new(&f);
        assert!(!c.available());
        std::fs::write(&f, "# secrets\ndemo\ttanstaaftanstaaf\nother\tx y\n").unwrap();
        assert!(c.available());
        assert_eq!(c.secret_of("demo").unwrap(), b"tanstaaftanstaaf");
        assert_eq!(c.secret_of("other").unwrap(), b"x y");
        assert!(c.secret_of("nobody").is_none());
    }
}
