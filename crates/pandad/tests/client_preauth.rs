//! The client's ssh pre-authentication (FAQ 4.3, inventory §7.2) with a fake ssh: a
//! script at the configured `ssh-path` that ignores the host, becomes the test's user and
//! runs our `imapd --preauth`, or fails, or hangs, as the test asks. A name without a port
//! falls back to plain TCP on port 143, where a scripted server answers.
//!
//! Port 143 is taken inside a new network namespace with only loopback (`unshare -n`):
//! the test starts itself again there. The c-client configuration file is named by the
//! environment variable the client reads (`PANDA_C_CLIENT_CF`), so the client finds the
//! setting as `mailutil` would. Needs root (a test account, port 143); in CI (`CI=true`) a
//! missing tool is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use client::{
    ClientError, ClientOptions, FixedPrompt, PreauthKind, Prompt, RemoteName, Route, Session,
};

mod common;
use common::{NoPassword, TestUsers, can_run};
use testkit::run;

/// The skip-or-fail name of these tests.
const TEST: &str = "ssh_preauth";

fn have(program: &str) -> bool {
    testkit::have(program, TEST)
}

/// Set in the copy of the test that runs inside the namespace: the scratch directory.
const INSIDE: &str = "PANDA_PREAUTH_NETNS";

#[test]
fn ssh_preauth_when_configured_with_fallback_to_tcp() {
    // The same test, run again by itself inside a network namespace.
    if std::env::var_os(INSIDE).is_some() {
        return inside_the_namespace();
    }
    if !can_run("ssh_preauth") || !have("unshare") || !have("ip") || !have("setpriv") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let cf = dir.path().join("c-client.cf");
    std::fs::write(
        &cf,
        format!(
            "set ssh-path {}\nset ssh-timeout 2\n",
            dir.path().join("ssh").display()
        ),
    )
    .unwrap();
    let out = Command::new("unshare")
        .arg("-n")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "ssh_preauth_when_configured_with_fallback_to_tcp",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(INSIDE, dir.path())
        .env(client::C_CLIENT_CF_ENV, &cf)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "the namespaced run failed");
    assert!(text.contains("1 passed"), "the namespaced test did not run");
}

/// The test inside its network namespace (see
/// [`ssh_preauth_when_configured_with_fallback_to_tcp`]).
fn inside_the_namespace() {
    let dir = PathBuf::from(std::env::var_os(INSIDE).expect("run it via the outer test"));
    run(Command::new("ip").args(["link", "set", "lo", "up"]));
    let name = format!("pcp{}", std::process::id() % 100_000);
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-5");
    let config = dir.join("panda.toml");
    std::fs::write(
        &config,
        "hostname = \"test.invalid\"\naccounts = \"system\"\n\
         alert_file = \"none.alert\"\nnologin_file = \"none.nologin\"\n\
         c_client_cf = \"none.cf\"\n",
    )
    .unwrap();
    let ssh = FakeSsh::new(&dir, &user, &config);
    let tcp = Fallback::start();

    // ssh works: the session is the user's, no password is asked, nothing reaches TCP.
    ssh.set(Mode::Imapd);
    let named = format!("{{localhost/user={name}}}INBOX");
    let mut s = connect(&named, &mut NoPassword).unwrap();
    assert_eq!(s.route(), Route::Command(PreauthKind::Ssh));
    s.create("via-ssh").unwrap();
    s.logout().unwrap();
    let made = std::fs::metadata(user.dir.join("via-ssh")).unwrap();
    assert_eq!(made.uid(), user.uid.as_raw());
    assert_eq!(
        ssh.calls(),
        [format!("localhost -l {name} exec /etc/rimapd")]
    );
    assert_eq!(tcp.logins(), 0);

    // /norsh and an explicit port go straight to TCP, without running ssh.
    for named in [
        format!("{{localhost/norsh/user={name}}}"),
        format!("{{localhost:143/user={name}}}"),
    ] {
        let s = connect(&named, &mut FixedPrompt::new("u", "p")).unwrap();
        assert_eq!(s.route(), Route::Tcp, "{named}");
        s.logout().unwrap();
    }
    assert_eq!(ssh.calls().len(), 1, "ssh was run again");
    assert_eq!(tcp.logins(), 2);

    // An ssh that fails, one that says something else than a greeting, and one that
    // says nothing within the configured timeout: each is given up for TCP.
    for (i, mode) in [Mode::Fail, Mode::Refuse, Mode::Hang]
        .into_iter()
        .enumerate()
    {
        ssh.set(mode);
        let s = connect(&named, &mut FixedPrompt::new("u", "p")).unwrap();
        assert_eq!(s.route(), Route::Tcp, "{mode:?}");
        s.logout().unwrap();
        assert_eq!(ssh.calls().len(), 2 + i, "{mode:?}: ssh was not tried");
        assert_eq!(tcp.logins(), 3 + i, "{mode:?}");
    }

    // With pre-authentication not configured, ssh is not run.
    ssh.set(Mode::Imapd);
    let options = ClientOptions {
        preauth: client::PreauthConfig::Given(client::Preauth::default()),
        ..ClientOptions::default()
    };
    let name_ = RemoteName::parse(&named).unwrap();
    let s = Session::connect(&name_, &options, &mut FixedPrompt::new("u", "p")).unwrap();
    assert_eq!(s.route(), Route::Tcp);
    s.logout().unwrap();
    assert_eq!(ssh.calls().len(), 4);
}

/// Connects with the default options: the c-client configuration file the environment
/// names.
fn connect(name: &str, prompt: &mut dyn Prompt) -> Result<Session, ClientError> {
    Session::connect(
        &RemoteName::parse(name).unwrap(),
        &ClientOptions::default(),
        prompt,
    )
}

/// What the fake ssh does.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Runs `imapd --preauth` as the user.
    Imapd,
    /// Exits with status 255, as ssh does when it cannot connect.
    Fail,
    /// Prints a line that is not an IMAP greeting, then waits.
    Refuse,
    /// Says nothing, for longer than the timeout.
    Hang,
}

/// The script at `ssh-path`; it logs its arguments and reads its mode from a file.
struct FakeSsh {
    dir: PathBuf,
}

impl FakeSsh {
    fn new(dir: &Path, user: &nix::unistd::User, config: &Path) -> FakeSsh {
        let script = dir.join("ssh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 echo \"$*\" >> {dir}/ssh.calls\n\
                 case $(cat {dir}/ssh.mode) in\n\
                 imapd) cd / && exec setpriv --reuid={uid} --regid={gid} --init-groups \
                 {imapd} --config {config} --preauth --log-stderr 2>/dev/null ;;\n\
                 fail) exit 255 ;;\n\
                 refuse) echo 'Permission denied (publickey).'; exec sleep 60 ;;\n\
                 *) exec sleep 60 ;;\n\
                 esac\n",
                dir = dir.display(),
                uid = user.uid,
                gid = user.gid,
                imapd = env!("CARGO_BIN_EXE_imapd"),
                config = config.display(),
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        FakeSsh {
            dir: dir.to_owned(),
        }
    }

    fn set(&self, mode: Mode) {
        let word = match mode {
            Mode::Imapd => "imapd",
            Mode::Fail => "fail",
            Mode::Refuse => "refuse",
            Mode::Hang => "hang",
        };
        std::fs::write(self.dir.join("ssh.mode"), word).unwrap();
    }

    /// The argument lists it was run with.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("ssh.calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// A scripted IMAP server on 127.0.0.1:143 taking any user with password `p`; counts the
/// logins.
struct Fallback {
    logins: Arc<Mutex<usize>>,
}

impl Fallback {
    fn start() -> Fallback {
        let listener = TcpListener::bind("127.0.0.1:143").unwrap();
        let logins = Arc::new(Mutex::new(0));
        let count = Arc::clone(&logins);
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(sock) = sock else { return };
                let mut out = sock.try_clone().unwrap();
                let mut r = BufReader::new(sock);
                let _ = out.write_all(b"* OK [CAPABILITY IMAP4rev1] fallback\r\n");
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                    let mut w = line.trim_end().splitn(3, ' ');
                    let tag = w.next().unwrap_or("").to_owned();
                    let cmd = w.next().unwrap_or("").to_ascii_uppercase();
                    let reply = match cmd.as_str() {
                        "LOGIN" if w.next().is_some_and(|r| r.ends_with(" p")) => {
                            *count.lock().unwrap() += 1;
                            format!("{tag} OK welcome\r\n")
                        }
                        "LOGIN" => format!("{tag} NO no\r\n"),
                        "CAPABILITY" => format!("* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n"),
                        "LOGOUT" => format!("* BYE bye\r\n{tag} OK done\r\n"),
                        _ => format!("{tag} OK done\r\n"),
                    };
                    if out.write_all(reply.as_bytes()).is_err() || cmd == "LOGOUT" {
                        break;
                    }
                    line.clear();
                }
            }
        });
        Fallback { logins }
    }

    fn logins(&self) -> usize {
        *self.logins.lock().unwrap()
    }
}
