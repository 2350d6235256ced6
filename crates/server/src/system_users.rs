//! System users: the accounts of the host's password database, as UW imapd serves them.
//!
//! The password is checked against `/etc/shadow` (c-client's `ckp_psx`: locked hashes,
//! account expiry and password age refused) or through PAM (c-client's `ckp_pam`, with a
//! session opened). The superuser never logs in (FAQ 7.4). The account's mail is c-client's
//! default layout: the home directory, INBOX in the spool `/var/mail/<user>` moved to
//! `~/mbox` once that exists.
//!
//! With [`Identity::Become`], a successful login makes the process the user before the
//! [`Account`] is returned, so no mailbox is touched as root: `setgid`, `initgroups`,
//! `setuid`, verified (see [`sysuser::privilege`]). That is only right for a process that
//! serves one session (inetd, systemd `Accept=yes`, a child of `pandad`).
//!
//! With [`Root::Home`] (c-client's closedBox, FAQ 5.1) the login also changes the
//! process's root to the home, before it becomes the user: the home is `/`, INBOX is
//! `~/INBOX` (the spool is outside), instance locks are `/.<dev>.<ino>` in the home as
//! c-client's, `~user` and the shared namespaces do not exist. What is needed from
//! outside (the time zone, the syslog socket) is taken before the change.
//!
//! The anonymous user (FAQ 4.1) becomes the account `nobody`, with a read-only store of
//! `#ftp/`, `#public/` and `#news.` only. A member of the administrators' group (UW's
//! `mailadm`) logs in as another user with their own password (`user*admin`). A shadow
//! login whose password or account expires soon leaves alerts for the client
//! ([`Authenticator::take_alerts`]), worded as c-client's `ckp_psx`.

use std::sync::{Arc, Mutex};

use mailstore::notify::Notify;
use sysuser::account::SystemAccount;
use sysuser::pam::PamSession;
pub use sysuser::privilege::Root;

use crate::auth::{Account, Alert, AlertLevel, Authenticator};
use crate::log::{Level, Log, printable};

/// How passwords are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    /// `/etc/shadow` through the system's crypt.
    Shadow,
    /// PAM, with the given service.
    Pam(PamService),
}

/// The PAM service name (`/etc/pam.d/<name>`), as c-client's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PamService {
    /// `imap`.
    Imap,
    /// `pop`.
    Pop,
}

impl PamService {
    /// The service name.
    pub fn name(self) -> &'static str {
        match self {
            PamService::Imap => "imap",
            PamService::Pop => "pop",
        }
    }
}

/// Where the format of new (or empty) mailboxes comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FormatChoice {
    /// The configuration (`mailbox_format`, c-client's `empty-folder-format <driver>`).
    #[default]
    Configured,
    /// The format of the user's INBOX, when it has one new mailboxes can take
    /// (c-client's `same-as-inbox`).
    SameAsInbox,
}

/// What a login does to the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The process becomes the user (one session per process).
    Become,
    /// The process keeps its identity (tests; a process already running as the user).
    Keep,
}

/// Whether this process has become a user yet.
#[derive(Debug, Default)]
enum Switched {
    /// Still the identity it started with.
    #[default]
    No,
    /// It is this user now.
    To(String),
    /// A drop failed half-way: nobody logs in any more.
    Broken,
}

#[derive(Debug, Default)]
struct State {
    switched: Switched,
    pam: Option<PamSession>,
    alerts: Vec<Alert>,
}

/// The account the anonymous user becomes (c-client's ANONYMOUSUSER).
const ANONYMOUS_ACCOUNT: &str = "nobody";

/// System users (see the module documentation).
#[derive(Debug)]
pub struct SystemUsers {
    check: PasswordCheck,
    identity: Identity,
    client: Option<String>,
    hostname: String,
    notify: Arc<dyn Notify>,
    log: Arc<dyn Log>,
    mailbox_format: mailstore::Format,
    restrict: mailstore::config::Restrict,
    shared: mailstore::config::SharedNamespaces,
    secrets: Option<Arc<crate::auth::CramSecrets>>,
    root: Root,
    admin_group: String,
    mail_subdir: Option<std::path::PathBuf>,
    namespace_dirs: mailstore::config::NamespaceDirs,
    empty_format: Option<mailstore::Format>,
    anonymous_home: std::path::PathBuf,
    new_format: FormatChoice,
    empty_format_choice: FormatChoice,
    state: Mutex<State>,
    helper: mailstore::lock::LockHelper,
}

impl SystemUsers {
    /// System users checked by `check`; `client` is the peer's address (PAM_RHOST), when
    /// known.
    pub fn new(
        check: PasswordCheck,
        identity: Identity,
        client: Option<String>,
        hostname: &str,
        log: Arc<dyn Log>,
    ) -> Self {
        SystemUsers {
            check,
            identity,
            client,
            hostname: hostname.to_owned(),
            notify: Arc::new(mailstore::notify::Silent),
            log,
            mailbox_format: mailstore::Format::Unix,
            restrict: mailstore::config::Restrict::None,
            shared: mailstore::config::SharedNamespaces::Automatic,
            secrets: None,
            root: Root::System,
            admin_group: "mailadm".into(),
            mail_subdir: None,
            namespace_dirs: mailstore::config::NamespaceDirs::default(),
            empty_format: None,
            anonymous_home: std::path::PathBuf::from("/var/mail/anonymous"),
            new_format: FormatChoice::Configured,
            empty_format_choice: FormatChoice::Configured,
            state: Mutex::new(State::default()),
            helper: mailstore::lock::LockHelper::Search,
        }
    }

    /// Whether new mailboxes (`new`) and empty files at their first append (`empty`) take
    /// the format of the user's INBOX (c-client's `same-as-inbox`), looked at as the
    /// user when they log in.
    pub fn with_format_choices(mut self, new: FormatChoice, empty: FormatChoice) -> Self {
        self.new_format = new;
        self.empty_format_choice = empty;
        self
    }

    /// The group whose members may log in as others (UW's `mailadm`).
    pub fn with_admin_group(mut self, group: &str) -> Self {
        self.admin_group = group.to_owned();
        self
    }

    /// Where mailboxes live under each home (c-client's `mail-subdirectory`), the
    /// directories standing for the shared namespaces, and the format an empty file takes
    /// at its first append (c-client's `empty-folder-format`).
    pub fn with_layout(
        mut self,
        mail_subdir: Option<std::path::PathBuf>,
        namespace_dirs: mailstore::config::NamespaceDirs,
        empty_format: Option<mailstore::Format>,
    ) -> Self {
        self.mail_subdir = mail_subdir;
        self.namespace_dirs = namespace_dirs;
        self.empty_format = empty_format;
        self
    }

    /// The `mlock` helper the users' stores use for a spool directory they cannot write.
    pub fn with_lock_helper(mut self, helper: mailstore::lock::LockHelper) -> Self {
        self.helper = helper;
        self
    }

    /// New mailboxes are created in `format` (c-client's `new-folder-format`).
    pub fn with_mailbox_format(mut self, format: mailstore::Format) -> Self {
        self.mailbox_format = format;
        self
    }

    /// Which names users may not use (FAQ 5.1), and whether the shared namespaces
    /// (`#ftp/`, `#public/`, `#shared/`) are looked for.
    pub fn with_names(
        mut self,
        restrict: mailstore::config::Restrict,
        shared: mailstore::config::SharedNamespaces,
    ) -> Self {
        self.restrict = restrict;
        self.shared = shared;
        self
    }

    /// The CRAM-MD5 secrets file: while it exists it is also where plaintext passwords are
    /// checked, instead of shadow or PAM (FAQ 3.16, c-client's md5.txt); the user must
    /// still have a passwd entry.
    pub fn with_secrets(mut self, secrets: Option<Arc<crate::auth::CramSecrets>>) -> Self {
        self.secrets = secrets;
        self
    }

    /// What a session sees of the filesystem after login: [`Root::Home`] is c-client's
    /// closedBox (only with [`Identity::Become`]; a process that keeps its identity
    /// cannot change its root).
    pub fn with_root(mut self, root: Root) -> Self {
        self.root = root;
        self
    }

    /// The account of the user this process runs as, for a pre-authenticated session
    /// (`imapd --preauth`, UW's rimapd). Never root.
    pub fn invoking(&self) -> Option<Account> {
        let account = match SystemAccount::invoking() {
            Ok(Some(a)) => a,
            Ok(None) => {
                self.refused("?", "the process's user id has no passwd entry");
                return None;
            }
            Err(e) => {
                self.refused("?", &format!("passwd lookup failed: {e}"));
                return None;
            }
        };
        if account.is_root() {
            self.refused(&account.name, "root may not have a mail session");
            return None;
        }
        Some(self.account(&account))
    }

    /// The passwd entry of `user`, never root.
    fn lookup(&self, user: &str) -> Option<SystemAccount> {
        match SystemAccount::lookup(user) {
            Ok(Some(a)) if a.is_root() => {
                self.refused(user, "root may not log in");
                None
            }
            Ok(Some(a)) => Some(a),
            Ok(None) => {
                self.refused(user, "no such user");
                None
            }
            Err(e) => {
                self.refused(user, &format!("passwd lookup failed: {e}"));
                None
            }
        }
    }

    /// Makes the process `account` (when so configured) and gives its mail store.
    fn enter(&self, account: &SystemAccount, pam: Option<PamSession>) -> Option<Account> {
        let Ok(mut state) = self.state.lock() else {
            self.refused(&account.name, "internal state lost");
            return None;
        };
        // Made before a change of root, which would hide the time zone files.
        let store = self.account(account);
        if self.identity == Identity::Become {
            match &state.switched {
                Switched::No => {
                    if let Err(e) = sysuser::privilege::become_user_in(account, self.root) {
                        state.switched = Switched::Broken;
                        self.log.line(
                            Level::Error,
                            &format!(
                                "Cannot become user={}: {e}; no further logins",
                                printable(&account.name)
                            ),
                        );
                        return None;
                    }
                    state.switched = Switched::To(account.name.clone());
                }
                Switched::To(who) if *who == account.name => {}
                Switched::To(who) => {
                    self.refused(
                        &account.name,
                        &format!("process already runs as {}", printable(who)),
                    );
                    return None;
                }
                Switched::Broken => {
                    self.refused(&account.name, "an earlier privilege drop failed");
                    return None;
                }
            }
        }
        if pam.is_some() {
            state.pam = pam;
        }
        Some(store)
    }

    /// The mail store of `account`: c-client's defaults (spool INBOX, `~/mbox`).
    fn account(&self, account: &SystemAccount) -> Account {
        let mut store = mailstore::config::StoreConfig::new(&account.name, &account.home);
        store.hostname = self.hostname.clone();
        store.notify = Arc::clone(&self.notify);
        store.create_format = self.mailbox_format;
        store.locks.helper = self.helper.clone();
        store.restrict = self.restrict;
        store.shared_namespaces = self.shared;
        store.mail_subdir = self.mail_subdir.clone();
        store.namespace_dirs = self.namespace_dirs.clone();
        if matches!(
            self.mailbox_format,
            mailstore::Format::Tenex | mailstore::Format::Mtx
        ) {
            store.empty_format = self.mailbox_format;
        }
        if let Some(f) = self.empty_format {
            store.empty_format = f;
        }
        if self.new_format == FormatChoice::SameAsInbox
            || self.empty_format_choice == FormatChoice::SameAsInbox
        {
            let inbox = mailstore::Store::new(store.clone())
                .format_of("INBOX")
                .ok()
                .flatten()
                .and_then(creatable);
            if let Some(f) = inbox {
                if self.new_format == FormatChoice::SameAsInbox {
                    store.create_format = f;
                }
                if self.empty_format_choice == FormatChoice::SameAsInbox {
                    store.empty_format = f;
                }
            }
        }
        if self.root == Root::Home && self.identity == Identity::Become {
            // Paths as the process will see them once its root is the home.
            let home = std::path::Path::new("/");
            store.home = home.to_owned();
            store.spool = home.join("INBOX");
            store.state_dir = Some(home.join(".cache").join("panda-imap"));
            store.locks.tmp_dir = home.to_owned();
            store.shared_namespaces = mailstore::config::SharedNamespaces::Disabled;
            store.homes = Arc::new(NoOtherHomes);
            store.restrict = mailstore::config::Restrict::All;
            store.namespace_dirs = mailstore::config::NamespaceDirs::default();
        }
        Account {
            user: account.name.clone(),
            store,
        }
    }

    /// Checks `account`'s password: the CRAM-MD5 secrets file while it exists, else
    /// shadow (leaving expiry alerts) or PAM (giving its session).
    fn check_password(
        &self,
        user: &str,
        account: &SystemAccount,
        password: &[u8],
    ) -> Result<Option<PamSession>, ()> {
        if let Some(secrets) = self.secrets.as_ref().filter(|s| s.available()) {
            let matches = secrets
                .secret_of(&account.name)
                .is_some_and(|secret| same_bytes(&secret, password));
            if !matches {
                self.refused(user, "no such secret in the CRAM-MD5 secrets file");
                return Err(());
            }
            return Ok(None);
        }
        match self.check {
            PasswordCheck::Shadow => match sysuser::shadow::check(&account.name, password) {
                Ok(expiries) => {
                    if let Ok(mut state) = self.state.lock() {
                        state.alerts = expiries.into_iter().map(alert).collect();
                    }
                    Ok(None)
                }
                Err(why) => {
                    self.refused(user, &why.to_string());
                    Err(())
                }
            },
            PasswordCheck::Pam(service) => match sysuser::pam::login(
                service.name(),
                &account.name,
                password,
                self.client.as_deref(),
            ) {
                Ok(session) => Ok(Some(session)),
                Err(why) => {
                    self.refused(user, &why.to_string());
                    Err(())
                }
            },
        }
    }

    /// Logs why `user` was refused (the peer only sees that the login failed).
    fn refused(&self, user: &str, why: &str) {
        self.log.line(
            Level::Warning,
            &format!(
                "System login refused user={} host={}: {why}",
                printable(user),
                self.client.as_deref().unwrap_or("[local]")
            ),
        );
    }
}

impl Authenticator for SystemUsers {
    fn login(&self, user: &str, password: &[u8]) -> Option<Account> {
        let account = self.lookup(user)?;
        let pam = self.check_password(user, &account, password).ok()?;
        self.enter(&account, pam)
    }

    fn account_of(&self, user: &str) -> Option<Account> {
        let account = self.lookup(user)?;
        self.enter(&account, None)
    }

    fn k5login_of(&self, user: &str) -> Option<(std::path::PathBuf, u32)> {
        let account = SystemAccount::lookup(user).ok()??;
        Some((account.home.join(".k5login"), account.uid.as_raw()))
    }

    /// The process becomes `nobody` (c-client's anonymous user); its store is read-only
    /// and has only `#ftp/`, `#public/` and `#news.`.
    fn anonymous(&self) -> Option<Account> {
        let nobody = self.lookup(ANONYMOUS_ACCOUNT)?;
        self.enter(&nobody, None)?;
        let home = &self.anonymous_home;
        let mut store = mailstore::config::StoreConfig::new("anonymous", home);
        store.spool = home.join("INBOX");
        store.mbox_inbox = mailstore::config::MboxInbox::Disabled;
        store.hostname = self.hostname.clone();
        store.notify = Arc::clone(&self.notify);
        store.state_dir = None;
        store.restrict = mailstore::config::Restrict::All;
        store.shared_namespaces = self.shared;
        store.namespace_dirs = self.namespace_dirs.clone();
        store.user_kind = mailstore::config::UserKind::Anonymous;
        Some(Account {
            user: "ANONYMOUS".into(),
            store,
        })
    }

    fn login_as_admin(&self, user: &str, admin: &str, password: &[u8]) -> Option<Account> {
        let admin_account = self.lookup(admin)?;
        let pam = self.check_password(admin, &admin_account, password).ok()?;
        let listed = match sysuser::account::listed_in_group(&admin_account.name, &self.admin_group)
        {
            Ok(listed) => listed,
            Err(e) => {
                self.refused(admin, &format!("group lookup failed: {e}"));
                false
            }
        };
        let target = if listed { self.lookup(user) } else { None };
        self.log.line(
            if target.is_some() {
                Level::Info
            } else {
                Level::Warning
            },
            &format!(
                "{} {} override of user={} host={}",
                if target.is_some() { "Admin" } else { "Failed" },
                printable(admin),
                printable(user),
                self.client.as_deref().unwrap_or("[local]")
            ),
        );
        self.enter(&target?, pam)
    }

    fn take_alerts(&self) -> Vec<Alert> {
        self.state
            .lock()
            .map(|mut s| std::mem::take(&mut s.alerts))
            .unwrap_or_default()
    }
}

/// The format a new mailbox can be made in that an INBOX of format `f` is in: `~/mbox`
/// is the traditional format; an INBOX not yet there (dummy) or of a format that cannot
/// be made has none.
fn creatable(f: mailstore::Format) -> Option<mailstore::Format> {
    use mailstore::Format as F;
    match f {
        F::Unix | F::Mbox => Some(F::Unix),
        F::Mmdf | F::Mbx | F::Mix | F::Mx | F::Tenex | F::Mtx | F::Maildir => Some(f),
        _ => None,
    }
}

/// c-client's words for an expiry warning.
fn alert(e: sysuser::shadow::Expiry) -> Alert {
    use sysuser::shadow::Expiry;
    let (what, days) = match e {
        Expiry::Password { days } => ("Password", days),
        Expiry::Account { days } => ("Account", days),
    };
    if days > 0 {
        Alert {
            level: AlertLevel::Notice,
            text: format!("{what} expires in {days} day(s)"),
        }
    } else {
        Alert {
            level: AlertLevel::Warning,
            text: format!("{what} expires today!"),
        }
    }
}

/// Inside a closed box no other user's home exists.
#[derive(Clone, Copy, Debug)]
struct NoOtherHomes;

impl mailstore::config::Homes for NoOtherHomes {
    fn home_of(&self, _user: &str) -> Option<std::path::PathBuf> {
        None
    }
}

/// Whether `a` and `b` are the same bytes, in a time that does not depend on where they
/// differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Memory;

    #[test]
    fn root_and_strangers_are_refused_with_a_reason_in_the_log() {
        let log = Arc::new(Memory::default());
        let users = SystemUsers::new(
            PasswordCheck::Shadow,
            Identity::Keep,
            Some("[192.0.2.1]".into()),
            "h",
            log.clone(),
        );
        assert!(users.login("root", b"anything").is_none());
        assert!(users.account_of("root").is_none());
        assert!(users.login("no-such-user-here", b"x").is_none());
        let lines = log.lines().join("\n");
        assert!(
            lines.contains("user=root host=[192.0.2.1]: root may not log in"),
            "{lines}"
        );
        assert!(lines.contains("no such user"), "{lines}");
        assert!(!lines.contains("anything"), "{lines}");
    }

    #[test]
    fn an_account_has_the_c_client_layout() {
        let users = SystemUsers::new(
            PasswordCheck::Shadow,
            Identity::Keep,
            None,
            "h",
            Arc::new(Memory::default()),
        );
        let a = users.account(&SystemAccount {
            name: "fred".into(),
            uid: nix::unistd::Uid::from_raw(1234),
            gid: nix::unistd::Gid::from_raw(1234),
            home: "/home/fred".into(),
        });
        assert_eq!(a.store.spool, std::path::Path::new("/var/mail/fred"));
        assert_eq!(a.store.home, std::path::Path::new("/home/fred"));
        assert_eq!(a.store.mbox_inbox, mailstore::config::MboxInbox::Enabled);
        assert_eq!(a.store.restrict, mailstore::config::Restrict::None);
    }

    #[test]
    fn a_closed_box_account_sees_its_home_as_the_root() {
        let fred = SystemAccount {
            name: "fred".into(),
            uid: nix::unistd::Uid::from_raw(1234),
            gid: nix::unistd::Gid::from_raw(1234),
            home: "/home/fred".into(),
        };
        let users = |identity| {
            SystemUsers::new(
                PasswordCheck::Shadow,
                identity,
                None,
                "h",
                Arc::new(Memory::default()),
            )
            .with_root(Root::Home)
        };
        let a = users(Identity::Become).account(&fred);
        let root = std::path::Path::new("/");
        assert_eq!(a.store.home, root);
        assert_eq!(a.store.spool, root.join("INBOX"));
        assert_eq!(a.store.locks.tmp_dir, root);
        assert_eq!(
            a.store.shared_namespaces,
            mailstore::config::SharedNamespaces::Disabled
        );
        assert_eq!(a.store.restrict, mailstore::config::Restrict::All);
        assert!(a.store.homes.home_of("root").is_none());
        // A process that keeps its identity cannot change its root: paths stay real.
        let a = users(Identity::Keep).account(&fred);
        assert_eq!(a.store.home, std::path::Path::new("/home/fred"));
    }
}
