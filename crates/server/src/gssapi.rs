//! SASL GSSAPI (Kerberos V5, RFC 4752): when it is offered, who a principal may act as,
//! and (with the `gssapi` cargo feature) the acceptor over MIT krb5's `libgssapi_krb5`.
//!
//! As Panda: the mechanism is offered only when the server was built with it and the
//! keytab holds a key for the service (`imap/host@REALM`, `pop/host@REALM`); a principal
//! logs in as its local name (Kerberos `aname_to_localname`: `fred@DEFAULT.REALM` is
//! `fred`), and an authorization identity other than that name is refused.
//!
//! The keytab is the configured one, else `KRB5_KTNAME`, else `/etc/krb5.keytab`. MIT's
//! library reads only `KRB5_KTNAME`, so a program with a configured keytab starts itself
//! again with that variable set (see [`keytab_env`]).

use std::path::{Path, PathBuf};

use sasl::gssapi::GssAcceptor;

use crate::auth::{Account, Authenticator};
use crate::log::{Level, Log, printable};

/// Where keys are looked for when nothing says otherwise.
pub const DEFAULT_KEYTAB: &str = "/etc/krb5.keytab";

/// The GSSAPI settings of one service (IMAP or POP3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gssapi {
    /// The keytab file.
    pub keytab: PathBuf,
    /// The service name: the first component of the service principal (`imap`, `pop`).
    pub service: String,
}

/// Why a GSSAPI login is refused (for the log; the client hears only that it failed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The ticket is for another service (a `pop` ticket on the IMAP port).
    #[error("ticket for service {0}, not this one")]
    WrongService(String),
    /// Kerberos maps the principal to no local name.
    #[error("principal {0} has no local name")]
    NoLocalName(String),
    /// The client asked to act as someone other than the principal's local user.
    #[error("principal {principal} may not act as {authzid}")]
    NotAuthorized {
        /// Who authenticated.
        principal: String,
        /// Who they asked to be.
        authzid: String,
    },
    /// The local user has no account here.
    #[error("no account {0}")]
    NoAccount(String),
}

/// What a finished GSSAPI exchange tells of the client (sasl's `Credentials::Gssapi`).
#[derive(Clone, Copy, Debug)]
pub struct Ticket<'a> {
    /// The authenticated principal, `user@REALM`.
    pub principal: &'a str,
    /// Its local user name, as the Kerberos library maps it.
    pub local_name: Option<&'a str>,
    /// The service the ticket was for.
    pub service: Option<&'a str>,
    /// Who the client asked to act as.
    pub authzid: Option<&'a str>,
}

impl Gssapi {
    /// Settings for `service`, with the keytab `configured` or else the default one.
    pub fn new(configured: Option<&Path>, service: &str) -> Self {
        Gssapi {
            keytab: configured.map_or_else(default_keytab, Path::to_owned),
            service: service.to_owned(),
        }
    }

    /// Whether AUTH=GSSAPI is offered: built with the `gssapi` feature and the keytab has
    /// a key for the service.
    pub fn offered(&self) -> bool {
        cfg!(feature = "gssapi")
            && std::fs::read(&self.keytab)
                .ok()
                .and_then(|b| keytab_principals(&b))
                .is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.first().is_some_and(|c| *c == self.service))
                })
    }

    /// A fresh acceptor for one exchange (`None` without the `gssapi` feature).
    pub fn acceptor(&self) -> Option<Box<dyn GssAcceptor>> {
        #[cfg(feature = "gssapi")]
        {
            Some(Box::new(mit::Acceptor::new()))
        }
        #[cfg(not(feature = "gssapi"))]
        {
            None
        }
    }

    /// As [`Gssapi::authorize`], for the client at `client`: a refusal is logged (at
    /// `Info`) and no account given.
    pub fn login(
        &self,
        auth: &dyn Authenticator,
        log: &dyn Log,
        client: &str,
        ticket: &Ticket<'_>,
    ) -> Option<Account> {
        self.authorize(
            auth,
            ticket.principal,
            ticket.local_name,
            ticket.service,
            ticket.authzid,
        )
        .map_err(|why| {
            log.line(
                Level::Info,
                &format!(
                    "GSSAPI refused host={client}: {}",
                    printable(&why.to_string())
                ),
            );
        })
        .ok()
    }

    /// The account a finished GSSAPI exchange logs in to: the principal's local user, if
    /// the ticket was for this service and `authzid` is absent or names that user (or,
    /// as c-client tries, that user in lower case).
    pub fn authorize(
        &self,
        auth: &dyn Authenticator,
        principal: &str,
        local_name: Option<&str>,
        service: Option<&str>,
        authzid: Option<&str>,
    ) -> Result<Account, Refusal> {
        if let Some(s) = service.filter(|s| *s != self.service) {
            return Err(Refusal::WrongService(s.to_owned()));
        }
        let refused = |who: &str| Refusal::NotAuthorized {
            principal: principal.to_owned(),
            authzid: who.to_owned(),
        };
        let local = local_name.filter(|l| !l.is_empty());
        // c-client asks krb5_kuserok for the authorization identity as given, then in
        // lower case; without one, for the principal's local name.
        let candidates: Vec<String> = match authzid {
            Some(z) => vec![z.to_owned(), z.to_lowercase()],
            None => vec![
                local
                    .ok_or_else(|| Refusal::NoLocalName(principal.to_owned()))?
                    .to_owned(),
            ],
        };
        let mut user = None;
        for c in &candidates {
            match kuserok(auth, principal, local, c) {
                UserOk::Yes => {
                    user = Some(c.clone());
                    break;
                }
                UserOk::No => {}
            }
        }
        let user = user.ok_or_else(|| match (authzid, local) {
            (Some(_), None) => Refusal::NoLocalName(principal.to_owned()),
            (Some(who), Some(_)) | (None, Some(who)) => refused(who),
            (None, None) => Refusal::NoLocalName(principal.to_owned()),
        })?;
        auth.account_of(&user).ok_or(Refusal::NoAccount(user))
    }
}

/// Whether a principal may act as a local user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UserOk {
    /// It may.
    Yes,
    /// It may not.
    No,
}

/// MIT Kerberos's `krb5_kuserok`, which c-client's `kerberos_login` asks: when `user`
/// has a `~/.k5login` (owned by the user or root), `principal` may act as `user` exactly
/// when the file lists it, one principal a line — even `user`'s own principal must be
/// listed then; without the file, when the principal's local name is `user`. A file that
/// cannot be read, or is owned by someone else, allows nobody.
fn kuserok(auth: &dyn Authenticator, principal: &str, local: Option<&str>, user: &str) -> UserOk {
    use std::os::unix::fs::MetadataExt;
    let by_name = if local == Some(user) {
        UserOk::Yes
    } else {
        UserOk::No
    };
    let Some((file, uid)) = auth.k5login_of(user) else {
        return by_name;
    };
    let meta = match std::fs::metadata(&file) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return by_name,
        Err(_) => return UserOk::No,
    };
    if meta.uid() != uid && meta.uid() != 0 {
        return UserOk::No;
    }
    match std::fs::read(&file) {
        Ok(text)
            if text
                .split(|&b| b == b'\n')
                .any(|line| line.trim_ascii() == principal.as_bytes()) =>
        {
            UserOk::Yes
        }
        _ => UserOk::No,
    }
}

/// The keytab `KRB5_KTNAME` names (a `FILE:` or `WRFILE:` prefix removed), else
/// `/etc/krb5.keytab`.
pub fn default_keytab() -> PathBuf {
    match std::env::var_os("KRB5_KTNAME") {
        Some(v) => {
            let v = v.to_string_lossy();
            let path = v
                .strip_prefix("FILE:")
                .or_else(|| v.strip_prefix("WRFILE:"))
                .unwrap_or(&v);
            PathBuf::from(path)
        }
        None => PathBuf::from(DEFAULT_KEYTAB),
    }
}

/// The `KRB5_KTNAME` value this program must run with for MIT's library to use the
/// `configured` keytab, when the environment does not say it already (`None`: nothing to
/// do).
pub fn keytab_env(configured: Option<&Path>) -> Option<String> {
    let path = configured?;
    let want = format!("FILE:{}", path.display());
    let have = std::env::var("KRB5_KTNAME").ok();
    (have.as_deref() != Some(want.as_str())).then_some(want)
}

/// The principals of a keytab file (MIT's format, versions 1 and 2), each as its name
/// components without the realm; `None` if the bytes are not a keytab.
///
/// ```text
/// keytab  = %x05 (%x01 / %x02) *entry
/// entry   = size:i32 (a negative size is a hole of -size bytes)
///           count:u16 realm:data count*component:data [type:u32 (version 2)]
///           timestamp:u32 vno8:u8 enctype:u16 key:data [vno:u32]
/// data    = length:u16 octets
/// ```
///
/// Integers are big-endian in version 2 (native in version 1; read big-endian here, as
/// every keytab written by a current MIT or Heimdal is version 2). In version 1 the count
/// includes the realm.
pub fn keytab_principals(bytes: &[u8]) -> Option<Vec<Vec<String>>> {
    let (&[5, version], mut rest) = bytes.split_first_chunk::<2>()? else {
        return None;
    };
    if version != 1 && version != 2 {
        return None;
    }
    let mut out = Vec::new();
    while let Some((size, after)) = rest.split_first_chunk::<4>() {
        let size = i32::from_be_bytes(*size);
        let len = usize::try_from(size.unsigned_abs()).ok()?;
        let entry = after.get(..len)?;
        rest = &after[len..];
        if size <= 0 {
            continue;
        }
        let (count, mut e) = entry.split_first_chunk::<2>()?;
        let mut count = u16::from_be_bytes(*count);
        if version == 1 {
            count = count.checked_sub(1)?;
        }
        let data = |e: &mut &[u8]| -> Option<String> {
            let (n, tail) = e.split_first_chunk::<2>()?;
            let n = usize::from(u16::from_be_bytes(*n));
            let d = tail.get(..n)?;
            *e = &tail[n..];
            Some(String::from_utf8_lossy(d).into_owned())
        };
        let _realm = data(&mut e)?;
        let components = (0..count)
            .map(|_| data(&mut e))
            .collect::<Option<Vec<_>>>()?;
        out.push(components);
    }
    Some(out)
}

/// The acceptor over MIT krb5's GSS-API library.
#[cfg(feature = "gssapi")]
mod mit {
    use libgssapi::context::{SecurityContext, ServerCtx};
    use libgssapi::error::Error;
    use libgssapi::oid::GSS_MECH_KRB5;
    use sasl::gssapi::{Accepted, GssAcceptor, GssError, Peer};

    /// One context, accepting with whatever key of the keytab the client's ticket names.
    #[derive(Debug)]
    pub(super) struct Acceptor {
        ctx: ServerCtx,
    }

    impl Acceptor {
        pub(super) fn new() -> Self {
            Acceptor {
                ctx: ServerCtx::new(None),
            }
        }
    }

    fn gss(e: Error) -> GssError {
        GssError(e.to_string())
    }

    impl GssAcceptor for Acceptor {
        fn accept(&mut self, token: &[u8]) -> Result<Accepted, GssError> {
            let out = self.ctx.step(token, None).map_err(gss)?;
            let out = out.map(|b| b.to_vec());
            Ok(if self.ctx.is_complete() {
                Accepted::Complete(out)
            } else {
                Accepted::Continue(out.unwrap_or_default())
            })
        }

        fn wrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
            self.ctx
                .wrap(false, message)
                .map(|b| b.to_vec())
                .map_err(gss)
        }

        fn unwrap(&mut self, message: &[u8]) -> Result<Vec<u8>, GssError> {
            self.ctx.unwrap(message).map(|b| b.to_vec()).map_err(gss)
        }

        fn peer(&self) -> Result<Peer, GssError> {
            let source = self.ctx.source_name().map_err(gss)?;
            let principal =
                String::from_utf8_lossy(&source.display_name().map_err(gss)?).into_owned();
            let local_name = source
                .local_name(Some(GSS_MECH_KRB5))
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            let service = self
                .ctx
                .target_name()
                .and_then(|t| t.display_name())
                .ok()
                .and_then(|d| {
                    let d = String::from_utf8_lossy(&d).into_owned();
                    d.split(['/', '@']).next().map(str::to_owned)
                });
            Ok(Peer {
                principal,
                local_name,
                service,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-2 keytab entry for `components@realm`.
    fn entry(realm: &str, components: &[&str]) -> Vec<u8> {
        let mut e = Vec::new();
        let data = |e: &mut Vec<u8>, d: &[u8]| {
            e.extend_from_slice(&u16::try_from(d.len()).unwrap().to_be_bytes());
            e.extend_from_slice(d);
        };
        e.extend_from_slice(&u16::try_from(components.len()).unwrap().to_be_bytes());
        data(&mut e, realm.as_bytes());
        for c in components {
            data(&mut e, c.as_bytes());
        }
        e.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 18]);
        data(&mut e, &[7; 32]);
        e.extend_from_slice(&[0, 0, 0, 2]);
        let mut out = i32::try_from(e.len()).unwrap().to_be_bytes().to_vec();
        out.extend(e);
        out
    }

    #[test]
    fn keytab_principals_with_a_hole() {
        let mut kt = vec![5, 2];
        kt.extend(entry("TEST.PANDA", &["imap", "localhost"]));
        kt.extend((-3i32).to_be_bytes());
        kt.extend([0, 0, 0]);
        kt.extend(entry("TEST.PANDA", &["host", "mail.example"]));
        assert_eq!(
            keytab_principals(&kt).unwrap(),
            [vec!["imap", "localhost"], vec!["host", "mail.example"]]
        );
        assert_eq!(
            keytab_principals(&[5, 2]).unwrap(),
            Vec::<Vec<String>>::new()
        );
        assert!(keytab_principals(b"not a keytab").is_none());
        // A truncated entry is not a keytab.
        assert!(keytab_principals(&kt[..kt.len() - 5]).is_none());
    }

    #[test]
    fn offered_only_with_a_key_for_the_service_and_the_feature() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("krb5.keytab");
        let imap = Gssapi::new(Some(&path), "imap");
        assert!(!imap.offered(), "no keytab");
        let mut kt = vec![5, 2];
        kt.extend(entry("TEST.PANDA", &["pop", "localhost"]));
        std::fs::write(&path, &kt).unwrap();
        assert!(!imap.offered(), "no imap key");
        assert_eq!(
            Gssapi::new(Some(&path), "pop").offered(),
            cfg!(feature = "gssapi")
        );
    }

    #[test]
    fn a_principal_acts_as_its_local_name_only() {
        let dir = tempfile::tempdir().unwrap();
        let users = dir.path().join("users");
        std::fs::write(&users, "fred:!\nother:!\n").unwrap();
        let auth = crate::auth::VirtualUsers::new(
            &users,
            dir.path(),
            "h",
            std::sync::Arc::new(mailstore::notify::Silent),
        );
        let g = Gssapi::new(Some(Path::new("unused")), "imap");
        let p = "fred@TEST.PANDA";
        let imap = Some("imap");
        let user = |r: Result<Account, Refusal>| r.map(|a| a.user);
        assert_eq!(
            user(g.authorize(&auth, p, Some("fred"), imap, None)),
            Ok("fred".into())
        );
        assert_eq!(
            user(g.authorize(&auth, p, Some("fred"), imap, Some("fred"))),
            Ok("fred".into())
        );
        assert_eq!(
            user(g.authorize(&auth, p, Some("fred"), imap, Some("FRED"))),
            Ok("fred".into()),
            "c-client also tries the authzid in lower case"
        );
        assert_eq!(
            user(g.authorize(&auth, p, Some("fred"), imap, Some("other"))),
            Err(Refusal::NotAuthorized {
                principal: p.into(),
                authzid: "other".into()
            })
        );
        assert_eq!(
            user(g.authorize(&auth, p, Some("fred"), Some("pop"), None)),
            Err(Refusal::WrongService("pop".into()))
        );
        assert_eq!(
            user(g.authorize(&auth, "x@ELSEWHERE", None, imap, Some("fred"))),
            Err(Refusal::NoLocalName("x@ELSEWHERE".into()))
        );
        assert_eq!(
            user(g.authorize(&auth, "nobody@TEST.PANDA", Some("nobody"), imap, None)),
            Err(Refusal::NoAccount("nobody".into()))
        );
    }

    /// Accounts whose `.k5login` files are in one directory, owned by this process.
    #[derive(Debug)]
    struct K5Homes(std::path::PathBuf);

    impl Authenticator for K5Homes {
        fn login(&self, _: &str, _: &[u8]) -> Option<Account> {
            None
        }
        fn account_of(&self, user: &str) -> Option<Account> {
            Some(Account {
                user: user.to_owned(),
                store: mailstore::config::StoreConfig::new(user, &self.0),
            })
        }
        fn k5login_of(&self, user: &str) -> Option<(std::path::PathBuf, u32)> {
            Some((
                self.0.join(format!("{user}.k5login")),
                nix::unistd::geteuid().as_raw(),
            ))
        }
    }

    #[test]
    fn a_k5login_file_decides_who_may_act_as_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let auth = K5Homes(dir.path().to_owned());
        let g = Gssapi::new(Some(Path::new("unused")), "imap");
        let imap = Some("imap");
        let user = |r: Result<Account, Refusal>| r.map(|a| a.user);
        // Without a file: the local name rule.
        assert_eq!(
            user(g.authorize(&auth, "fred@R", Some("fred"), imap, None)),
            Ok("fred".into())
        );
        assert!(
            g.authorize(&auth, "fred@R", Some("fred"), imap, Some("ann"))
                .is_err()
        );
        // ann lists fred (and a foreign principal without a local name): both may be ann.
        std::fs::write(
            dir.path().join("ann.k5login"),
            "ann@R\n  fred@R \nguest@OTHER\n",
        )
        .unwrap();
        assert_eq!(
            user(g.authorize(&auth, "fred@R", Some("fred"), imap, Some("ann"))),
            Ok("ann".into())
        );
        assert_eq!(
            user(g.authorize(&auth, "guest@OTHER", None, imap, Some("ann"))),
            Ok("ann".into())
        );
        // fred's own file that does not list fred@R shuts fred out.
        std::fs::write(dir.path().join("fred.k5login"), "boss@R\n").unwrap();
        assert_eq!(
            user(g.authorize(&auth, "fred@R", Some("fred"), imap, None)),
            Err(Refusal::NotAuthorized {
                principal: "fred@R".into(),
                authzid: "fred".into()
            })
        );
        assert_eq!(
            user(g.authorize(&auth, "boss@R", Some("boss"), imap, Some("fred"))),
            Ok("fred".into())
        );
        // A prefix or a longer name is not the principal.
        assert!(
            g.authorize(&auth, "fred@RR", Some("fred"), imap, Some("ann"))
                .is_err()
        );
        // A file owned by somebody else (neither the user nor root) allows nobody.
        if nix::unistd::geteuid().is_root() {
            let file = dir.path().join("ann.k5login");
            std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
            assert!(
                g.authorize(&auth, "fred@R", Some("fred"), imap, Some("ann"))
                    .is_err()
            );
        }
    }

    #[test]
    fn keytab_env_only_when_configured_and_different() {
        assert_eq!(keytab_env(None), None);
        let p = Path::new("/nonexistent/panda-test.keytab");
        assert_eq!(
            keytab_env(Some(p)).as_deref(),
            Some("FILE:/nonexistent/panda-test.keytab")
        );
    }
}
