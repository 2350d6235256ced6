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
//! serves one session (inetd, systemd `Accept=yes`).

use std::sync::{Arc, Mutex};

use mailstore::notify::Notify;
use sysuser::account::SystemAccount;
use sysuser::pam::PamSession;

use crate::auth::{Account, Authenticator};
use crate::log::{Level, Log};

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
}

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
            state: Mutex::new(State::default()),
            helper: mailstore::lock::LockHelper::Search,
        }
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
        if self.identity == Identity::Become {
            match &state.switched {
                Switched::No => {
                    if let Err(e) = sysuser::privilege::become_user(account) {
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
        Some(self.account(account))
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
        if matches!(
            self.mailbox_format,
            mailstore::Format::Tenex | mailstore::Format::Mtx
        ) {
            store.empty_format = self.mailbox_format;
        }
        Account {
            user: account.name.clone(),
            store,
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
        if let Some(secrets) = self.secrets.as_ref().filter(|s| s.available()) {
            let matches = secrets
                .secret_of(&account.name)
                .is_some_and(|secret| same_bytes(&secret, password));
            if !matches {
                self.refused(user, "no such secret in the CRAM-MD5 secrets file");
                return None;
            }
            return self.enter(&account, None);
        }
        let pam = match self.check {
            PasswordCheck::Shadow => {
                if let Err(why) = sysuser::shadow::check(&account.name, password) {
                    self.refused(user, &why.to_string());
                    return None;
                }
                None
            }
            PasswordCheck::Pam(service) => {
                match sysuser::pam::login(
                    service.name(),
                    &account.name,
                    password,
                    self.client.as_deref(),
                ) {
                    Ok(session) => Some(session),
                    Err(why) => {
                        self.refused(user, &why.to_string());
                        return None;
                    }
                }
            }
        };
        self.enter(&account, pam)
    }

    fn account_of(&self, user: &str) -> Option<Account> {
        let account = self.lookup(user)?;
        self.enter(&account, None)
    }
}

/// Whether `a` and `b` are the same bytes, in a time that does not depend on where they
/// differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A user name made safe for a log line.
fn printable(s: &str) -> String {
    s.chars()
        .take(80)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
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
}
