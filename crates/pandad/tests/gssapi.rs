//! AUTH=GSSAPI against a real MIT KDC (Debian `krb5-kdc`) started on loopback for the
//! test: a realm TEST.PANDA with a user principal, `imap/localhost` and `pop/localhost`
//! in a keytab, the user's ticket got with `kinit` and its password; then Python's
//! imaplib, a POP3 client (python3-gssapi), UW c-client's `mailutil` and our own client
//! crate log in to `pandad` with virtual users.
//!
//! Everything runs in a new network namespace with only loopback (`unshare -n`), so that
//! nothing the KDC or the libraries do can reach a name server: the test starts itself
//! again there. In CI (`CI=true`) a missing tool is a failure.

#![cfg(feature = "gssapi")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::support;
use testkit::{free_port, have, run, stop, text};

/// Set in the copy of the test that runs inside the namespace.
const INSIDE: &str = "PANDA_GSSAPI_NETNS";
const REALM: &str = "TEST.PANDA";
const USER: &str = "gsstest";
const PASSWORD: &str = "kerberos-pw-1";
/// The Python with Debian's python3-gssapi.
const PYTHON: &str = "/usr/bin/python3";

#[test]
fn gssapi_logins_against_a_loopback_kdc() {
    // The same test, run again by itself: inside the namespace, and from there with the
    // realm's environment for our client (the Kerberos library reads it from the process
    // environment, which a running test cannot change without unsafe code).
    if std::env::var_os(CLIENT_PORTS).is_some() {
        return our_client_with_the_ticket();
    }
    if std::env::var_os(INSIDE).is_some() {
        return inside_the_namespace();
    }
    let tools = [
        "unshare",
        "ip",
        "krb5kdc",
        "kdb5_util",
        "kadmin.local",
        "kinit",
        "mailutil",
        PYTHON,
    ];
    if !tools.iter().all(|t| have(t, "gssapi")) || !python_has_gssapi() {
        return;
    }
    let out = Command::new("unshare")
        .arg("-n")
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "gssapi_logins_against_a_loopback_kdc"])
        .args(["--nocapture", "--test-threads=1"])
        .env(INSIDE, "1")
        .output()
        .unwrap();
    let text = text(&out);
    eprintln!("{text}");
    assert!(out.status.success(), "the namespaced run failed");
    assert!(text.contains("1 passed"), "the namespaced test did not run");
}

/// The test inside its network namespace (see [`gssapi_logins_against_a_loopback_kdc`]).
fn inside_the_namespace() {
    assert_eq!(
        std::env::var(INSIDE).as_deref(),
        Ok("1"),
        "run it via the outer test"
    );
    run(Command::new("ip").args(["link", "set", "lo", "up"]));
    let dir = tempfile::tempdir().unwrap();
    let kdc = Kdc::start(dir.path());
    let server = Pandad::start(dir.path(), &kdc);

    // The user's ticket, with their password.
    let mut kinit = kdc
        .env(&mut Command::new("kinit"))
        .arg(format!("{USER}@{REALM}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = kinit.stdin.take().unwrap();
        writeln!(stdin, "{PASSWORD}").unwrap();
    }
    let out = kinit.wait_with_output().unwrap();
    assert!(out.status.success(), "kinit: {}", text(&out));

    let client = |proto: &str,
                  port_or_command: &str,
                  service: &str,
                  authzid: &str,
                  extra: &[&str]|
     -> String {
        let port = match proto {
            _ if !port_or_command.is_empty() => port_or_command.to_owned(),
            "imap" => server.imap.to_string(),
            _ => server.pop3.to_string(),
        };
        let out = kdc
            .env(&mut Command::new(PYTHON))
            .arg(support("gssapi_client.py"))
            .args([proto, &port, service, authzid])
            .args(extra)
            .output()
            .unwrap();
        let t = text(&out);
        assert!(out.status.success(), "{proto} client: {t}");
        t
    };

    // IMAP: the principal logs in as its local name, with or without an authzid, and
    // the session is that user's (the message lands in their INBOX). The plaintext
    // policy (tls-only, the default, on a connection without TLS) does not apply.
    let t = client("imap", "", "imap", "", &[]);
    assert!(t.starts_with("OK "), "{t}");
    assert!(t.contains(&format!("User {USER} authenticated")), "{t}");
    let inbox = dir.path().join("data/mail").join(USER).join("INBOX");
    let mail = std::fs::read_to_string(&inbox).unwrap();
    assert!(mail.contains("Subject: via kerberos"), "{mail}");
    let t = client("imap", "", "imap", USER, &[]);
    assert!(t.starts_with("OK "), "{t}");

    // UW c-client (Debian's is built with GSSAPI) logs in with the ticket, asking for
    // nothing on its standard input.
    let out = kdc
        .env(&mut Command::new("mailutil"))
        .arg("check")
        .arg(format!(
            "{{localhost:{}/imap/notls/user={USER}}}INBOX",
            server.imap
        ))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let t = text(&out);
    assert!(
        out.status.success() && t.contains("2 total in"),
        "mailutil: {t}"
    );

    // Acting as another user is refused; so are a token that is not a ticket and a ticket
    // for the POP3 service.
    for (service, authzid, extra) in [
        ("imap", "other", &[][..]),
        ("imap", "", &["garbage"][..]),
        ("pop", "", &[][..]),
    ] {
        let t = client("imap", "", service, authzid, extra);
        assert!(
            t.starts_with("NO ")
                && t.contains("[AUTHENTICATIONFAILED] Invalid authentication credentials"),
            "{service} {authzid} {extra:?}: {t}"
        );
    }
    assert!(!mail_of("other", dir.path()).exists());

    // POP3 the same way.
    let t = client("pop", "", "pop", "", &[]);
    assert!(t.starts_with("OK +OK"), "{t}");
    for (service, authzid, extra) in [
        ("pop", "other", &[][..]),
        ("pop", "", &["garbage"][..]),
        ("imap", "", &[][..]),
    ] {
        let t = client("pop", "", service, authzid, extra);
        assert!(
            t.starts_with("NO -ERR Bad login"),
            "{service} {authzid} {extra:?}: {t}"
        );
    }
    our_client(&kdc, &server, dir.path());
    system_user(dir.path(), &kdc, &client);
    drop(server);
    // The log says why each was refused.
    let log = std::fs::read_to_string(dir.path().join("pandad.log")).unwrap();
    eprintln!("pandad's log:\n{log}");
    let refusals = |why: &str| log.lines().filter(|l| l.contains(why)).count();
    assert_eq!(refusals("may not act as other"), 2);
    assert_eq!(refusals("ticket for service pop, not this one"), 1);
    assert_eq!(refusals("ticket for service imap, not this one"), 1);
    assert_eq!(refusals("GSSAPI refused host=[127.0.0.1]"), 6);
}

/// Set for the copy of the test that runs our client with the ticket: the IMAP and POP3
/// ports.
const CLIENT_PORTS: &str = "PANDA_GSSAPI_CLIENT_PORTS";

/// Our client crate logs in with the ticket over IMAP and POP3, asked for no password: it
/// runs in a copy of the test started with the realm's environment (the Kerberos library
/// reads it from there).
fn our_client(kdc: &Kdc, server: &Pandad, dir: &Path) {
    let out = kdc
        .env(&mut Command::new(std::env::current_exe().unwrap()))
        .args(["--exact", "gssapi_logins_against_a_loopback_kdc"])
        .args(["--nocapture", "--test-threads=1"])
        .env(CLIENT_PORTS, format!("{} {}", server.imap, server.pop3))
        .output()
        .unwrap();
    let t = text(&out);
    eprintln!("{t}");
    assert!(out.status.success() && t.contains("1 passed"), "our client");
    let mail = std::fs::read_to_string(mail_of(USER, dir)).unwrap();
    assert!(mail.contains("Subject: via our client"), "{mail}");
}

/// Our client with the user's ticket, run with the realm's environment (see
/// [`gssapi_logins_against_a_loopback_kdc`]).
fn our_client_with_the_ticket() {
    use client::{Access, ClientOptions, RemoteName, Session};
    use common::NoPassword;
    let ports = std::env::var(CLIENT_PORTS).expect("run it via the outer test");
    let (imap, pop3) = ports.split_once(' ').unwrap();
    let connect = |name: String| {
        let name = RemoteName::parse(&name).unwrap();
        Session::connect(&name, &ClientOptions::default(), &mut NoPassword).unwrap()
    };
    let mut s = connect(format!("{{localhost:{imap}/imap/notls/user={USER}}}"));
    s.append(
        "INBOX",
        &[],
        None,
        b"From: k@example.org
Subject: via our client

kerberos
",
    )
    .unwrap();
    s.logout().unwrap();
    let mut s = connect(format!("{{localhost:{pop3}/pop3/notls/user={USER}}}"));
    assert!(s.select("INBOX", Access::ReadWrite).unwrap().exists >= 1);
    s.logout().unwrap();
}

/// With `accounts = "system"`, `imapd` (inetd mode, on pipes) and `pandad` (a child
/// process per connection) log the principal in as the system account of its name and
/// become that user: the mailbox a session creates in their home is theirs.
fn system_user(dir: &Path, kdc: &Kdc, client: Client<'_>) {
    use std::os::unix::fs::MetadataExt;
    let _ = Command::new("userdel").args(["-r", "-f", USER]).output();
    run(Command::new("useradd").args(["-m", "-s", "/bin/sh", USER]));
    let _account = SystemAccount;
    let user = nix::unistd::User::from_name(USER).unwrap().unwrap();
    let config = dir.join("system.toml");
    std::fs::write(
        &config,
        format!(
            "hostname = \"localhost\"\n\
             accounts = \"system\"\n\
             c_client_cf = \"none.cf\"\n\
             alert_file = \"none.alert\"\n\
             nologin_file = \"none.nologin\"\n\
             [gssapi]\n\
             keytab = \"{}\"\n",
            kdc.keytab.display()
        ),
    )
    .unwrap();
    let imapd = format!(
        "{} --config {} --log-stderr",
        env!("CARGO_BIN_EXE_imapd"),
        config.display()
    );
    let t = client("imap-stream", &imapd, "imap", "", &["mailbox=kerberos"]);
    assert!(t.starts_with("OK "), "{t}");
    let mailbox = user.dir.join("kerberos");
    let meta = std::fs::metadata(&mailbox).unwrap();
    assert_eq!(meta.uid(), user.uid.as_raw(), "{}", mailbox.display());
    assert!(
        std::fs::read_to_string(&mailbox)
            .unwrap()
            .contains("Subject: via kerberos")
    );
    let t = client("imap-stream", &imapd, "imap", "root", &[]);
    assert!(t.starts_with("NO "), "{t}");
    // A ~/.k5login that does not list the user's own principal shuts it out (MIT's
    // krb5_kuserok, which c-client asks); one that lists it lets it in again.
    let k5login = user.dir.join(".k5login");
    std::fs::write(&k5login, "somebody.else@TEST.PANDA\n").unwrap();
    std::os::unix::fs::chown(&k5login, Some(user.uid.as_raw()), None).unwrap();
    let t = client("imap-stream", &imapd, "imap", "", &[]);
    assert!(t.starts_with("NO "), "{t}");
    std::fs::write(
        &k5login,
        format!("somebody.else@TEST.PANDA\n{USER}@TEST.PANDA\n"),
    )
    .unwrap();
    let t = client("imap-stream", &imapd, "imap", "", &["mailbox=listed"]);
    assert!(t.starts_with("OK "), "{t}");
    std::fs::remove_file(user.dir.join("listed")).unwrap();
    std::fs::remove_file(&k5login).unwrap();

    // The same through the daemon, which starts one child process per connection.
    std::fs::remove_file(&mailbox).unwrap();
    let daemon = Pandad::with_accounts(dir, kdc, "system", "pandad-system.log");
    let t = client(
        "imap",
        &daemon.imap.to_string(),
        "imap",
        "",
        &["mailbox=kerberos"],
    );
    assert!(t.starts_with("OK "), "{t}");
    let meta = std::fs::metadata(&mailbox).unwrap();
    assert_eq!(meta.uid(), user.uid.as_raw(), "{}", mailbox.display());
    let t = client("pop", &daemon.pop3.to_string(), "pop", "", &[]);
    assert!(t.starts_with("OK +OK"), "{t}");
    drop(daemon);

    // Without a key for the service in the keytab, GSSAPI is neither advertised nor
    // accepted.
    std::fs::write(
        &config,
        format!(
            "{}imap_service = \"nokey\"\n",
            std::fs::read_to_string(&config).unwrap()
        ),
    )
    .unwrap();
    let mut imapd = kdc
        .env(&mut Command::new(env!("CARGO_BIN_EXE_imapd")))
        .arg("--config")
        .arg(&config)
        .arg("--log-stderr")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = imapd.stdin.take().unwrap();
        stdin
            .write_all(b"a CAPABILITY\r\nb AUTHENTICATE GSSAPI\r\nc LOGOUT\r\n")
            .unwrap();
    }
    let out = imapd.wait_with_output().unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("* CAPABILITY IMAP4REV1"), "{t}");
    assert!(!t.contains("AUTH=GSSAPI"), "{t}");
    assert!(
        t.contains("b NO [CANNOT] Unsupported authentication mechanism"),
        "{t}"
    );
}

/// Runs the Python client: protocol, port (or command), service, authzid, extra
/// arguments; gives its output.
type Client<'a> = &'a dyn Fn(&str, &str, &str, &str, &[&str]) -> String;

/// Removes the test's system account and its mail when dropped.
struct SystemAccount;

impl Drop for SystemAccount {
    fn drop(&mut self) {
        let _ = Command::new("userdel").args(["-r", "-f", USER]).output();
        let _ = std::fs::remove_file(Path::new("/var/mail").join(USER));
    }
}

fn mail_of(user: &str, dir: &Path) -> PathBuf {
    dir.join("data/mail").join(user).join("INBOX")
}

/// A running KDC for realm TEST.PANDA.
struct Kdc {
    child: Child,
    realm: Realm,
}

/// The realm's files, under `dir/kdc`.
struct Realm {
    conf: PathBuf,
    profile: PathBuf,
    ccache: PathBuf,
    keytab: PathBuf,
}

impl std::ops::Deref for Kdc {
    type Target = Realm;

    fn deref(&self) -> &Realm {
        &self.realm
    }
}

impl Kdc {
    fn start(dir: &Path) -> Kdc {
        let d = dir.join("kdc");
        std::fs::create_dir(&d).unwrap();
        let port = free_port();
        let conf = d.join("krb5.conf");
        std::fs::write(
            &conf,
            format!(
                "[libdefaults]\n\
                 \tdefault_realm = {REALM}\n\
                 \tdns_lookup_kdc = false\n\
                 \tdns_lookup_realm = false\n\
                 \tdns_canonicalize_hostname = false\n\
                 \trdns = false\n\
                 [realms]\n\
                 \t{REALM} = {{\n\t\tkdc = 127.0.0.1:{port}\n\t}}\n\
                 [domain_realm]\n\
                 \tlocalhost = {REALM}\n"
            ),
        )
        .unwrap();
        let profile = d.join("kdc.conf");
        std::fs::write(
            &profile,
            format!(
                "[kdcdefaults]\n\
                 \tkdc_ports = {port}\n\
                 \tkdc_tcp_ports = {port}\n\
                 [realms]\n\
                 \t{REALM} = {{\n\
                 \t\tdatabase_name = {db}\n\
                 \t\tkey_stash_file = {stash}\n\
                 \t\tacl_file = {acl}\n\
                 \t}}\n\
                 [logging]\n\
                 \tkdc = FILE:{log}\n",
                db = d.join("principal").display(),
                stash = d.join("stash").display(),
                acl = d.join("kadm5.acl").display(),
                log = d.join("kdc.log").display(),
            ),
        )
        .unwrap();
        std::fs::write(d.join("kadm5.acl"), "").unwrap();
        let realm = Realm {
            conf,
            profile,
            ccache: d.join("ccache"),
            keytab: d.join("krb5.keytab"),
        };
        run(realm.env(&mut Command::new("kdb5_util")).args([
            "create",
            "-s",
            "-r",
            REALM,
            "-P",
            "master-pw-1",
        ]));
        let kadmin = |q: &str| {
            run(realm
                .env(&mut Command::new("kadmin.local"))
                .args(["-r", REALM, "-q", q]));
        };
        kadmin(&format!("addprinc -pw {PASSWORD} {USER}"));
        kadmin("addprinc -randkey imap/localhost");
        kadmin("addprinc -randkey pop/localhost");
        kadmin(&format!(
            "ktadd -k {} imap/localhost pop/localhost",
            realm.keytab.display()
        ));
        let child = realm
            .env(&mut Command::new("krb5kdc"))
            .args(["-n", "-r", REALM])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut kdc = Kdc { child, realm };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "krb5kdc did not start");
            assert!(kdc.child.try_wait().unwrap().is_none(), "krb5kdc exited");
            std::thread::sleep(Duration::from_millis(50));
        }
        kdc
    }
}

impl Realm {
    /// `cmd` with this realm's configuration and the user's credentials cache.
    fn env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env("KRB5_CONFIG", &self.conf)
            .env("KRB5_KDC_PROFILE", &self.profile)
            .env("KRB5CCNAME", format!("FILE:{}", self.ccache.display()))
            .env_remove("KRB5_KTNAME")
    }
}

impl Drop for Kdc {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// `pandad` with virtual users `gsstest` and `other`, the keytab named in its
/// configuration.
struct Pandad {
    child: Child,
    imap: u16,
    pop3: u16,
}

impl Pandad {
    /// With virtual users `gsstest` and `other`.
    fn start(dir: &Path, kdc: &Kdc) -> Pandad {
        let hash = sysuser::crypt::hash(b"unused-pw", "$y$").unwrap();
        std::fs::write(dir.join("users"), format!("{USER}:{hash}\nother:{hash}\n")).unwrap();
        Pandad::with_accounts(dir, kdc, "virtual", "pandad.log")
    }

    /// With `accounts` (`virtual` or `system`), logging to `dir/log`.
    fn with_accounts(dir: &Path, kdc: &Kdc, accounts: &str, log: &str) -> Pandad {
        let (imap, pop3) = (free_port(), free_port());
        let config = dir.join(format!("panda-{accounts}.toml"));
        std::fs::write(
            &config,
            format!(
                "hostname = \"localhost\"\n\
                 accounts = \"{accounts}\"\n\
                 data_dir = \"data\"\n\
                 users = \"users\"\n\
                 c_client_cf = \"none.cf\"\n\
                 alert_file = \"none.alert\"\n\
                 nologin_file = \"none.nologin\"\n\
                 [gssapi]\n\
                 keytab = \"{}\"\n\
                 [[listen]]\n\
                 address = \"127.0.0.1:{imap}\"\n\
                 protocol = \"imap\"\n\
                 [[listen]]\n\
                 address = \"127.0.0.1:{pop3}\"\n\
                 protocol = \"pop3\"\n",
                kdc.keytab.display()
            ),
        )
        .unwrap();
        // The keytab comes from the configuration; the server's krb5.conf gives the
        // default realm that maps gsstest@TEST.PANDA to gsstest.
        let mut child = Command::new(env!("CARGO_BIN_EXE_pandad"))
            .args(["--config".as_ref(), config.as_os_str()])
            .args(["--log", "stderr"])
            .env("KRB5_CONFIG", &kdc.conf)
            .env_remove("KRB5_KTNAME")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join(log)).unwrap())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", pop3)).is_err() {
            assert!(Instant::now() < deadline, "pandad did not start");
            assert!(child.try_wait().unwrap().is_none(), "pandad exited");
            std::thread::sleep(Duration::from_millis(50));
        }
        Pandad { child, imap, pop3 }
    }
}

impl Drop for Pandad {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

fn python_has_gssapi() -> bool {
    let found = Command::new(PYTHON)
        .args(["-c", "import gssapi"])
        .output()
        .is_ok_and(|o| o.status.success());
    testkit::needs("gssapi", found, "python3-gssapi is not installed")
}
