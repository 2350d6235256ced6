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
        let local = local_name.ok_or_else(|| Refusal::NoLocalName(principal.to_owned()))?;
        let user = match authzid {
            None => local.to_owned(),
            Some(z) if z == local => z.to_owned(),
            Some(z) if z.to_lowercase() == local => local.to_owned(),
            Some(z) => {
                return Err(Refusal::NotAuthorized {
                    principal: principal.to_owned(),
                    authzid: z.to_owned(),
                });
            }
        };
        auth.account_of(&user).ok_or(Refusal::NoAccount(user))
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
