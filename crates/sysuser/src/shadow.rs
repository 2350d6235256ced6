//! Passwords in `/etc/shadow`, checked as c-client's `ckp_psx` does.
//!
//! A line is `name:hash:lastchg:min:max:warn:inactive:expire:reserved` (shadow(5)); the
//! dates are days since 1970-01-01 and an empty field means "not set". The password is
//! refused when the hash is locked (`!…`, `*`, empty), when the account has expired
//! (`expire` set and before today) or when the password has aged out (`lastchg` and `max`
//! set and `lastchg + max` before today).
//!
//! A password that is accepted may still earn a warning ([`Expiry`]), as `ckp_psx` sends
//! them: the password's last valid day is `lastchg + max`, warned of from `warn` days
//! before; the account's is `expire`, warned of from 27 days before.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::crypt;

/// The system's shadow file.
pub const SHADOW_FILE: &str = "/etc/shadow";

/// One user's shadow entry (the fields the check needs).
#[derive(Clone, PartialEq, Eq)]
pub struct ShadowEntry {
    /// The password hash (or a lock marker).
    hash: String,
    /// Day of the last password change.
    pub last_change: Option<i64>,
    /// Days a password stays valid.
    pub max_age: Option<i64>,
    /// Days before the password's end that the user is warned.
    pub warn: Option<i64>,
    /// Day the account expires.
    pub expire: Option<i64>,
}

impl std::fmt::Debug for ShadowEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShadowEntry")
            .field("hash", &"<secret>")
            .field("last_change", &self.last_change)
            .field("max_age", &self.max_age)
            .field("warn", &self.warn)
            .field("expire", &self.expire)
            .finish()
    }
}

/// Why a shadow check refused a password. The reason is for the log, never for the peer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The shadow file cannot be read (not root?).
    #[error("cannot read the shadow file: {0}")]
    Unreadable(std::io::Error),
    /// The user has no shadow entry.
    #[error("no shadow entry")]
    NoEntry,
    /// The hash is a lock marker (`!`, `*`) or empty.
    #[error("account locked")]
    Locked,
    /// The account's expiry date has passed.
    #[error("account expired")]
    AccountExpired,
    /// The password is older than its maximum age.
    #[error("password expired")]
    PasswordExpired,
    /// The password does not match.
    #[error("wrong password")]
    WrongPassword,
}

impl ShadowEntry {
    /// Parses the fields after the name of a shadow line (`hash:lastchg:…`).
    pub fn parse(fields: &str) -> ShadowEntry {
        let mut f = fields.split(':');
        let hash = f.next().unwrap_or("").to_owned();
        let mut day = || f.next().and_then(|s| s.trim().parse::<i64>().ok());
        let last_change = day();
        let _min = day();
        let max_age = day();
        let warn = day();
        let _inactive = day();
        let expire = day();
        ShadowEntry {
            hash,
            last_change,
            max_age,
            warn,
            expire,
        }
    }

    /// `user`'s entry in the shadow file `file`.
    pub fn read(file: &Path, user: &str) -> Result<ShadowEntry, Refusal> {
        let text = std::fs::read_to_string(file).map_err(Refusal::Unreadable)?;
        text.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(name, _)| *name == user)
            .map(|(_, rest)| ShadowEntry::parse(rest))
            .ok_or(Refusal::NoEntry)
    }

    /// Checks `password` on day `today` (days since 1970-01-01); a password accepted
    /// comes with the warnings due (see [`ShadowEntry::warnings`]).
    pub fn check(&self, password: &[u8], today: i64) -> Result<Vec<Expiry>, Refusal> {
        if self.hash.is_empty() || self.hash.starts_with('!') || self.hash.starts_with('*') {
            return Err(Refusal::Locked);
        }
        if self.expire.is_some_and(|e| e < today) {
            return Err(Refusal::AccountExpired);
        }
        if let (Some(changed), Some(max)) = (self.last_change, self.max_age)
            && max >= 0
            && changed + max < today
        {
            return Err(Refusal::PasswordExpired);
        }
        if crypt::verify(password, &self.hash) {
            Ok(self.warnings(today))
        } else {
            Err(Refusal::WrongPassword)
        }
    }

    /// The warnings due on day `today` (c-client's `ckp_psx`): the password ends within
    /// its warning period, the account within 28 days.
    pub fn warnings(&self, today: i64) -> Vec<Expiry> {
        let mut out = Vec::new();
        if let (Some(changed), Some(max), Some(warn)) = (self.last_change, self.max_age, self.warn)
            && changed > 0
            && max > 0
        {
            let left = changed + max - today;
            if (0..=warn).contains(&left) {
                out.push(Expiry::Password { days: left });
            }
        }
        if let Some(expire) = self.expire.filter(|&e| e > 0) {
            let left = expire - today;
            if (0..28).contains(&left) {
                out.push(Expiry::Account { days: left });
            }
        }
        out
    }
}

/// A warning that the password or the account is about to expire. `days` is how many days
/// are left: 0 means today is the last day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// The password.
    Password {
        /// Days left.
        days: i64,
    },
    /// The account.
    Account {
        /// Days left.
        days: i64,
    },
}

/// Today, in days since 1970-01-01 (UTC).
pub fn today() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64)
}

/// Checks `user`'s `password` against the system's shadow file; see
/// [`ShadowEntry::check`].
pub fn check(user: &str, password: &[u8]) -> Result<Vec<Expiry>, Refusal> {
    ShadowEntry::read(Path::new(SHADOW_FILE), user)?.check(password, today())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules() {
        let h = crypt::hash(b"pw", "$6$").unwrap();
        let e = ShadowEntry::parse(&format!("{h}:20000:0:99999:7:::"));
        assert!(e.check(b"pw", 20001).is_ok());
        assert!(matches!(e.check(b"px", 20001), Err(Refusal::WrongPassword)));
        // Password aged out.
        let e = ShadowEntry::parse(&format!("{h}:20000:0:30:7:::"));
        assert!(e.check(b"pw", 20030).is_ok());
        assert!(matches!(
            e.check(b"pw", 20031),
            Err(Refusal::PasswordExpired)
        ));
        // `chage -E 0`: expired since 1970.
        let e = ShadowEntry::parse(&format!("{h}:20000:0:99999:7::0:"));
        assert!(matches!(
            e.check(b"pw", 20001),
            Err(Refusal::AccountExpired)
        ));
        let e = ShadowEntry::parse(&format!("{h}:20000:0:99999:7::20001:"));
        assert!(e.check(b"pw", 20001).is_ok());
        for locked in [format!("!{h}"), "*".into(), "!".into(), String::new()] {
            let e = ShadowEntry::parse(&format!("{locked}:20000::::::"));
            assert!(
                matches!(e.check(b"pw", 20001), Err(Refusal::Locked)),
                "{locked}"
            );
        }
        assert!(!format!("{e:?}", e = ShadowEntry::parse(&h)).contains(&h));
    }

    #[test]
    fn warnings_as_ckp_psx() {
        let h = crypt::hash(b"pw", "$6$").unwrap();
        // Password: last valid day 20030, warned 7 days before.
        let e = ShadowEntry::parse(&format!("{h}:20000:0:30:7:::"));
        assert_eq!(e.check(b"pw", 20022).unwrap(), []);
        assert_eq!(
            e.check(b"pw", 20023).unwrap(),
            [Expiry::Password { days: 7 }]
        );
        assert_eq!(
            e.check(b"pw", 20030).unwrap(),
            [Expiry::Password { days: 0 }]
        );
        // No warning period, or no maximum age: no warning.
        let e = ShadowEntry::parse(&format!("{h}:20000:0:30::::"));
        assert_eq!(e.check(b"pw", 20029).unwrap(), []);
        let e = ShadowEntry::parse(&format!("{h}:20000:0::7:::"));
        assert_eq!(e.check(b"pw", 20029).unwrap(), []);
        // Account: warned from 27 days before its last day.
        let e = ShadowEntry::parse(&format!("{h}:20000:0:99999:7::20100:"));
        assert_eq!(e.warnings(20072), []);
        assert_eq!(e.warnings(20073), [Expiry::Account { days: 27 }]);
        assert_eq!(e.warnings(20100), [Expiry::Account { days: 0 }]);
        // Both.
        let e = ShadowEntry::parse(&format!("{h}:20000:0:10:7::20012:"));
        assert_eq!(
            e.warnings(20005),
            [Expiry::Password { days: 5 }, Expiry::Account { days: 7 }]
        );
    }

    #[test]
    fn entries_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("shadow");
        std::fs::write(&f, "root:*:1::::::\nann:x:2::::::\nannie:y:3::::::\n").unwrap();
        assert_eq!(ShadowEntry::read(&f, "ann").unwrap().last_change, Some(2));
        assert!(matches!(ShadowEntry::read(&f, "an"), Err(Refusal::NoEntry)));
    }
}
