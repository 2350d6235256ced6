//! Remote mailbox names, c-client's network names (inventory §7.1):
//!
//! ```text
//! name      = "{" host [":" port] *("/" switch) "}" [mailbox]
//! host      = dns-name / "[" ip-literal "]"
//! switch    = name ["=" value]            ; names are case-insensitive
//! value     = 1*<any CHAR but "/" "}"> / DQUOTE *(<any CHAR but DQUOTE "\"> / "\" CHAR) DQUOTE
//! ```
//!
//! The mailbox part defaults to `INBOX`, the service to IMAP. `/tls` with `/notls`, `/ssl`
//! with `/tls`, and two different services are errors, as in c-client. Switches that mean
//! nothing to this client (`/loser`, `/tls-sslv23`, `/validate-cert`) are accepted and
//! kept; `/norsh` turns off ssh and rsh pre-authentication where it is configured.

use std::fmt;

/// The protocol spoken to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// IMAP (`/imap`, `/imap2`, `/imap2bis`, `/imap4`, `/imap4rev1`, `/service=imap`).
    Imap,
    /// POP3 (`/pop3`, `/pop`, `/service=pop3`).
    Pop3,
}

impl Service {
    /// The name in canonical names.
    pub fn name(self) -> &'static str {
        match self {
            Service::Imap => "imap",
            Service::Pop3 => "pop3",
        }
    }

    /// The port for a plain (or STARTTLS) connection.
    pub fn plain_port(self) -> u16 {
        match self {
            Service::Imap => 143,
            Service::Pop3 => 110,
        }
    }

    /// The port for TLS from the first byte (`/ssl`).
    pub fn ssl_port(self) -> u16 {
        match self {
            Service::Imap => 993,
            Service::Pop3 => 995,
        }
    }
}

/// How the connection is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS when the server offers it (FAQ 4.4), plaintext otherwise.
    Opportunistic,
    /// `/ssl`: TLS from the first byte, on 993/995 unless a port is given.
    Ssl,
    /// `/tryssl`: TLS from the first byte on the SSL port, falling back to plain.
    TrySsl,
    /// `/tls`: STARTTLS required; the connection fails if the server does not do it.
    Tls,
    /// `/notls`: never STARTTLS.
    NoTls,
}

/// Whether the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertCheck {
    /// Against the system's trust store and the host name (the default, `/validate-cert`).
    Validate,
    /// `/novalidate-cert`: any certificate is taken.
    NoValidate,
}

/// A switch without an argument, other than those setting the service, TLS mode and
/// certificate check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `/anonymous`: anonymous login.
    Anonymous,
    /// `/debug`: protocol trace on standard error, passwords hidden.
    Debug,
    /// `/secure`: never send a password in the clear over an unencrypted link.
    Secure,
    /// `/readonly`: open mailboxes with EXAMINE.
    ReadOnly,
    /// `/norsh`: no rsh/ssh pre-authentication.
    NoRsh,
    /// `/loser`: work around broken servers (accepted; nothing changes here).
    Loser,
    /// `/tls-sslv23`: accepted; rustls negotiates the version itself.
    TlsSslv23,
    /// `/validate-cert` was written (validation is the default anyway).
    ValidateCert,
}

impl Flag {
    fn name(self) -> &'static str {
        match self {
            Flag::Anonymous => "anonymous",
            Flag::Debug => "debug",
            Flag::Secure => "secure",
            Flag::ReadOnly => "readonly",
            Flag::NoRsh => "norsh",
            Flag::Loser => "loser",
            Flag::TlsSslv23 => "tls-sslv23",
            Flag::ValidateCert => "validate-cert",
        }
    }
}

/// Why a name is not a remote name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// It does not start with `{` and hold a `}`.
    #[error("Not a remote mailbox name: {0}")]
    NotRemote(String),
    /// The host is missing or malformed.
    #[error("Bad host name in remote mailbox name: {0}")]
    BadHost(String),
    /// The port is not a number from 1 to 65535.
    #[error("Bad port number: {0}")]
    BadPort(String),
    /// A switch c-client does not know.
    #[error("Unknown switch: /{0}")]
    UnknownSwitch(String),
    /// A switch that needs `=value` has none, or one that takes none has one.
    #[error("Bad argument to switch: /{0}")]
    BadArgument(String),
    /// A service this client does not speak (nntp, smtp, submit) or two services.
    #[error("Unsupported or conflicting service: {0}")]
    Service(String),
    /// Conflicting switches (`/tls` and `/notls`, `/ssl` and `/tls`).
    #[error("Conflicting switches: /{0} and /{1}")]
    Conflict(&'static str, &'static str),
}

/// A parsed remote mailbox name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteName {
    /// The host as written (a bracketed IP literal keeps its brackets).
    pub host: String,
    /// The port, if given.
    pub port: Option<u16>,
    /// The protocol.
    pub service: Service,
    /// How the connection is encrypted.
    pub tls: TlsMode,
    /// Whether the certificate is checked.
    pub cert: CertCheck,
    /// `/user=`: the login name.
    pub user: Option<String>,
    /// `/authuser=`: the authentication identity (its password is used).
    pub authuser: Option<String>,
    /// The other switches, in the order written.
    pub flags: Vec<Flag>,
    /// The mailbox part (INBOX when empty).
    pub mailbox: String,
}

/// Whether `name` is a remote name: it starts with `{` and has a closing `}`.
pub fn is_remote(name: &str) -> bool {
    name.starts_with('{') && name.contains('}')
}

impl RemoteName {
    /// Parses `name`.
    pub fn parse(name: &str) -> Result<RemoteName, NameError> {
        let not_remote = || NameError::NotRemote(name.to_owned());
        let rest = name.strip_prefix('{').ok_or_else(not_remote)?;
        // The host part: a bracketed literal may not hold "}" or "/".
        let (host, mut rest) = if let Some(lit) = rest.strip_prefix('[') {
            let close = lit
                .find(']')
                .ok_or_else(|| NameError::BadHost(name.to_owned()))?;
            (format!("[{}]", &lit[..close]), &lit[close + 1..])
        } else {
            let end = rest.find([':', '/', '}']).ok_or_else(not_remote)?;
            (rest[..end].to_owned(), &rest[end..])
        };
        if host.is_empty()
            || host == "[]"
            || host.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(NameError::BadHost(name.to_owned()));
        }
        let mut out = RemoteName {
            host,
            port: None,
            service: Service::Imap,
            tls: TlsMode::Opportunistic,
            cert: CertCheck::Validate,
            user: None,
            authuser: None,
            flags: Vec::new(),
            mailbox: String::new(),
        };
        if let Some(r) = rest.strip_prefix(':') {
            let end = r.find(['/', '}']).ok_or_else(not_remote)?;
            let port: u16 = r[..end]
                .parse()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| NameError::BadPort(r[..end].to_owned()))?;
            out.port = Some(port);
            rest = &r[end..];
        }
        let mut service: Option<Service> = None;
        let mut tls_switches: Vec<&'static str> = Vec::new();
        while let Some(r) = rest.strip_prefix('/') {
            let end = r.find(['=', '/', '}']).ok_or_else(not_remote)?;
            let sw = r[..end].to_ascii_lowercase();
            rest = &r[end..];
            let value = if let Some(v) = rest.strip_prefix('=') {
                let (value, after) = switch_value(v).ok_or_else(not_remote)?;
                rest = after;
                Some(value)
            } else {
                None
            };
            let no_value = |v: &Option<String>| {
                if v.is_some() {
                    Err(NameError::BadArgument(sw.clone()))
                } else {
                    Ok(())
                }
            };
            let mut set_service = |s: Service| {
                if service.is_some_and(|had| had != s) {
                    return Err(NameError::Service(name.to_owned()));
                }
                service = Some(s);
                Ok(())
            };
            match sw.as_str() {
                "service" => match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("imap" | "imap2" | "imap2bis" | "imap4" | "imap4rev1") => {
                        set_service(Service::Imap)?
                    }
                    Some("pop3" | "pop") => set_service(Service::Pop3)?,
                    Some(other) => return Err(NameError::Service(other.to_owned())),
                    None => return Err(NameError::BadArgument(sw)),
                },
                "imap" | "imap2" | "imap2bis" | "imap4" | "imap4rev1" => {
                    no_value(&value)?;
                    set_service(Service::Imap)?;
                }
                "pop3" | "pop" => {
                    no_value(&value)?;
                    set_service(Service::Pop3)?;
                }
                "nntp" | "smtp" | "submit" => return Err(NameError::Service(sw)),
                "user" | "authuser" => {
                    let v = value
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| NameError::BadArgument(sw.clone()))?;
                    if sw == "user" {
                        out.user = Some(v);
                    } else {
                        out.authuser = Some(v);
                    }
                }
                "ssl" | "tryssl" | "tls" | "notls" => {
                    no_value(&value)?;
                    let (s, mode) = match sw.as_str() {
                        "ssl" => ("ssl", TlsMode::Ssl),
                        "tryssl" => ("tryssl", TlsMode::TrySsl),
                        "tls" => ("tls", TlsMode::Tls),
                        _ => ("notls", TlsMode::NoTls),
                    };
                    tls_switches.push(s);
                    out.tls = mode;
                }
                "novalidate-cert" => {
                    no_value(&value)?;
                    out.cert = CertCheck::NoValidate;
                }
                _ => {
                    let flag = match sw.as_str() {
                        "anonymous" => Flag::Anonymous,
                        "debug" => Flag::Debug,
                        "secure" => Flag::Secure,
                        "readonly" => Flag::ReadOnly,
                        "norsh" => Flag::NoRsh,
                        "loser" => Flag::Loser,
                        "tls-sslv23" => Flag::TlsSslv23,
                        "validate-cert" => Flag::ValidateCert,
                        _ => return Err(NameError::UnknownSwitch(sw)),
                    };
                    no_value(&value)?;
                    if !out.flags.contains(&flag) {
                        out.flags.push(flag);
                    }
                }
            }
        }
        let mailbox = rest.strip_prefix('}').ok_or_else(not_remote)?;
        for (a, b) in [
            ("tls", "notls"),
            ("ssl", "tls"),
            ("ssl", "notls"),
            ("tryssl", "tls"),
        ] {
            if tls_switches.contains(&a) && tls_switches.contains(&b) {
                return Err(NameError::Conflict(a, b));
            }
        }
        out.service = service.unwrap_or(Service::Imap);
        if out.service == Service::Pop3 && out.has(Flag::ReadOnly) {
            return Err(NameError::BadArgument("readonly".into()));
        }
        out.mailbox = if mailbox.is_empty() {
            "INBOX".to_owned()
        } else {
            mailbox.to_owned()
        };
        Ok(out)
    }

    /// Whether switch `flag` was given.
    pub fn has(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }

    /// The port to use: the one given, else the service's for the TLS mode.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Ssl => self.service.ssl_port(),
            _ => self.service.plain_port(),
        })
    }

    /// The same server with another mailbox.
    pub fn with_mailbox(&self, mailbox: &str) -> RemoteName {
        RemoteName {
            mailbox: mailbox.to_owned(),
            ..self.clone()
        }
    }

    /// The canonical `{host:port/service/…}` prefix, without the mailbox.
    pub fn server(&self) -> String {
        let mut s = format!(
            "{{{}:{}/{}",
            self.host,
            self.effective_port(),
            self.service.name()
        );
        match self.tls {
            TlsMode::Opportunistic => {}
            TlsMode::Ssl => s.push_str("/ssl"),
            TlsMode::TrySsl => s.push_str("/tryssl"),
            TlsMode::Tls => s.push_str("/tls"),
            TlsMode::NoTls => s.push_str("/notls"),
        }
        if self.cert == CertCheck::NoValidate {
            s.push_str("/novalidate-cert");
        }
        for f in &self.flags {
            if !matches!(f, Flag::ValidateCert | Flag::NoRsh) {
                s.push('/');
                s.push_str(f.name());
            }
        }
        if let Some(u) = &self.user {
            s.push_str("/user=");
            push_value(&mut s, u);
        }
        if let Some(u) = &self.authuser {
            s.push_str("/authuser=");
            push_value(&mut s, u);
        }
        s.push('}');
        s
    }
}

impl fmt::Display for RemoteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.server(), self.mailbox)
    }
}

/// A switch's value: quoted with `\` escapes, or up to the next `/` or `}`; and what follows.
fn switch_value(v: &str) -> Option<(String, &str)> {
    if let Some(q) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = q.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Some((out, &q[i + 1..])),
                '\\' => out.push(chars.next()?.1),
                c => out.push(c),
            }
        }
        None
    } else {
        let end = v.find(['/', '}'])?;
        Some((v[..end].to_owned(), &v[end..]))
    }
}

fn push_value(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let n = RemoteName::parse("{mail.example.com}").unwrap();
        assert_eq!(n.host, "mail.example.com");
        assert_eq!(n.service, Service::Imap);
        assert_eq!(n.tls, TlsMode::Opportunistic);
        assert_eq!(n.mailbox, "INBOX");
        assert_eq!(n.to_string(), "{mail.example.com:143/imap}INBOX");
        assert!(is_remote("{x}") && !is_remote("{x") && !is_remote("INBOX"));
    }

    #[test]
    fn every_switch() {
        let n = RemoteName::parse(
            "{127.0.0.1:9143/IMAP/Novalidate-Cert/user=demo/authuser=\"ad min\"/readonly/secure/debug/norsh/loser}Sent/2024",
        )
        .unwrap();
        assert_eq!(n.port, Some(9143));
        assert_eq!(n.cert, CertCheck::NoValidate);
        assert_eq!(n.user.as_deref(), Some("demo"));
        assert_eq!(n.authuser.as_deref(), Some("ad min"));
        assert!(n.has(Flag::ReadOnly) && n.has(Flag::Secure) && n.has(Flag::Debug));
        assert_eq!(n.mailbox, "Sent/2024");
        assert_eq!(
            n.to_string(),
            "{127.0.0.1:9143/imap/novalidate-cert/readonly/secure/debug/loser/user=\"demo\"/authuser=\"ad min\"}Sent/2024"
        );
        assert_eq!(
            RemoteName::parse(&n.to_string()).unwrap(),
            RemoteName {
                flags: n
                    .flags
                    .iter()
                    .copied()
                    .filter(|f| *f != Flag::NoRsh)
                    .collect(),
                ..n.clone()
            }
        );
        let p = RemoteName::parse("{[::1]/pop3/ssl}").unwrap();
        assert_eq!(
            (p.host.as_str(), p.service, p.tls),
            ("[::1]", Service::Pop3, TlsMode::Ssl)
        );
        assert_eq!(p.effective_port(), 995);
        assert_eq!(
            RemoteName::parse("{h/service=pop3/tls}")
                .unwrap()
                .effective_port(),
            110
        );
        assert_eq!(
            RemoteName::parse("{h/anonymous/tryssl/imap4rev1}x")
                .unwrap()
                .tls,
            TlsMode::TrySsl
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(
            RemoteName::parse("INBOX"),
            Err(NameError::NotRemote(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h/frob}"),
            Err(NameError::UnknownSwitch(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h:0}"),
            Err(NameError::BadPort(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h:99999}"),
            Err(NameError::BadPort(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h/tls/notls}"),
            Err(NameError::Conflict("tls", "notls"))
        ));
        assert!(matches!(
            RemoteName::parse("{h/ssl/tls}"),
            Err(NameError::Conflict("ssl", "tls"))
        ));
        assert!(matches!(
            RemoteName::parse("{h/imap/pop3}"),
            Err(NameError::Service(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h/nntp}"),
            Err(NameError::Service(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h/user=}"),
            Err(NameError::BadArgument(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h/user}"),
            Err(NameError::BadArgument(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h/pop3/readonly}"),
            Err(NameError::BadArgument(_))
        ));
        assert!(matches!(
            RemoteName::parse("{}INBOX"),
            Err(NameError::BadHost(_))
        ));
        assert!(matches!(
            RemoteName::parse("{h/user=\"unterminated}"),
            Err(NameError::NotRemote(_))
        ));
        for s in ["{", "{[", "{h:", "{h/", "{h/user=\"\\", "{é/ü=ä}"] {
            let _ = RemoteName::parse(s);
        }
    }
}
