//! UW c-client's system configuration file, `/etc/c-client.cf`, read for the directives
//! that mean something to this server.
//!
//! The format (c-client's `dorc()`, `docs/imaprc.txt`): one directive a line,
//! `set <name> <value>`. The first two words are the directive, compared without regard
//! to case; the rest of the line is its value. A line of another shape, or a directive
//! not known, is skipped: UW says nothing about it, here each becomes a [`Note`] so that
//! the operator sees what was not carried over. UW's documentation asks for an opening
//! line `I accept the risk for IMAP toolkit 4.1.`; Panda does not check it, and here it
//! is skipped too.
//!
//! Directives read ([`CClientCf`]):
//!
//! | directive | value |
//! |---|---|
//! | `set new-folder-format` | `same-as-inbox`, `system-standard` or a driver name (`mbox` is `unix`) |
//! | `set empty-folder-format` | the same, or `invalid` |
//! | `set disable-plaintext` | `0` always, `1` never, `2` only under TLS |
//! | `set restrict-mailbox-access` | a list of `root`, `otherusers`, `all` |
//! | `set mail-subdirectory` | a directory under the home directory |
//! | `set allow-user-config` | `0` or `1` (users' `~/.imaprc` is never read here) |
//! | `set ftp-export-directory` | the directory of `#ftp/` (absolute) |
//! | `set public-home-directory` | the directory of `#public/` (absolute) |
//! | `set shared-home-directory` | the directory of `#shared/` (absolute) |
//!
//! As in c-client, the first `new-folder-format` and `empty-folder-format` win; for the
//! others the last line wins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{MailboxFormat, Plaintext};

/// What `/etc/c-client.cf` says, as far as this server understands it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CClientCf {
    /// `set new-folder-format`.
    pub new_folder_format: Option<FolderFormat>,
    /// `set empty-folder-format`.
    pub empty_folder_format: Option<FolderFormat>,
    /// `set disable-plaintext`.
    pub disable_plaintext: Option<Plaintext>,
    /// `set restrict-mailbox-access`: the restrictions named (empty when not set).
    pub restrict_mailbox_access: Vec<Restriction>,
    /// `set mail-subdirectory`.
    pub mail_subdirectory: Option<String>,
    /// `set allow-user-config`.
    pub allow_user_config: Option<UserConfig>,
    /// `set ftp-export-directory`.
    pub ftp_export_directory: Option<PathBuf>,
    /// `set public-home-directory`.
    pub public_home_directory: Option<PathBuf>,
    /// `set shared-home-directory`.
    pub shared_home_directory: Option<PathBuf>,
    /// The line each directive read was taken from, by its name as written in lower case
    /// (`mail-subdirectory`), for messages about it.
    pub lines: BTreeMap<String, usize>,
    /// The lines skipped, and why.
    pub notes: Vec<Note>,
}

/// The format a directive asks new (or empty) mailboxes to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderFormat {
    /// `same-as-inbox`: the format of the user's INBOX.
    SameAsInbox,
    /// `system-standard`: the built-in default.
    SystemStandard,
    /// `invalid` (empty-folder-format only): appending to an empty file is refused.
    Invalid,
    /// A driver.
    Driver(MailboxFormat),
}

/// One of `restrict-mailbox-access`'s restrictions (`all` is both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restriction {
    /// `root`: absolute names outside the user's own mail are refused.
    Root,
    /// `otherusers`: `~user` names are refused.
    OtherUsers,
}

/// `allow-user-config`'s value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserConfig {
    /// `0`.
    Refused,
    /// Anything else.
    Allowed,
}

/// A line skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Its number (1-based).
    pub line: usize,
    /// The line.
    pub text: String,
    /// Why it was skipped.
    pub why: Skipped,
}

/// Why a line was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// It is not `set <name> <value>`.
    NotADirective,
    /// The directive has no meaning here.
    Unknown,
    /// The value is not one the directive takes.
    BadValue,
    /// An earlier line set it, and the first one wins.
    Repeated,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match self.why {
            Skipped::NotADirective => "not a directive",
            Skipped::Unknown => "no meaning here",
            Skipped::BadValue => "value not understood",
            Skipped::Repeated => "set on an earlier line",
        };
        write!(f, "line {}: ignored ({why}): {}", self.line, self.text)
    }
}

impl CClientCf {
    /// Reads `path`; a file that does not exist is an empty configuration.
    pub fn load(path: &Path) -> std::io::Result<CClientCf> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(CClientCf::parse(&String::from_utf8_lossy(&bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CClientCf::default()),
            Err(e) => Err(e),
        }
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> CClientCf {
        let mut cf = CClientCf::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            let trimmed = line.trim();
            if trimmed.is_empty()
                || trimmed.starts_with('#')
                || trimmed
                    .to_ascii_lowercase()
                    .starts_with("i accept the risk")
            {
                continue;
            }
            match cf.directive(trimmed) {
                Ok(name) => {
                    cf.lines.insert(name, i + 1);
                }
                Err(why) => cf.notes.push(Note {
                    line: i + 1,
                    text: line.to_owned(),
                    why,
                }),
            }
        }
        cf
    }

    /// The line directive `name` (lower case) was read from, if it was.
    pub fn line_of(&self, name: &str) -> Option<usize> {
        self.lines.get(name).copied()
    }

    /// Applies one directive line; gives the directive's name.
    fn directive(&mut self, line: &str) -> Result<String, Skipped> {
        let mut words = line.splitn(3, ' ');
        let (Some(verb), Some(name), Some(value)) = (words.next(), words.next(), words.next())
        else {
            return Err(Skipped::NotADirective);
        };
        if !verb.eq_ignore_ascii_case("set") {
            return Err(Skipped::NotADirective);
        }
        let value = value.trim();
        let name = match name.to_ascii_lowercase().as_str() {
            "new-mailbox-format" => "new-folder-format".to_owned(),
            "empty-mailbox-format" => "empty-folder-format".to_owned(),
            other => other.to_owned(),
        };
        match name.as_str() {
            "new-folder-format" | "new-mailbox-format" => {
                if self.new_folder_format.is_some() {
                    return Err(Skipped::Repeated);
                }
                match folder_format(value)? {
                    FolderFormat::Invalid => return Err(Skipped::BadValue),
                    f => self.new_folder_format = Some(f),
                }
            }
            "empty-folder-format" | "empty-mailbox-format" => {
                if self.empty_folder_format.is_some() {
                    return Err(Skipped::Repeated);
                }
                self.empty_folder_format = Some(folder_format(value)?);
            }
            "disable-plaintext" => {
                self.disable_plaintext = Some(match number(value) {
                    0 => Plaintext::Always,
                    1 => Plaintext::Never,
                    2 => Plaintext::TlsOnly,
                    _ => return Err(Skipped::BadValue),
                });
            }
            "restrict-mailbox-access" => {
                let mut set = Vec::new();
                for word in value.split([',', ' ']).filter(|w| !w.is_empty()) {
                    let add: &[Restriction] = match word.to_ascii_lowercase().as_str() {
                        "root" => &[Restriction::Root],
                        "otherusers" => &[Restriction::OtherUsers],
                        "all" => &[Restriction::Root, Restriction::OtherUsers],
                        _ => return Err(Skipped::BadValue),
                    };
                    for r in add {
                        if !set.contains(r) {
                            set.push(*r);
                        }
                    }
                }
                self.restrict_mailbox_access = set;
            }
            "mail-subdirectory" => {
                if value.is_empty() || value.split('/').any(|c| c == "..") {
                    return Err(Skipped::BadValue);
                }
                self.mail_subdirectory = Some(value.to_owned());
            }
            "allow-user-config" => {
                self.allow_user_config = Some(match number(value) {
                    0 => UserConfig::Refused,
                    _ => UserConfig::Allowed,
                });
            }
            "ftp-export-directory" => self.ftp_export_directory = Some(directory(value)?),
            "public-home-directory" => self.public_home_directory = Some(directory(value)?),
            "shared-home-directory" => self.shared_home_directory = Some(directory(value)?),
            _ => return Err(Skipped::Unknown),
        }
        Ok(name)
    }
}

/// A format value; driver names are compared without regard to case, as c-client's.
fn folder_format(value: &str) -> Result<FolderFormat, Skipped> {
    use MailboxFormat as M;
    Ok(match value.to_ascii_lowercase().as_str() {
        "same-as-inbox" => FolderFormat::SameAsInbox,
        "system-standard" => FolderFormat::SystemStandard,
        "invalid" => FolderFormat::Invalid,
        "unix" | "mbox" => FolderFormat::Driver(M::Unix),
        "mmdf" => FolderFormat::Driver(M::Mmdf),
        "mbx" => FolderFormat::Driver(M::Mbx),
        "mix" => FolderFormat::Driver(M::Mix),
        "mx" => FolderFormat::Driver(M::Mx),
        "tenex" => FolderFormat::Driver(M::Tenex),
        "mtx" => FolderFormat::Driver(M::Mtx),
        "maildir" => FolderFormat::Driver(M::Maildir),
        _ => return Err(Skipped::BadValue),
    })
}

/// An absolute directory that is not the filesystem root.
fn directory(value: &str) -> Result<PathBuf, Skipped> {
    let p = PathBuf::from(value);
    if p.is_absolute() && p != Path::new("/") && !value.split('/').any(|c| c == "..") {
        Ok(p)
    } else {
        Err(Skipped::BadValue)
    }
}

/// A number as C's `atol` reads it: leading digits, else 0.
fn number(value: &str) -> u64 {
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "I accept the risk for IMAP toolkit 4.1.\n\
        set new-folder-format mix\n\
        set new-folder-format mbx\n\
        SET Empty-Folder-Format same-as-inbox\n\
        set disable-plaintext 2\n\
        set restrict-mailbox-access root, otherusers\n\
        set mail-subdirectory Mail\n\
        set allow-user-config 1\n\
        set keywords Work, Home\n\
        set mailbox-protection 384\r\n\
        \n\
        # a comment\n\
        set disable-plaintext\n\
        set restrict-mailbox-access nobody\n";

    #[test]
    fn sample_file() {
        let cf = CClientCf::parse(SAMPLE);
        assert_eq!(
            cf.new_folder_format,
            Some(FolderFormat::Driver(MailboxFormat::Mix))
        );
        assert_eq!(cf.empty_folder_format, Some(FolderFormat::SameAsInbox));
        assert_eq!(cf.disable_plaintext, Some(Plaintext::TlsOnly));
        assert_eq!(
            cf.restrict_mailbox_access,
            [Restriction::Root, Restriction::OtherUsers]
        );
        assert_eq!(cf.mail_subdirectory.as_deref(), Some("Mail"));
        assert_eq!(cf.allow_user_config, Some(UserConfig::Allowed));
        let notes: Vec<(usize, Skipped)> = cf.notes.iter().map(|n| (n.line, n.why)).collect();
        assert_eq!(
            notes,
            [
                (3, Skipped::Repeated),
                (9, Skipped::Unknown),
                (10, Skipped::Unknown),
                (13, Skipped::NotADirective),
                (14, Skipped::BadValue),
            ]
        );
        assert_eq!(
            cf.notes[1].to_string(),
            "line 9: ignored (no meaning here): set keywords Work, Home"
        );
        assert_eq!(cf.notes[2].text, "set mailbox-protection 384");
    }

    #[test]
    fn values() {
        let one = |l: &str| CClientCf::parse(l);
        assert_eq!(
            one("set disable-plaintext 1").disable_plaintext,
            Some(Plaintext::Never)
        );
        assert_eq!(
            one("set disable-plaintext 0").disable_plaintext,
            Some(Plaintext::Always)
        );
        assert_eq!(one("set disable-plaintext 7").disable_plaintext, None);
        assert_eq!(
            one("set restrict-mailbox-access all").restrict_mailbox_access,
            [Restriction::Root, Restriction::OtherUsers]
        );
        assert_eq!(
            one("set new-folder-format MBOX").new_folder_format,
            Some(FolderFormat::Driver(MailboxFormat::Unix))
        );
        assert_eq!(
            one("set new-mailbox-format system-standard").new_folder_format,
            Some(FolderFormat::SystemStandard)
        );
        // Not a format new mailboxes can be made in.
        for bad in ["mh", "news", "invalid", "dummy"] {
            let cf = one(&format!("set new-folder-format {bad}"));
            assert_eq!(cf.new_folder_format, None, "{bad}");
            assert_eq!(cf.notes[0].why, Skipped::BadValue, "{bad}");
        }
        assert_eq!(
            one("set empty-folder-format invalid").empty_folder_format,
            Some(FolderFormat::Invalid)
        );
        assert_eq!(
            one("set allow-user-config 0").allow_user_config,
            Some(UserConfig::Refused)
        );
        assert_eq!(one("set mail-subdirectory ../x").mail_subdirectory, None);
        let cf = one(
            "set ftp-export-directory /srv/ftp\nSET Public-Home-Directory /srv/pub\n\
                      set shared-home-directory relative\nset shared-home-directory /",
        );
        assert_eq!(cf.ftp_export_directory, Some(PathBuf::from("/srv/ftp")));
        assert_eq!(cf.public_home_directory, Some(PathBuf::from("/srv/pub")));
        assert_eq!(cf.shared_home_directory, None);
        assert_eq!(cf.line_of("public-home-directory"), Some(2));
        assert_eq!(cf.notes.len(), 2);
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let cf = CClientCf::load(&dir.path().join("c-client.cf")).unwrap();
        assert_eq!(cf, CClientCf::default());
        std::fs::write(dir.path().join("c-client.cf"), SAMPLE).unwrap();
        let cf = CClientCf::load(&dir.path().join("c-client.cf")).unwrap();
        assert_eq!(cf.mail_subdirectory.as_deref(), Some("Mail"));
    }
}
