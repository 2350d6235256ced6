//! The quick start: a working server from nothing.
//!
//! [`prepare`] makes (or finds, on a second run) a data directory holding everything a
//! virtual-user server needs:
//!
//! ```text
//! <dir>/panda.toml        configuration: loopback IMAP, IMAPS, POP3, POP3S; TLS;
//!                         plaintext allowed (loopback only)
//! <dir>/users             "demo:<yescrypt hash>"
//! <dir>/demo-password     the demo password, mode 0600, so a second run can print it again
//! <dir>/cert.pem, key.pem a self-signed certificate naming localhost and 127.0.0.1
//! <dir>/mail/demo/INBOX   a traditional UNIX mailbox with a few welcome messages
//! ```
//!
//! Nothing that exists is overwritten: a second run uses what the first made.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mailstore::mailbox::AppendMessage;
use mailstore::store::Store;
use mailstore::types::Flags;

use crate::auth::VirtualUsers;

/// The demo user's name.
pub const DEMO_USER: &str = "demo";

/// The loopback ports the quick start listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    /// IMAP with STARTTLS.
    pub imap: u16,
    /// IMAP over TLS.
    pub imaps: u16,
    /// POP3 with STLS.
    pub pop3: u16,
    /// POP3 over TLS.
    pub pop3s: u16,
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            imap: 1143,
            imaps: 1993,
            pop3: 1110,
            pop3s: 1995,
        }
    }
}

/// A prepared quick-start directory.
#[derive(Debug)]
pub struct Quickstart {
    /// The data directory.
    pub dir: PathBuf,
    /// Its configuration file.
    pub config: PathBuf,
    /// The demo password (shown to the person who ran the quick start).
    pub password: String,
    /// Whether this run made the directory (rather than finding it).
    pub created: Created,
}

/// Whether the quick start made its directory or found one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    /// Made now.
    New,
    /// Made by an earlier run.
    Existing,
}

/// Why the quick start could not be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QuickstartError {
    /// A file could not be made or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The password could not be hashed.
    #[error("hashing the demo password: {0}")]
    Crypt(String),
    /// The certificate could not be made.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The seeded INBOX could not be written.
    #[error("seeding INBOX: {0}")]
    Seed(#[from] mailstore::error::Error),
}

/// Makes or finds the quick-start directory `dir`, listening on `ports`.
pub fn prepare(dir: &Path, ports: Ports) -> Result<Quickstart, QuickstartError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| QuickstartError::Io { path, source }
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
    let dir = dir.canonicalize().map_err(io(dir))?;
    let config = dir.join("panda.toml");
    let created = if config.exists() {
        Created::Existing
    } else {
        Created::New
    };

    let pw_file = dir.join("demo-password");
    let password = match fs::read_to_string(&pw_file) {
        Ok(p) if !p.trim().is_empty() => p.trim().to_owned(),
        _ => {
            let p = random_password().map_err(io(Path::new("/dev/urandom")))?;
            write_new(&pw_file, format!("{p}\n").as_bytes(), 0o600).map_err(io(&pw_file))?;
            p
        }
    };
    let users = dir.join("users");
    if !users.exists() {
        let hash = sysuser::crypt::hash(password.as_bytes(), "$y$")
            .map_err(|e| QuickstartError::Crypt(e.to_string()))?;
        write_new(&users, format!("{DEMO_USER}:{hash}\n").as_bytes(), 0o600).map_err(io(&users))?;
    }
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if !cert.exists() || !key.exists() {
        let (c, k) = crate::tls::self_signed()?;
        write_new(&key, k.as_bytes(), 0o600).map_err(io(&key))?;
        write_new(&cert, c.as_bytes(), 0o644).map_err(io(&cert))?;
    }
    if created == Created::New {
        seed_inbox(&dir, &users)?;
        let text = format!(
            "# Made by `pandad --quickstart`. Edit freely; see the README for every key.\n\
             hostname = \"localhost\"\n\
             data_dir = \".\"\n\
             users = \"users\"\n\
             # The quick start listens on loopback only, so plaintext passwords are allowed\n\
             # without TLS. A public server wants \"tls-only\" (the default).\n\
             plaintext = \"always\"\n\
             \n\
             [tls]\n\
             cert = \"cert.pem\"\n\
             key = \"key.pem\"\n\
             \n\
             [[listen]]\n\
             address = \"127.0.0.1:{imap}\"\n\
             protocol = \"imap\"\n\
             \n\
             [[listen]]\n\
             address = \"127.0.0.1:{imaps}\"\n\
             protocol = \"imaps\"\n\
             \n\
             [[listen]]\n\
             address = \"127.0.0.1:{pop3}\"\n\
             protocol = \"pop3\"\n\
             \n\
             [[listen]]\n\
             address = \"127.0.0.1:{pop3s}\"\n\
             protocol = \"pop3s\"\n",
            imap = ports.imap,
            imaps = ports.imaps,
            pop3 = ports.pop3,
            pop3s = ports.pop3s,
        );
        write_new(&config, text.as_bytes(), 0o644).map_err(io(&config))?;
    }
    Ok(Quickstart {
        dir,
        config,
        password,
        created,
    })
}

/// Writes the demo user's first INBOX.
fn seed_inbox(dir: &Path, users: &Path) -> Result<(), QuickstartError> {
    let v = VirtualUsers::new(users, dir, "localhost", Arc::new(mailstore::notify::Silent));
    let Some(account) = v.account(DEMO_USER) else {
        return Ok(());
    };
    let home = account.store.home.clone();
    fs::create_dir_all(&home).map_err(|source| QuickstartError::Io {
        path: home.clone(),
        source,
    })?;
    let store = Store::new(account.store);
    let welcome: [(&str, &str); 3] = [
        (
            "Welcome to Panda IMAP",
            "This INBOX is a traditional UNIX mailbox, the format of /var/mail and ~/mbox:\n\
             the same file UW imapd, mutt, alpine and procmail use.\n\n\
             Connect any IMAP client to 127.0.0.1, user demo, with the password the\n\
             quick start printed.\n",
        ),
        (
            "Folders",
            "Create folders from your client; each is a file under the demo user's mail\n\
             directory, in the same format. Move or copy messages between them freely.\n",
        ),
        (
            "Going to production",
            "See the README for running with system users (inetd or the daemon), TLS\n\
             certificates of your own, and moving from UW or Panda imapd.\n",
        ),
    ];
    let mut msgs = welcome.iter().map(|(subject, body)| {
        let date = rfc822_now();
        Ok(AppendMessage {
            data: format!(
                "Date: {date}\nFrom: Panda IMAP <postmaster@localhost>\nTo: demo@localhost\n\
                 Subject: {subject}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n{body}"
            )
            .into_bytes(),
            flags: Flags::EMPTY,
            keywords: Vec::new(),
            date: None,
        })
    });
    store.append("INBOX", &mut msgs)?;
    Ok(())
}

/// Now, as an RFC 822 date in UTC.
fn rfc822_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc822::DateTime::new(i64::try_from(secs).unwrap_or(0), 0)
        .unwrap_or(rfc822::DateTime::UNIX_EPOCH)
        .rfc822()
}

/// Sixteen random letters and digits (about 95 bits).
fn random_password() -> std::io::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::new();
    let mut f = fs::File::open("/dev/urandom")?;
    while out.len() < 16 {
        let mut b = [0u8; 32];
        f.read_exact(&mut b)?;
        for &x in &b {
            // Rejection sampling keeps every letter equally likely.
            let limit = 256 - 256 % ALPHABET.len();
            if usize::from(x) < limit && out.len() < 16 {
                out.push(char::from(ALPHABET[usize::from(x) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

/// Creates `path` (which must not exist) with `mode` and `data`.
fn write_new(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepares_once_and_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let qs_dir = dir.path().join("qs");
        let q = prepare(&qs_dir, Ports::default()).unwrap();
        assert_eq!(q.created, Created::New);
        assert_eq!(q.password.len(), 16);
        let cfg = crate::config::Config::load(&q.config).unwrap();
        assert_eq!(cfg.listen.len(), 4);
        assert_eq!(cfg.plaintext, crate::config::Plaintext::Always);
        let v = VirtualUsers::new(
            &cfg.users,
            &cfg.data_dir,
            "h",
            Arc::new(mailstore::notify::Silent),
        );
        let account =
            crate::auth::Authenticator::login(&v, DEMO_USER, q.password.as_bytes()).unwrap();
        let st = Store::new(account.store).status("INBOX").unwrap();
        assert_eq!(st.messages, 3);
        crate::tls::server_config(&qs_dir.join("cert.pem"), &qs_dir.join("key.pem"), None).unwrap();

        let again = prepare(&qs_dir, Ports::default()).unwrap();
        assert_eq!(again.created, Created::Existing);
        assert_eq!(again.password, q.password);
    }
}
