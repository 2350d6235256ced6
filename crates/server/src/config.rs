//! The configuration file (TOML).
//!
//! ```toml
//! hostname = "mail.example.org"      # names the server in greetings and From lines
//! data_dir = "/var/lib/panda"        # virtual users' mail: <data_dir>/mail/<user>/
//! users = "/etc/panda/users"         # virtual users: "name:crypt-hash" lines
//! plaintext = "tls-only"             # when plaintext passwords are allowed:
//!                                    # "never", "tls-only" (default) or "always"
//! cram_md5 = "/etc/cram-md5.pwd"     # optional: CRAM-MD5 secrets ("user<TAB>secret")
//! alert_file = "/etc/imapd.alert"    # shown to every client (the default)
//! nologin_file = "/etc/nologin"      # its presence refuses service (the default)
//! nul_as_0x80 = true                 # NUL in messages sent as 0x80 (the default)
//! restrict = "all"                   # system users' names (FAQ 5.1): "none" (default),
//!                                    # "root", "otherusers" or "all"; virtual users: all
//! shared_namespaces = true           # #ftp/, #public/, #shared/ for system users (default)
//!
//! [tls]
//! cert = "/etc/panda/cert.pem"
//! key = "/etc/panda/key.pem"
//! max_fragment = 8192                # optional: cap TLS records at 8 KiB (FAQ 6.7)
//!
//! [[listen]]
//! address = "127.0.0.1:1143"
//! protocol = "imap"                  # imap (with STARTTLS), imaps (TLS at once),
//!                                    # pop3 (with STLS) or pop3s
//! ```
//!
//! A bad file is an error that names the file, the line and the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
}

impl RestrictLevel {
    /// The store's setting.
    pub fn restrict(self) -> mailstore::config::Restrict {
        use mailstore::config::Restrict as R;
        match self {
            RestrictLevel::None => R::None,
            RestrictLevel::Root => R::Root,
            RestrictLevel::Otherusers => R::OtherUsers,
            RestrictLevel::All => R::All,
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This server's host name.
    pub hostname: String,
    /// Where virtual users' mail lives.
    pub data_dir: PathBuf,
    /// The virtual users file.
    pub users: PathBuf,
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
        fix(&mut c.data_dir);
        fix(&mut c.users);
        if let Some(p) = c.cram_md5.as_mut() {
            fix(p);
        }
        if let Some(t) = c.tls.as_mut() {
            fix(&mut t.cert);
            fix(&mut t.key);
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
}
