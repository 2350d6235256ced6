//! Pre-authenticated IMAP connections through a remote command, as c-client makes them
//! (FAQ 4.3, inventory §7.2): `ssh host -l user exec /etc/rimapd`, and the same with rsh.
//! The remote program (UW's rimapd, our `imapd --preauth`) is already the user and greets
//! `* PREAUTH`; no password crosses the wire.
//!
//! Only when asked: a command is tried only when `/etc/c-client.cf` names its program
//! (`set ssh-path`, `set rsh-path`) and its timeout (`set ssh-timeout`, `set rsh-timeout`,
//! 15 seconds when not set) is not 0. c-client has rsh compiled in and tries it unless
//! `rsh-timeout` is 0; here rsh, like ssh, is never tried unless configured. The
//! environment variable [`C_CLIENT_CF_ENV`] names another file to read (tests, or a
//! user who wants the setting without root).
//!
//! A command is tried only for IMAP, and only when the name has no port, `/ssl`, `/tls`,
//! `/anonymous` or `/norsh`. It is taken when its first line, within the timeout, is an
//! untagged `OK` or `PREAUTH`; otherwise (no program, an exit, silence, another line) the
//! process is killed and the connection goes on as if it had not been tried.
//!
//! The file's format (c-client's `dorc()`): one `set <name> <value>` a line, the first two
//! words compared without regard to case, the value the rest of the line; other lines are
//! skipped. The last line for a directive wins.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::conn::{self, Trace};
use crate::name::{Flag, RemoteName, Service, TlsMode};

/// The system's c-client configuration file.
pub const C_CLIENT_CF: &str = "/etc/c-client.cf";

/// The environment variable naming a file read instead of [`C_CLIENT_CF`].
pub const C_CLIENT_CF_ENV: &str = "PANDA_C_CLIENT_CF";

/// How long the remote command has to greet when the file gives no timeout (c-client's
/// `ssh-timeout` and `rsh-timeout` defaults).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The program c-client runs on the server (`/etc/r` + service + `d`).
const RIMAPD: &str = "/etc/rimapd";

/// Which remote shell a command is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreauthKind {
    /// ssh (`set ssh-path`), tried first.
    Ssh,
    /// rsh (`set rsh-path`), tried after `/tryssl`'s TLS attempt.
    Rsh,
}

impl PreauthKind {
    /// The name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            PreauthKind::Ssh => "ssh",
            PreauthKind::Rsh => "rsh",
        }
    }
}

/// One remote shell to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreauthCommand {
    /// ssh or rsh.
    pub kind: PreauthKind,
    /// The program run as `program host -l user exec /etc/rimapd`.
    pub program: PathBuf,
    /// How long it has to send its greeting.
    pub timeout: Duration,
}

/// The remote shells configured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preauth {
    /// ssh, if configured.
    pub ssh: Option<PreauthCommand>,
    /// rsh, if configured.
    pub rsh: Option<PreauthCommand>,
}

/// Where a session's pre-authentication settings come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PreauthConfig {
    /// Read at connection time from the file [`C_CLIENT_CF_ENV`] names, else from
    /// [`C_CLIENT_CF`] (nothing configured when the file is missing).
    #[default]
    System,
    /// These settings.
    Given(Preauth),
}

impl PreauthConfig {
    pub(crate) fn resolve(&self) -> Preauth {
        match self {
            PreauthConfig::System => Preauth::system(),
            PreauthConfig::Given(p) => p.clone(),
        }
    }
}

impl Preauth {
    /// The settings of the file [`C_CLIENT_CF_ENV`] names, else of [`C_CLIENT_CF`].
    pub fn system() -> Preauth {
        Preauth::read(&system_file(std::env::var_os(C_CLIENT_CF_ENV)))
    }

    /// The settings of the c-client configuration file at `path`; none if it cannot be
    /// read.
    pub fn read(path: &Path) -> Preauth {
        std::fs::read(path)
            .map(|b| Preauth::parse(&String::from_utf8_lossy(&b)))
            .unwrap_or_default()
    }

    /// The settings of c-client configuration `text`.
    pub fn parse(text: &str) -> Preauth {
        let mut path: [Option<PathBuf>; 2] = [None, None];
        let mut timeout: [Option<Duration>; 2] = [None, None];
        for line in text.lines() {
            let mut words = line.trim_start().splitn(3, [' ', '\t']);
            let (Some(set), Some(name)) = (words.next(), words.next()) else {
                continue;
            };
            if !set.eq_ignore_ascii_case("set") {
                continue;
            }
            let value = words.next().unwrap_or("").trim();
            let name = name.to_ascii_lowercase();
            let (slot, what) = match name.split_once('-') {
                Some(("ssh", what)) => (0, what),
                Some(("rsh", what)) => (1, what),
                _ => continue,
            };
            match what {
                "path" if !value.is_empty() => path[slot] = Some(PathBuf::from(value)),
                "timeout" => {
                    if let Ok(secs) = value.parse::<u64>() {
                        timeout[slot] = Some(Duration::from_secs(secs));
                    }
                }
                _ => {}
            }
        }
        let command = |slot: usize, kind| {
            let timeout = timeout[slot].unwrap_or(DEFAULT_TIMEOUT);
            let program = path[slot].clone()?;
            (!timeout.is_zero()).then_some(PreauthCommand {
                kind,
                program,
                timeout,
            })
        };
        Preauth {
            ssh: command(0, PreauthKind::Ssh),
            rsh: command(1, PreauthKind::Rsh),
        }
    }
}

/// The file to read: the one the environment names, else the system's.
fn system_file(env: Option<std::ffi::OsString>) -> PathBuf {
    env.filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(C_CLIENT_CF), PathBuf::from)
}

/// Whether `name` lets a remote shell be tried (§7.2 step 1).
pub(crate) fn allowed(name: &RemoteName) -> bool {
    name.service == Service::Imap
        && name.port.is_none()
        && !matches!(name.tls, TlsMode::Ssl | TlsMode::Tls)
        && !name.has(Flag::Anonymous)
        && !name.has(Flag::NoRsh)
}

/// The remote user: `/user=`, else the local login name.
pub(crate) fn remote_user(name: &RemoteName) -> Option<String> {
    name.user.clone().or_else(local_user)
}

/// The login name of the user running this program.
pub(crate) fn local_user() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::current())
        .ok()
        .flatten()
        .map(|u| u.name)
}

/// Runs `command` for `name` and waits for its greeting; None when it is not to be used.
pub(crate) fn try_command(
    command: &PreauthCommand,
    name: &RemoteName,
    io_timeout: Option<Duration>,
    trace: Trace,
) -> Option<Piped> {
    let user = remote_user(name)?;
    let host = name.host.trim_start_matches('[').trim_end_matches(']');
    conn::trace(
        trace,
        "*",
        &format!(
            "trying {} pre-authentication: {} {host} -l {user} exec {RIMAPD}",
            command.kind.name(),
            command.program.display()
        ),
    );
    let mut child = Command::new(&command.program)
        .arg(host)
        .args(["-l", &user, "exec", RIMAPD])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        stop(&mut child);
        return None;
    };
    let mut piped = Piped {
        child,
        stdin: Some(stdin),
        stdout: Some(stdout),
        pending: Vec::new(),
        timeout: Some(command.timeout),
    };
    match piped.first_line() {
        Ok(line) if greets(&line) => {
            piped.pending = line;
            piped.timeout = io_timeout;
            Some(piped)
        }
        _ => {
            stop(&mut piped.child);
            conn::trace(
                trace,
                "*",
                &format!("{} pre-authentication failed", command.kind.name()),
            );
            None
        }
    }
}

/// Whether `line` is a greeting c-client takes: untagged OK or PREAUTH.
fn greets(line: &[u8]) -> bool {
    let upper = line.to_ascii_uppercase();
    upper.starts_with(b"* OK") || upper.starts_with(b"* PREAUTH")
}

/// A remote command's standard input and output, as the connection to the server.
#[derive(Debug)]
pub(crate) struct Piped {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    /// Read already (the greeting), given out first.
    pending: Vec<u8>,
    /// How long a read waits; None waits forever.
    timeout: Option<Duration>,
}

impl Piped {
    /// The first line, CRLF included, read within the timeout.
    fn first_line(&mut self) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        // One byte at a time: nothing past the greeting may be taken from the pipe.
        while !line.ends_with(b"\n") {
            if line.len() > 8192 || self.read(&mut byte)? == 0 {
                return Err(io::ErrorKind::InvalidData.into());
            }
            line.push(byte[0]);
        }
        Ok(line)
    }

    /// Waits until the output can be read, at most the timeout.
    fn wait_readable(&self, stdout: &ChildStdout) -> io::Result<()> {
        let Some(t) = self.timeout else {
            return Ok(());
        };
        let timeout = PollTimeout::try_from(t).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::POLLIN)];
        loop {
            match poll(&mut fds, timeout) {
                Ok(0) => return Err(io::ErrorKind::TimedOut.into()),
                Ok(_) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Read for Piped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.pending.is_empty() {
            let n = buf.len().min(self.pending.len());
            buf[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            return Ok(n);
        }
        let Some(stdout) = self.stdout.as_ref() else {
            return Ok(0);
        };
        self.wait_readable(stdout)?;
        self.stdout.as_mut().map_or(Ok(0), |s| s.read(buf))
    }
}

impl Write for Piped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.stdin.as_mut() {
            Some(s) => s.write(buf),
            None => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stdin.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for Piped {
    /// Closes the pipes, lets the command end (it has seen end of file), and reaps it;
    /// one that does not end soon is killed.
    fn drop(&mut self) {
        self.stdin = None;
        self.stdout = None;
        for _ in 0..40 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        stop(&mut self.child);
    }
}

/// Kills `child` and reaps it.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_is_configured_and_not_disabled() {
        assert_eq!(Preauth::parse(""), Preauth::default());
        let p = Preauth::parse(
            "I accept the risk for IMAP toolkit 4.1.\n\
             set ssh-path /usr/bin/ssh\n\
             SET RSH-PATH /usr/bin/rsh\n\
             set rsh-timeout 3\n\
             set new-folder-format mix\n",
        );
        assert_eq!(
            p.ssh,
            Some(PreauthCommand {
                kind: PreauthKind::Ssh,
                program: "/usr/bin/ssh".into(),
                timeout: DEFAULT_TIMEOUT,
            })
        );
        assert_eq!(p.rsh.unwrap().timeout, Duration::from_secs(3));
        // A timeout of 0 disables; a timeout without a path enables nothing; the last
        // line wins.
        let p = Preauth::parse(
            "set ssh-path /a\nset ssh-timeout 0\nset rsh-timeout 5\nset ssh-path /b\n",
        );
        assert_eq!(p, Preauth::default());
        let p = Preauth::parse("set ssh-path /a\nset ssh-path /b with space\n");
        assert_eq!(p.ssh.unwrap().program, PathBuf::from("/b with space"));
    }

    #[test]
    fn the_environment_names_another_file() {
        assert_eq!(system_file(None), PathBuf::from(C_CLIENT_CF));
        assert_eq!(system_file(Some("".into())), PathBuf::from(C_CLIENT_CF));
        assert_eq!(
            system_file(Some("/x/c-client.cf".into())),
            PathBuf::from("/x/c-client.cf")
        );
        assert_eq!(
            Preauth::read(Path::new("/nonexistent/c-client.cf")),
            Preauth::default()
        );
    }

    #[test]
    fn only_for_imap_names_without_port_ssl_tls_anonymous_norsh() {
        let ok = |n: &str| allowed(&RemoteName::parse(n).unwrap());
        assert!(ok("{host}INBOX"));
        assert!(ok("{host/tryssl/user=fred}"));
        assert!(ok("{host/notls}"));
        for n in [
            "{host:143}",
            "{host/ssl}",
            "{host/tls}",
            "{host/anonymous}",
            "{host/norsh}",
            "{host/pop3}",
        ] {
            assert!(!ok(n), "{n}");
        }
    }

    #[test]
    fn greetings_taken() {
        assert!(greets(b"* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n"));
        assert!(greets(b"* ok hi\r\n"));
        assert!(!greets(b"* BYE go away\r\n"));
        assert!(!greets(b"Permission denied (publickey).\r\n"));
    }
}
