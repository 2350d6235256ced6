//! `pandad` with system users (`accounts = "system"`): one child process per connection,
//! each becoming the user who logs in; the `max_sessions` limit; crashes and SIGTERM;
//! the kiss of death between our sessions and UW c-client's `mailutil` on one spool
//! INBOX, both ways; closedBox (`restrict = "closed"`).
//!
//! Needs root (accounts are made with `useradd`); without it the tests skip, except in
//! CI where they fail, as a missing client or UW tool does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::unistd::User;

mod common;
use common::{TestUsers, can_run, support, uids};
use testkit::{free_port, have};

/// A mailbox in the traditional format with messages `Subject: <tag> <n>`.
fn mbox(tag: &str, n: usize) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "From sender@example.org Thu Nov 26 09:00:0{} 2026\nFrom: sender@example.org\n\
                 Subject: {tag} {i}\n\nbody {i}\n\n",
                i % 10
            )
        })
        .collect()
}

/// How many messages of `mbox(tag, _)` the file holds.
fn count(path: &Path, tag: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .matches(&format!("\nSubject: {tag} "))
        .count()
}

/// Puts `text` in `path`, owned by `user`, mode 0600.
fn put(path: &Path, text: &str, user: &User) {
    std::fs::write(path, text).unwrap();
    std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw())).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A `pandad` serving system users, its log in a file.
struct Daemon {
    child: Child,
    dir: tempfile::TempDir,
    imap: u16,
    imaps: u16,
    pop3: u16,
}

impl Daemon {
    fn start(extra: &str) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let (cert, key) = server::tls::self_signed().unwrap();
        std::fs::write(dir.path().join("cert.pem"), cert).unwrap();
        std::fs::write(dir.path().join("key.pem"), key).unwrap();
        let (imap, imaps, pop3) = (free_port(), free_port(), free_port());
        let cfg = dir.path().join("panda.toml");
        std::fs::write(
            &cfg,
            format!(
                "hostname = \"test.invalid\"\naccounts = \"system\"\nplaintext = \"always\"\n\
                 alert_file = \"none.alert\"\nnologin_file = \"none.nologin\"\n{extra}\n\
                 [tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n\
                 [[listen]]\naddress = \"127.0.0.1:{imap}\"\nprotocol = \"imap\"\n\
                 [[listen]]\naddress = \"127.0.0.1:{imaps}\"\nprotocol = \"imaps\"\n\
                 [[listen]]\naddress = \"127.0.0.1:{pop3}\"\nprotocol = \"pop3\"\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pandad"))
            .arg("--config")
            .arg(&cfg)
            .args(["--log", "stderr"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", pop3)).is_err() {
            assert!(Instant::now() < deadline, "pandad did not start");
            assert!(
                child.try_wait().unwrap().is_none(),
                "pandad exited at start-up: {}",
                std::fs::read_to_string(dir.path().join("log")).unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // That probe was a session too: wait for its process to be gone.
        let d = Daemon {
            child,
            dir,
            imap,
            imaps,
            pop3,
        };
        d.wait_for(|log| log.contains("ended"));
        d
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap()
    }

    /// Waits until the log satisfies `what` (failing after a generous while).
    fn wait_for(&self, what: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !what(&self.log()) {
            assert!(Instant::now() < deadline, "log: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The daemon's child processes.
    fn children(&self) -> Vec<u32> {
        children_of(self.child.id())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        for c in self.children() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(c as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(n) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let ppid = after.split_whitespace().nth(1).and_then(|p| p.parse().ok());
        if ppid == Some(pid) {
            out.push(n);
        }
    }
    out.sort_unstable();
    out
}

/// The process group of `pid` (field 5 of `/proc/PID/stat`).
fn process_group_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(2)?.parse().ok()
}

/// A plain IMAP or POP3 connection, line by line.
struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    fn open(port: u16) -> Conn {
        let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        Conn {
            r: BufReader::new(c.try_clone().unwrap()),
            w: c,
        }
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        let _ = self.r.read_line(&mut l);
        l
    }

    /// Sends `tag command`; gives every line up to and with the tagged one.
    fn command(&mut self, tag: &str, command: &str) -> String {
        self.w
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .unwrap();
        let mut all = String::new();
        loop {
            let l = self.line();
            assert!(!l.is_empty(), "connection closed during {command}: {all}");
            all.push_str(&l);
            if l.starts_with(&format!("{tag} ")) {
                return all;
            }
        }
    }
}

/// The child process that appeared since `before`.
fn new_child(d: &Daemon, before: &[u32]) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now: Vec<u32> = d
            .children()
            .into_iter()
            .filter(|c| !before.contains(c))
            .collect();
        // A session runs in a process group of its own (a terminal's Ctrl-C reaches the
        // daemon only); the group is set between fork and exec, so it may lag a moment.
        if let [one] = now[..]
            && process_group_of(one) == Some(one)
        {
            return one;
        }
        assert!(
            Instant::now() < deadline,
            "no new session process in a group of its own: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `cmd` as `user`, in the home, as a login would.
fn as_user<'a>(cmd: &'a mut Command, user: &User) -> &'a mut Command {
    cmd.uid(user.uid.as_raw())
        .gid(user.gid.as_raw())
        .current_dir(&user.dir)
        .env("HOME", &user.dir)
        .env("USER", &user.name)
        .env("LOGNAME", &user.name)
}

#[test]
fn pandad_runs_each_system_session_in_its_own_process() {
    if !can_run("daemon_system_sessions") || !have("python3", "daemon_system_sessions") {
        return;
    }
    let pid = std::process::id() % 100_000;
    let name = format!("pdd{pid}a");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-1");
    let uid = user.uid.as_raw();
    let spool = Path::new("/var/mail").join(&name);
    put(&spool, &mbox("spool", 2), &user);
    let d = Daemon::start("max_sessions = 2");

    // Real clients: imaplib (plain and IMAPS) and poplib read the spool INBOX; a mailbox
    // the session creates belongs to the user.
    let script = format!(
        "import imaplib, poplib, ssl\n\
         c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE\n\
         m = imaplib.IMAP4('127.0.0.1', {imap}); m.login('{name}', 'Secret-1')\n\
         assert m.select('INBOX') == ('OK', [b'2']), 'select'\n\
         t, d = m.fetch('2', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')\n\
         assert d[0][1].strip() == b'Subject: spool 2', d\n\
         assert m.create('made')[0] == 'OK'; m.logout()\n\
         m = imaplib.IMAP4_SSL('127.0.0.1', {imaps}, ssl_context=c); m.login('{name}', 'Secret-1')\n\
         assert m.select('INBOX') == ('OK', [b'2']), 'imaps select'; m.logout()\n\
         m = imaplib.IMAP4('127.0.0.1', {imap}); m.starttls(ssl_context=c); m.login('{name}', 'Secret-1')\n\
         assert m.select('INBOX') == ('OK', [b'2']), 'starttls select'; m.logout()\n\
         p = poplib.POP3('127.0.0.1', {pop3}); p.user('{name}'); p.pass_('Secret-1')\n\
         assert p.stat()[0] == 2, p.stat(); p.quit()\n",
        imap = d.imap,
        imaps = d.imaps,
        pop3 = d.pop3,
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        d.log()
    );
    let made = std::fs::metadata(user.dir.join("made")).unwrap();
    assert_eq!((made.uid(), made.mode() & 0o777), (uid, 0o600));
    d.wait_for(|log| log.matches("ended").count() >= 5);
    // Reaped: no zombie left behind.
    assert_eq!(d.children(), Vec::<u32>::new());

    // One process per session: root until the login, the user after it.
    let before = d.children();
    let mut a = Conn::open(d.imap);
    assert!(a.line().starts_with("* OK "));
    let pa = new_child(&d, &before);
    assert_eq!(uids(pa), "0 0 0 0");
    let refused = a.command("r", "LOGIN root whatever");
    assert!(refused.contains("r NO "), "{refused}");
    assert!(
        a.command("a", &format!("LOGIN {name} Secret-1"))
            .contains("a OK ")
    );
    assert_eq!(uids(pa), format!("{uid} {uid} {uid} {uid}"));
    let sel = a.command("b", "SELECT INBOX");
    assert!(sel.contains("* 2 EXISTS"), "{sel}");
    let before = d.children();
    let mut b = Conn::open(d.imap);
    assert!(b.line().starts_with("* OK "));
    let pb = new_child(&d, &before);
    assert_ne!(pa, pb);
    assert!(
        b.command("a", &format!("LOGIN {name} Secret-1"))
            .contains("a OK ")
    );
    assert_eq!(uids(pb), format!("{uid} {uid} {uid} {uid}"));

    // Beyond max_sessions: told so, in each protocol, and closed.
    let mut c = Conn::open(d.imap);
    assert_eq!(
        c.line(),
        "* BYE Server busy: too many sessions, try again later\r\n"
    );
    assert_eq!(c.line(), "");
    let mut c = Conn::open(d.pop3);
    assert_eq!(
        c.line(),
        "-ERR Server busy: too many sessions, try again later\r\n"
    );
    let tls_refusal = format!(
        "import socket, ssl\n\
         c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE\n\
         s = c.wrap_socket(socket.create_connection(('127.0.0.1', {})))\n\
         print(s.makefile('rb').readline().decode(), end='')\n",
        d.imaps
    );
    let out = Command::new("python3")
        .args(["-c", &tls_refusal])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "* BYE Server busy: too many sessions, try again later\r\n"
    );
    assert_eq!(d.children().len(), 2);

    // A session process that crashes ends its session only; its place is free again.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pb as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    assert_eq!(b.line(), "");
    d.wait_for(|log| {
        log.contains(&format!(
            "Session process {pb} host=[127.0.0.1] ended: signal: 9"
        ))
    });
    let mut e = Conn::open(d.imap);
    assert!(e.line().starts_with("* OK "), "{}", d.log());
    assert!(a.command("c", "NOOP").contains("c OK "));

    // SIGTERM: no new connections, the sessions under way go on.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(d.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let mut d = d;
    let status = d.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(TcpStream::connect(("127.0.0.1", d.imap)).is_err());
    assert!(TcpStream::connect(("127.0.0.1", d.pop3)).is_err());
    let noop = a.command("d", "NOOP");
    assert!(noop.contains("d OK "), "{noop}");
    let out = a.command("z", "LOGOUT");
    assert!(out.contains("* BYE"), "{out}");
    assert!(e.command("z", "LOGOUT").contains("z OK"));
    assert_eq!(count(&spool, "spool"), 2);
    let log = d.log();
    assert!(
        log.contains(&format!("Login user={name} host=[127.0.0.1]")),
        "{log}"
    );
    assert!(
        log.contains("Too many sessions (max_sessions = 2), refused host=[127.0.0.1]"),
        "{log}"
    );
    assert!(log.contains("Shutting down: no new connections"), "{log}");
    assert!(!log.contains("Secret-1"), "{log}");
}

#[test]
fn kiss_of_death_between_pandad_sessions_and_uw_mailutil() {
    if !can_run("daemon_kiss_of_death")
        || !have("python3", "daemon_kiss_of_death")
        || !have("mailutil", "daemon_kiss_of_death")
    {
        return;
    }
    let pid = std::process::id() % 100_000;
    let name = format!("pdd{pid}k");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-2");
    let spool = Path::new("/var/mail").join(&name);
    put(&spool, &mbox("kod", 3), &user);
    let d = Daemon::start("");

    // UW holds the spool INBOX read-write (a `mailutil move` to a remote mailbox, waiting
    // for the password); the UW client logged in to us meanwhile is another session.
    let mut holder = as_user(
        Command::new("python3")
            .arg(support("hold_at_prompt.py"))
            .args(["mailutil", "move", "INBOX"])
            .arg(format!(
                "{{127.0.0.1:{}/imap/notls/user={name}}}elsewhere",
                d.imap
            )),
        &user,
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut held = BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    held.read_line(&mut line).unwrap();
    let uw: u32 = line
        .strip_prefix("holding ")
        .unwrap_or_else(|| panic!("{line}"))
        .trim()
        .parse()
        .unwrap();
    // Our session opening it read-write sends UW the kiss of death (c-client's rule, as
    // UW's imapd would): mailutil, which has no handler for it, ends, and the mailbox is
    // ours, read-write, whole.
    let mut ours = Conn::open(d.imap);
    assert!(ours.line().starts_with("* OK "));
    assert!(
        ours.command("a", &format!("LOGIN {name} Secret-2"))
            .contains("a OK ")
    );
    let sel = ours.command("b", "SELECT INBOX");
    assert!(sel.contains("b OK [READ-WRITE]"), "{sel}");
    assert!(sel.contains("* 3 EXISTS"), "{sel}");
    line.clear();
    held.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ended signal 12", "UW process {uw}");
    holder.wait().unwrap();
    assert!(ours.command("z", "LOGOUT").contains("z OK"));
    assert_eq!(count(&spool, "kod"), 3);

    // The other way: our session holds INBOX; UW's read-write open kisses it, it lets go
    // (`* BYE Killed (lost mailbox lock)`, as UW's imapd), and UW has the mailbox.
    let before = d.children();
    let mut ours = Conn::open(d.imap);
    assert!(ours.line().starts_with("* OK "));
    let serving = new_child(&d, &before);
    assert!(
        ours.command("a", &format!("LOGIN {name} Secret-2"))
            .contains("a OK ")
    );
    let sel = ours.command("b", "SELECT INBOX");
    assert!(sel.contains("b OK [READ-WRITE]"), "{sel}");
    let out = as_user(
        Command::new("mailutil").args(["copy", "-rw", "INBOX", "uwcopy"]),
        &user,
    )
    .output()
    .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "Trying to get mailbox lock from process {serving}"
        )),
        "{text}"
    );
    assert!(!text.contains("readonly"), "{text}");
    ours.w.write_all(b"c NOOP\r\n").unwrap();
    assert_eq!(ours.line(), "* BYE Killed (lost mailbox lock)\r\n");
    assert_eq!(count(&user.dir.join("uwcopy"), "kod"), 3);
    assert_eq!(count(&spool, "kod"), 3);
    d.wait_for(|log| log.contains("Killed (lost mailbox lock)"));
}

#[test]
fn closed_box_confines_the_session_to_the_home() {
    if !can_run("daemon_closed_box") {
        return;
    }
    let pid = std::process::id() % 100_000;
    let name = format!("pdd{pid}c");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-3");
    let uid = user.uid.as_raw();
    put(
        &Path::new("/var/mail").join(&name),
        &mbox("spool", 2),
        &user,
    );
    put(&user.dir.join("INBOX"), &mbox("home", 1), &user);
    let d = Daemon::start("restrict = \"closed\"");

    let before = d.children();
    let mut s = Conn::open(d.imap);
    assert!(s.line().starts_with("* OK "));
    let child = new_child(&d, &before);
    assert!(
        s.command("a", &format!("LOGIN {name} Secret-3"))
            .contains("a OK ")
    );
    assert_eq!(uids(child), format!("{uid} {uid} {uid} {uid}"));
    // The process's root is the home.
    assert_eq!(
        std::fs::read_link(format!("/proc/{child}/root")).unwrap(),
        user.dir
    );
    // INBOX is ~/INBOX: the spool is outside.
    let sel = s.command("b", "SELECT INBOX");
    assert!(
        sel.contains("* 1 EXISTS") && sel.contains("b OK [READ-WRITE]"),
        "{sel}"
    );
    // c-client's lock for it is /.<dev>.<ino> in the box, not in /tmp.
    let inbox = std::fs::metadata(user.dir.join("INBOX")).unwrap();
    let lock = format!(".{:x}.{:x}", inbox.dev(), inbox.ino());
    assert!(user.dir.join(&lock).exists(), "no {lock} in the home");
    // Nothing outside the home can be named: other homes, parents and the shared
    // namespaces are refused; an absolute name is one inside the box (c-client's
    // closedBox), so the spool and the system's files are out of reach.
    for hostile in ["~root/x", "../x", "#public/x", "#ftp/x", "#shared/x"] {
        let answer = s.command("c", &format!("CREATE \"{hostile}\""));
        assert!(answer.contains("c NO "), "{hostile}: {answer}");
    }
    let passwd = std::fs::read("/etc/passwd").unwrap();
    let answer = s.command("c", "CREATE \"/etc/passwd\"");
    assert!(answer.contains("c OK "), "{answer}");
    assert!(user.dir.join("etc/passwd").is_file());
    assert_eq!(std::fs::read("/etc/passwd").unwrap(), passwd);
    let ex = s.command("d", &format!("EXAMINE \"/var/mail/{name}\""));
    assert!(ex.contains("d NO "), "{ex}");
    let ns = s.command("e", "NAMESPACE");
    assert!(ns.contains("* NAMESPACE ((\"\" \"/\")) NIL NIL"), "{ns}");
    // Home-relative names work, and what they make is the user's.
    assert!(s.command("f", "CREATE inside").contains("f OK "));
    let meta = std::fs::metadata(user.dir.join("inside")).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (uid, 0o600));
    assert!(!Path::new("/inside").exists());
    assert!(s.command("z", "LOGOUT").contains("z OK"));
    d.wait_for(|log| log.contains(&format!("Logout user={name}")));
}
