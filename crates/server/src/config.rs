//! The configuration file (TOML).
//!
//! ```toml
//! hostname = "mail.example.org"      # names the server in greetings and From lines
//! data_dir = "/var/lib/panda"        # virtual users' mail: <data_dir>/mail/<user>/
//! users = "/etc/panda/users"         # virtual users: "name:crypt-hash" lines
//! accounts = "virtual"               # who logs in: "virtual" (the users file, the
//!                                    # default), "system" (passwd and /etc/shadow) or
//!                                    # "pam" (passwd, PAM services imap and pop);
//!                                    # system and pam run one process per session
//!                                    # (imapd/ipop3d from inetd or systemd, or
//!                                    # pandad starting one child per connection)
//! plaintext = "tls-only"             # when plaintext passwords are allowed:
//!                                    # "never", "tls-only" (default) or "always"
//! cram_md5 = "/etc/cram-md5.pwd"     # optional: CRAM-MD5 secrets ("user<TAB>secret")
//! alert_file = "/etc/imapd.alert"    # shown to every client (the default)
//! nologin_file = "/etc/nologin"      # its presence refuses service (the default)
//! nul_as_0x80 = true                 # NUL in messages sent as 0x80 (the default)
//! c_client_cf = "/etc/c-client.cf"   # UW's system file, read if present (the default);
//!                                    # its new-folder-format and disable-plaintext apply
//!                                    # when this file does not set mailbox_format and
//!                                    # plaintext (see [`crate::cclient_cf`])
//! restrict = "all"                   # system users' names (FAQ 5.1): "none" (default),
//!                                    # "root", "otherusers" or "all"; virtual users: all;
//!                                    # "closed": c-client's closedBox, the session
//!                                    # chroots to the home at login (INBOX ~/INBOX)
//! shared_namespaces = true           # #ftp/, #public/, #shared/ for system users (default)
//! max_sessions = 256                 # pandad with system users: session processes at
//!                                    # once (the default); more are told to come back
//! anonymous_newsgroups = "/etc/anonymous.newsgroups"  # anonymous access while it exists
//!                                    # (FAQ 4.1; the default)
//! admin_group = "mailadm"            # members log in as others: LOGIN user*admin (default)
//! mail_subdirectory = "Mail"         # system users' mailboxes under ~/Mail (c-client's
//!                                    # mail-subdirectory; default: the home itself)
//! ftp_directory = "/srv/ftp"         # #ftp/, #public/, #shared/ in these directories
//! public_directory = "/srv/public"   # instead of the homes of ftp, imappublic and
//! shared_directory = "/srv/shared"   # imapshared (c-client's ftp-export-directory,
//!                                    # public-home-directory, shared-home-directory)
//! mlock = "/usr/sbin/mlock"          # the setgid-mail dot-lock helper for a spool directory
//!                                    # users cannot write (default: the first of
//!                                    # /usr/bin/mlock, /usr/sbin/mlock, /usr/libexec/mlock,
//!                                    # /etc/mlock); "" for none
//!
//! [tls]
//! cert = "/etc/panda/cert.pem"
//! key = "/etc/panda/key.pem"
//! max_fragment = 8192                # optional: cap TLS records at 8 KiB (FAQ 6.7)
//!
//! [[tls.host]]                       # optional virtual hosts (FAQ 3.19): a certificate
//! cert = "/etc/panda/b.pem"          # chosen by the name the client asks for (SNI),
//! key = "/etc/panda/b.key"           # else by the local address it connected to,
//! address = ["192.0.2.2"]            # else [tls]'s own
//! names = ["mail.b.example", "*.b.example"]
//!
//! [gssapi]                         # AUTH=GSSAPI (built with the `gssapi` feature), offered
//! keytab = "/etc/krb5.keytab"        # when this keytab (default: KRB5_KTNAME, else
//! imap_service = "imap"              # /etc/krb5.keytab) has a key for the service:
//! pop_service = "pop"                # imap/host@REALM, pop/host@REALM (the defaults)
//!
//! [[listen]]
//! address = "127.0.0.1:1143"
//! protocol = "imap"                  # imap (with STARTTLS), imaps (TLS at once),
//!                                    # pop3 (with STLS) or pop3s
//! ```
//!
//! A bad file is an error that names the file, the line and the key.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cclient_cf::{CClientCf, FolderFormat};

/// When plaintext passwords (LOGIN, AUTHENTICATE PLAIN/LOGIN, POP3 USER/PASS) are allowed
/// (FAQ 3.17, 3.18).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Plaintext {
    /// Never: LOGINDISABLED is advertised.
    Never,
    /// Only once the connection is encrypted (the default).
    #[default]
    TlsOnly,
    /// Always.
    Always,
}

/// Who logs in (FAQ 3.8–3.16).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Accounts {
    /// Virtual users from the `users` file, mail under `data_dir` (the default).
    #[default]
    Virtual,
    /// The host's users: passwd, passwords in `/etc/shadow`; the session becomes the user.
    System,
    /// The host's users, passwords and account checks through PAM; the session becomes
    /// the user.
    Pam,
}

/// What a listener speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// IMAP, with STARTTLS.
    Imap,
    /// IMAP over TLS from the first byte.
    Imaps,
    /// POP3, with STLS.
    Pop3,
    /// POP3 over TLS from the first byte.
    Pop3s,
}

/// One listening socket.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// Address and port.
    pub address: SocketAddr,
    /// Protocol.
    pub protocol: Protocol,
}

/// TLS settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
    /// Largest plaintext per TLS record, if capped (Panda's SChannel workaround: 8192).
    pub max_fragment: Option<usize>,
    /// Virtual hosts, each with its own certificate; `cert` and `key` above serve the
    /// rest.
    #[serde(default)]
    pub host: Vec<TlsHost>,
}

/// A virtual host's certificate, and when it is used: when the client names one of
/// `names` in its TLS hello (SNI), or else when it connected to one of `address` (as UW's
/// `imapd-<ip>.pem`, FAQ 3.19).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsHost {
    /// Certificate chain, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
    /// Local addresses (one, or a list).
    #[serde(default, deserialize_with = "ip_addresses")]
    pub address: Vec<IpAddr>,
    /// Host names, compared without regard to case; `*.example.org` stands for any one
    /// label in front of `example.org`.
    #[serde(default)]
    pub names: Vec<String>,
}

/// One IP address or a list of them, each error naming the value.
fn ip_addresses<'de, D>(d: D) -> Result<Vec<IpAddr>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Addresses;
    fn parse<E: serde::de::Error>(v: &str) -> Result<IpAddr, E> {
        v.parse()
            .map_err(|_| E::custom(format!("{v:?} is not an IP address")))
    }
    impl<'de> serde::de::Visitor<'de> for Addresses {
        type Value = Vec<IpAddr>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an IP address or a list of them")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![parse(v)?])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element::<String>()? {
                out.push(parse(&v)?);
            }
            Ok(out)
        }
    }
    d.deserialize_any(Addresses)
}

/// The format new mailboxes are created in (c-client's `new-folder-format`), when the
/// name does not say (`#driver.mix/…`). INBOX stays where it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailboxFormat {
    /// The traditional UNIX mailbox (the default, as UW's and FAQ 6.13).
    #[default]
    Unix,
    /// MMDF.
    Mmdf,
    /// mbx: one file, several sessions at once.
    Mbx,
    /// mix: a directory, several sessions at once (FAQ 4.5 recommends it).
    Mix,
    /// mx.
    Mx,
    /// tenex.
    Tenex,
    /// mtx.
    Mtx,
    /// Maildir.
    Maildir,
}

impl MailboxFormat {
    /// The store's format.
    pub fn format(self) -> mailstore::Format {
        use mailstore::Format as F;
        match self {
            MailboxFormat::Unix => F::Unix,
            MailboxFormat::Mmdf => F::Mmdf,
            MailboxFormat::Mbx => F::Mbx,
            MailboxFormat::Mix => F::Mix,
            MailboxFormat::Mx => F::Mx,
            MailboxFormat::Tenex => F::Tenex,
            MailboxFormat::Mtx => F::Mtx,
            MailboxFormat::Maildir => F::Maildir,
        }
    }
}

/// Where a setting comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// Nowhere: the default.
    #[default]
    Default,
    /// This file.
    ConfigFile,
    /// UW's `c-client.cf`.
    CClientCf,
}

/// Which mailbox names system users may not use (c-client `restrict-mailbox-access`, FAQ
/// 5.1); virtual users always have [`Restrict::All`](mailstore::config::Restrict::All).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestrictLevel {
    /// No restriction (UW's default).
    #[default]
    None,
    /// No absolute names outside the user's mail directory.
    Root,
    /// No `~user` names.
    Otherusers,
    /// Both.
    All,
    /// c-client's closedBox (FAQ 5.1): at login the session process changes its root
    /// to the user's home (before it becomes the user), so nothing else exists for it;
    /// INBOX is `~/INBOX`, no shared namespaces, and the names of `all`.
    Closed,
}

impl RestrictLevel {
    /// The store's setting.
    pub fn restrict(self) -> mailstore::config::Restrict {
        use mailstore::config::Restrict as R;
        match self {
            RestrictLevel::None => R::None,
            RestrictLevel::Root => R::Root,
            RestrictLevel::Otherusers => R::OtherUsers,
            RestrictLevel::All | RestrictLevel::Closed => R::All,
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This server's host name.
    pub hostname: String,
    /// Where virtual users' mail lives (needed with virtual users only).
    #[serde(default)]
    pub data_dir: PathBuf,
    /// The virtual users file (needed with virtual users only).
    #[serde(default)]
    pub users: PathBuf,
    /// Who logs in.
    #[serde(default)]
    pub accounts: Accounts,
    /// When plaintext passwords are allowed.
    #[serde(default)]
    pub plaintext: Plaintext,
    /// TLS, if any.
    pub tls: Option<Tls>,
    /// CRAM-MD5 secrets (UW's `/etc/cram-md5.pwd` format); CRAM-MD5 is offered when the
    /// file exists.
    pub cram_md5: Option<PathBuf>,
    /// The system alert file (FAQ 4.2).
    #[serde(default = "default_alert_file")]
    pub alert_file: PathBuf,
    /// The file whose presence refuses service.
    #[serde(default = "default_nologin_file")]
    pub nologin_file: PathBuf,
    /// Whether NUL bytes in messages are sent as 0x80 (FAQ 7.34).
    #[serde(default = "default_true")]
    pub nul_as_0x80: bool,
    /// The format of new mailboxes.
    #[serde(default)]
    pub mailbox_format: MailboxFormat,
    /// Where `mailbox_format` was set (set by [`Config::load`]).
    #[serde(skip)]
    pub mailbox_format_origin: Origin,
    /// Restrictions on system users' mailbox names.
    #[serde(default)]
    pub restrict: RestrictLevel,
    /// Whether system users have the shared namespaces (`#ftp/`, `#public/`, `#shared/`
    /// where their accounts exist; c-client `disable-automatic-shared-namespaces` is
    /// `false`).
    #[serde(default = "default_true")]
    pub shared_namespaces: bool,
    /// Listeners.
    #[serde(default)]
    pub listen: Vec<Listen>,
    /// SASL GSSAPI (Kerberos V5).
    #[serde(default)]
    pub gssapi: GssapiConfig,
    /// The file whose presence allows anonymous access (FAQ 4.1).
    #[serde(default = "default_anonymous_newsgroups")]
    pub anonymous_newsgroups: PathBuf,
    /// The group whose members may log in as other users (`user*admin`).
    #[serde(default = "default_admin_group")]
    pub admin_group: String,
    /// System users' mailboxes are under this directory of their homes.
    pub mail_subdirectory: Option<PathBuf>,
    /// The directory of `#ftp/`, instead of the home of account `ftp`.
    pub ftp_directory: Option<PathBuf>,
    /// The directory of `#public/`, instead of the home of account `imappublic`.
    pub public_directory: Option<PathBuf>,
    /// The directory of `#shared/`, instead of the home of account `imapshared`.
    pub shared_directory: Option<PathBuf>,
    /// UW c-client's system configuration file; a missing file is fine.
    #[serde(default = "default_c_client_cf")]
    pub c_client_cf: PathBuf,
    /// What `c_client_cf` says (read by [`Config::load`]).
    #[serde(skip)]
    pub c_client: CClientCf,
    /// With system users, how many session processes `pandad` runs at once; a
    /// connection beyond them is told to try later and closed.
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
    /// The `mlock` helper (see [`Config::lock_helper`]).
    pub mlock: Option<PathBuf>,
}

impl Config {
    /// The dot-lock helper system users' stores use: `mlock` when set (an empty value: none),
    /// else the usual places.
    pub fn lock_helper(&self) -> mailstore::lock::LockHelper {
        use mailstore::lock::LockHelper;
        match &self.mlock {
            None => LockHelper::Search,
            Some(p) if p.as_os_str().is_empty() => LockHelper::Disabled,
            Some(p) => LockHelper::Program(p.clone()),
        }
    }
}

fn default_max_sessions() -> usize {
    256
}

/// The `[gssapi]` section.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GssapiConfig {
    /// The keytab, if not `KRB5_KTNAME` or `/etc/krb5.keytab`.
    pub keytab: Option<PathBuf>,
    /// IMAP's service name (the first component of its principal).
    #[serde(default = "default_imap_service")]
    pub imap_service: String,
    /// POP3's service name.
    #[serde(default = "default_pop_service")]
    pub pop_service: String,
}

impl Default for GssapiConfig {
    fn default() -> Self {
        GssapiConfig {
            keytab: None,
            imap_service: default_imap_service(),
            pop_service: default_pop_service(),
        }
    }
}

fn default_imap_service() -> String {
    "imap".into()
}

fn default_pop_service() -> String {
    "pop".into()
}

fn default_c_client_cf() -> PathBuf {
    PathBuf::from("/etc/c-client.cf")
}

fn default_anonymous_newsgroups() -> PathBuf {
    PathBuf::from("/etc/anonymous.newsgroups")
}

fn default_admin_group() -> String {
    "mailadm".into()
}

fn default_alert_file() -> PathBuf {
    PathBuf::from("/etc/imapd.alert")
}

fn default_nologin_file() -> PathBuf {
    PathBuf::from("/etc/nologin")
}

fn default_true() -> bool {
    true
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// It cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It is not valid.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong, with the key.
        message: String,
    },
}

impl Config {
    /// The directories configured for the shared namespaces.
    pub fn namespace_dirs(&self) -> mailstore::config::NamespaceDirs {
        mailstore::config::NamespaceDirs {
            ftp: self.ftp_directory.clone(),
            public: self.public_directory.clone(),
            shared: self.shared_directory.clone(),
        }
    }

    /// The format an empty file takes at its first append, when c-client.cf names one
    /// (`empty-folder-format <driver>`; `system-standard` is the default, unix).
    pub fn empty_format(&self) -> Option<mailstore::Format> {
        match self.c_client.empty_folder_format {
            Some(FolderFormat::Driver(f)) => Some(f.format()),
            Some(FolderFormat::SystemStandard) => Some(mailstore::Format::Unix),
            _ => None,
        }
    }

    /// Reads and checks the configuration file `path`. Relative paths in it are relative
    /// to the file's directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            source: e,
        })?;
        let mut c: Config = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                1 + text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
            });
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                message: e.message().to_owned(),
            }
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if c.accounts == Accounts::Virtual {
            for (key, value) in [("data_dir", &c.data_dir), ("users", &c.users)] {
                if value.as_os_str().is_empty() {
                    return Err(ConfigError::Invalid {
                        path: path.to_owned(),
                        line: 1,
                        message: format!(
                            "`{key}` is needed with virtual users (accounts = \"virtual\", the default)"
                        ),
                    });
                }
            }
            fix(&mut c.data_dir);
            fix(&mut c.users);
        }
        if let Some(p) = c.cram_md5.as_mut() {
            fix(p);
        }
        if let Some(p) = c.gssapi.keytab.as_mut() {
            fix(p);
        }
        if let Some(t) = c.tls.as_mut() {
            fix(&mut t.cert);
            fix(&mut t.key);
            for h in &mut t.host {
                fix(&mut h.cert);
                fix(&mut h.key);
            }
            check_hosts(&mut t.host).map_err(|message| ConfigError::Invalid {
                path: path.to_owned(),
                line: 1,
                message,
            })?;
        }
        fix(&mut c.c_client_cf);
        c.c_client = CClientCf::load(&c.c_client_cf).map_err(|e| ConfigError::Read {
            path: c.c_client_cf.clone(),
            source: e,
        })?;
        // What this file says explicitly wins over c-client.cf.
        let keys: toml::Table = toml::from_str(&text).unwrap_or_default();
        if keys.contains_key("mailbox_format") {
            c.mailbox_format_origin = Origin::ConfigFile;
        } else if let Some(f) = c.c_client.new_folder_format {
            c.mailbox_format_origin = Origin::CClientCf;
            if let FolderFormat::Driver(f) = f {
                c.mailbox_format = f;
            }
        }
        if !keys.contains_key("plaintext")
            && let Some(p) = c.c_client.disable_plaintext
        {
            c.plaintext = p;
        }
        if c.max_sessions == 0 {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                line: 1,
                message: "`max_sessions` must be at least 1".into(),
            });
        }
        if !keys.contains_key("restrict") && !c.c_client.restrict_mailbox_access.is_empty() {
            use crate::cclient_cf::Restriction as R;
            let r = &c.c_client.restrict_mailbox_access;
            c.restrict = match (r.contains(&R::Root), r.contains(&R::OtherUsers)) {
                (true, true) => RestrictLevel::All,
                (true, false) => RestrictLevel::Root,
                (false, _) => RestrictLevel::Otherusers,
            };
        }
        if c.mail_subdirectory.is_none() {
            c.mail_subdirectory = c.c_client.mail_subdirectory.as_ref().map(PathBuf::from);
        }
        for (mine, theirs) in [
            (&mut c.ftp_directory, &c.c_client.ftp_export_directory),
            (&mut c.public_directory, &c.c_client.public_home_directory),
            (&mut c.shared_directory, &c.c_client.shared_home_directory),
        ] {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
        if let Some(sub) = &c.mail_subdirectory
            && (sub.is_absolute() || sub.components().any(|p| p.as_os_str() == ".."))
        {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                line: 1,
                message: "`mail_subdirectory` must be a directory inside the home (relative, \
                          no `..`)"
                    .into(),
            });
        }
        let needs_tls = c
            .listen
            .iter()
            .any(|l| matches!(l.protocol, Protocol::Imaps | Protocol::Pop3s));
        if needs_tls && c.tls.is_none() {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                line: 1,
                message: "a listener uses TLS but there is no [tls] section".into(),
            });
        }
        Ok(c)
    }
}

/// Checks the virtual hosts: each says when it is used, and no address or name belongs
/// to two. Names are lowered.
fn check_hosts(hosts: &mut [TlsHost]) -> Result<(), String> {
    let mut addresses = std::collections::HashSet::new();
    let mut names = std::collections::HashSet::new();
    for h in hosts {
        if h.address.is_empty() && h.names.is_empty() {
            return Err(format!(
                "[[tls.host]] with cert {} has neither address nor names",
                h.cert.display()
            ));
        }
        for a in &mut h.address {
            *a = a.to_canonical();
            if !addresses.insert(*a) {
                return Err(format!("[[tls.host]]: address {a} is given twice"));
            }
        }
        for n in &mut h.names {
            *n = n.to_ascii_lowercase();
            if !names.insert(n.clone()) {
                return Err(format!("[[tls.host]]: name {n} is given twice"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panda.toml");
        std::fs::write(
            &p,
            "hostname = \"h\"\ndata_dir = \"data\"\nusers = \"users\"\n[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n[[listen]]\naddress = \"127.0.0.1:1143\"\nprotocol = \"imap\"\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.data_dir, dir.path().join("data"));
        assert_eq!(c.plaintext, Plaintext::TlsOnly);
        assert_eq!(c.listen[0].protocol, Protocol::Imap);
        std::fs::write(
            &p,
            "hostname = \"h\"\ndata_dir = \"d\"\nusers = \"u\"\nbogus = 1\n",
        )
        .unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("panda.toml:4"), "{e}");
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn accounts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panda.toml");
        let base = "hostname = \"h\"\ndata_dir = \"d\"\nusers = \"u\"\n";
        std::fs::write(&p, base).unwrap();
        assert_eq!(Config::load(&p).unwrap().accounts, Accounts::Virtual);
        for (text, want) in [
            ("virtual", Accounts::Virtual),
            ("system", Accounts::System),
            ("pam", Accounts::Pam),
        ] {
            std::fs::write(&p, format!("{base}accounts = \"{text}\"\n")).unwrap();
            assert_eq!(Config::load(&p).unwrap().accounts, want);
        }
        std::fs::write(&p, format!("{base}accounts = \"ldap\"\n")).unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("panda.toml:4"), "{e}");
        assert!(
            e.contains("system") && e.contains("pam"),
            "the choices: {e}"
        );
    }

    #[test]
    fn virtual_users_need_their_files_and_system_users_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panda.toml");
        std::fs::write(&p, "hostname = \"h\"\naccounts = \"system\"\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.accounts, Accounts::System);
        std::fs::write(&p, "hostname = \"h\"\nusers = \"u\"\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("`data_dir` is needed with virtual users"), "{e}");
        std::fs::write(&p, "hostname = \"h\"\ndata_dir = \"d\"\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("`users` is needed with virtual users"), "{e}");
    }

    #[test]
    fn max_sessions_and_closed_box() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panda.toml");
        let base = "hostname = \"h\"\naccounts = \"system\"\n";
        std::fs::write(&p, base).unwrap();
        assert_eq!(Config::load(&p).unwrap().max_sessions, 256);
        std::fs::write(
            &p,
            format!("{base}max_sessions = 3\nrestrict = \"closed\"\n"),
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.max_sessions, 3);
        assert_eq!(c.restrict, RestrictLevel::Closed);
        assert_eq!(c.restrict.restrict(), mailstore::config::Restrict::All);
        std::fs::write(&p, format!("{base}max_sessions = 0\n")).unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("`max_sessions` must be at least 1"), "{e}");
        std::fs::write(&p, format!("{base}max_sessions = -1\n")).unwrap();
        assert!(Config::load(&p).is_err());
    }

    #[test]
    fn mailbox_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panda.toml");
        let base = "hostname = \"h\"\ndata_dir = \"d\"\nusers = \"u\"\n";
        std::fs::write(&p, base).unwrap();
        assert_eq!(
            Config::load(&p).unwrap().mailbox_format,
            MailboxFormat::Unix
        );
        std::fs::write(&p, format!("{base}mailbox_format = \"mix\"\n")).unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.mailbox_format.format(), mailstore::Format::Mix);
        assert_eq!(c.restrict, RestrictLevel::None);
        assert!(c.shared_namespaces);
        std::fs::write(
            &p,
            format!("{base}restrict = \"otherusers\"\nshared_namespaces = false\n"),
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(
            c.restrict.restrict(),
            mailstore::config::Restrict::OtherUsers
        );
        assert!(!c.shared_namespaces);
        std::fs::write(&p, format!("{base}restrict = \"everything\"\n")).unwrap();
        assert!(
            Config::load(&p)
                .unwrap_err()
                .to_string()
                .contains("panda.toml:4")
        );
        // Formats that cannot be made this way (INBOX-only, read-only, MH's own root).
        for bad in ["mbox", "news", "phile", "dummy", "mh", "MIX"] {
            std::fs::write(&p, format!("{base}mailbox_format = \"{bad}\"\n")).unwrap();
            let e = Config::load(&p).unwrap_err().to_string();
            assert!(e.contains("panda.toml:4"), "{bad}: {e}");
            assert!(e.contains("maildir"), "the choices are listed: {e}");
        }
    }

    #[test]
    fn c_client_cf() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panda.toml");
        let base =
            "hostname = \"h\"\ndata_dir = \"d\"\nusers = \"u\"\nc_client_cf = \"c-client.cf\"\n";
        // Missing: the defaults.
        std::fs::write(&p, base).unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.c_client_cf, dir.path().join("c-client.cf"));
        assert_eq!(c.mailbox_format, MailboxFormat::Unix);
        assert_eq!(c.plaintext, Plaintext::TlsOnly);
        std::fs::write(
            dir.path().join("c-client.cf"),
            "I accept the risk for IMAP toolkit 4.1.\nset new-folder-format mbx\n\
             set disable-plaintext 1\nset restrict-mailbox-access all\nset keywords A\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.mailbox_format, MailboxFormat::Mbx);
        assert_eq!(c.plaintext, Plaintext::Never);
        assert_eq!(c.c_client.restrict_mailbox_access.len(), 2);
        assert_eq!(c.restrict, RestrictLevel::All);
        assert_eq!(c.c_client.notes.len(), 1);
        // This file's own settings win.
        std::fs::write(
            &p,
            format!(
                "{base}mailbox_format = \"mix\"\nplaintext = \"always\"\nrestrict = \"root\"\n"
            ),
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.mailbox_format, MailboxFormat::Mix);
        assert_eq!(c.plaintext, Plaintext::Always);
        assert_eq!(c.restrict, RestrictLevel::Root);
        // Mail directory, namespace directories, empty format.
        std::fs::write(
            dir.path().join("c-client.cf"),
            "set restrict-mailbox-access otherusers\nset mail-subdirectory Mail\n\
             set ftp-export-directory /srv/ftp\nset empty-folder-format mbx\n",
        )
        .unwrap();
        std::fs::write(&p, format!("{base}public_directory = \"/srv/pub\"\n")).unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.restrict, RestrictLevel::Otherusers);
        assert_eq!(c.mail_subdirectory, Some(PathBuf::from("Mail")));
        let dirs = c.namespace_dirs();
        assert_eq!(dirs.ftp, Some(PathBuf::from("/srv/ftp")));
        assert_eq!(dirs.public, Some(PathBuf::from("/srv/pub")));
        assert_eq!(dirs.shared, None);
        assert_eq!(c.empty_format(), Some(mailstore::Format::Mbx));
        assert_eq!(c.admin_group, "mailadm");
        assert_eq!(
            c.anonymous_newsgroups,
            PathBuf::from("/etc/anonymous.newsgroups")
        );
        std::fs::write(&p, format!("{base}mail_subdirectory = \"../x\"\n")).unwrap();
        assert!(Config::load(&p).is_err());
        // A file that exists but cannot be read is an error naming it.
        std::fs::remove_file(dir.path().join("c-client.cf")).unwrap();
        std::fs::create_dir(dir.path().join("c-client.cf")).unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("c-client.cf"), "{e}");
    }

    #[test]
    fn tls_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panda.toml");
        let base = "hostname = \"h\"\ndata_dir = \"d\"\nusers = \"u\"\n[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n";
        std::fs::write(
            &p,
            format!(
                "{base}[[tls.host]]\ncert = \"a.pem\"\nkey = \"a.key\"\naddress = \"127.0.0.2\"\n\
                 [[tls.host]]\ncert = \"b.pem\"\nkey = \"b.key\"\naddress = [\"::ffff:127.0.0.3\", \"::1\"]\nnames = [\"Mail.B.example\"]\n"
            ),
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        let hosts = &c.tls.unwrap().host;
        assert_eq!(hosts[0].cert, dir.path().join("a.pem"));
        assert_eq!(hosts[0].address, ["127.0.0.2".parse::<IpAddr>().unwrap()]);
        assert_eq!(
            hosts[1].address,
            [
                "127.0.0.3".parse::<IpAddr>().unwrap(),
                "::1".parse::<IpAddr>().unwrap()
            ]
        );
        assert_eq!(hosts[1].names, ["mail.b.example"]);
        for (bad, says) in [
            (
                "[[tls.host]]\ncert = \"a.pem\"\nkey = \"a.key\"\n",
                "neither",
            ),
            (
                "[[tls.host]]\ncert = \"a\"\nkey = \"a\"\nnames = [\"x\"]\n[[tls.host]]\ncert = \"b\"\nkey = \"b\"\nnames = [\"X\"]\n",
                "name x is given twice",
            ),
            (
                "[[tls.host]]\ncert = \"a\"\nkey = \"a\"\naddress = \"not-an-ip\"\n",
                "panda.toml:10: \"not-an-ip\" is not an IP address",
            ),
        ] {
            std::fs::write(&p, format!("{base}{bad}")).unwrap();
            let e = Config::load(&p).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn mlock_names_the_dot_lock_helper() {
        use mailstore::lock::LockHelper;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("panda.toml");
        let base = "hostname = \"h\"\naccounts = \"system\"\n";
        std::fs::write(&p, base).unwrap();
        assert_eq!(Config::load(&p).unwrap().lock_helper(), LockHelper::Search);
        std::fs::write(&p, format!("{base}mlock = \"/usr/sbin/mlock\"\n")).unwrap();
        assert_eq!(
            Config::load(&p).unwrap().lock_helper(),
            LockHelper::Program("/usr/sbin/mlock".into())
        );
        std::fs::write(&p, format!("{base}mlock = \"\"\n")).unwrap();
        assert_eq!(
            Config::load(&p).unwrap().lock_helper(),
            LockHelper::Disabled
        );
    }
}
