//! Real clients against the quick-start server, started as the README says: Python's
//! imaplib, UW c-client's mailutil (plain, STARTTLS, IMAPS), fetchmail and mbsync.
//!
//! In CI (`CI=true`) a missing client is a failure; elsewhere the test says it skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{quick_start, support};
use testkit::{QuickStart as Server, free_port, have, text};

/// Runs the Python client script `name` (in tests/support) against port `port` as the
/// demo user; fails the test with its output unless it succeeds.
fn run_script(s: &Server, name: &str, port: u16) {
    let out = Command::new("python3")
        .arg(support(name))
        .arg(port.to_string())
        .arg(&s.password)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {}", text(&out));
}

#[test]
fn python_imaplib_whole_session() {
    if !have("python3", "python_imaplib_whole_session") {
        return;
    }
    let s = quick_start();
    run_script(&s, "imaplib_session.py", s.imap);
}

#[test]
fn python_imaplib_utf8_accept() {
    if !have("python3", "python_imaplib_utf8_accept") {
        return;
    }
    let s = quick_start();
    run_script(&s, "imaplib_utf8.py", s.imap);
}

#[test]
fn python_imaplib_in_every_writable_format() {
    if !have("python3", "python_imaplib_in_every_writable_format") {
        return;
    }
    let s = quick_start();
    run_script(&s, "imaplib_formats.py", s.imap);
    // The mailboxes are on disk in their formats.
    let home = s.path("mail/demo");
    assert!(home.join("box-mix/.mixmeta").is_file());
    assert!(home.join("box-mx/.mxindex").is_file());
    assert!(home.join("box-maildir/cur").is_dir());
    let starts = |name: &str| std::fs::read(home.join(name)).unwrap();
    assert!(starts("box-mbx").starts_with(b"*mbx*\r\n"));
    assert!(starts("box-mmdf").starts_with(b"\x01\x01\x01\x01\n"));
    assert!(starts("box-unix").starts_with(b"From "));
    assert!(!starts("box-tenex").starts_with(b"From "));
    assert!(!starts("box-mtx").starts_with(b"From "));
}

/// The command line a unit of `dist/systemd` (or a line of `dist/inetd.conf`) runs,
/// pointed at this build and this test's configuration.
fn dist_command(words: &[&str], s: &Server) -> Vec<String> {
    words
        .iter()
        .map(|w| match *w {
            "/usr/local/sbin/imapd" => env!("CARGO_BIN_EXE_imapd").to_owned(),
            "/usr/local/sbin/ipop3d" => env!("CARGO_BIN_EXE_ipop3d").to_owned(),
            "/etc/panda/panda.toml" => s.path("panda.toml").to_string_lossy().into_owned(),
            w => w.to_owned(),
        })
        .collect()
}

/// A Python client session for each service: login, a look, logout.
fn python_session(service: &str, port: u16, password: &str) -> String {
    let ctx = "import ssl; c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE";
    match service {
        "imap" => format!(
            "import imaplib; m = imaplib.IMAP4('127.0.0.1', {port}); m.login('demo', '{password}'); assert m.select('INBOX')[0] == 'OK'; m.logout()"
        ),
        "imaps" => format!(
            "{ctx}; import imaplib; m = imaplib.IMAP4_SSL('127.0.0.1', {port}, ssl_context=c); m.login('demo', '{password}'); assert m.select('INBOX')[0] == 'OK'; m.logout()"
        ),
        "pop3" => format!(
            "import poplib; p = poplib.POP3('127.0.0.1', {port}); p.user('demo'); p.pass_('{password}'); assert p.stat()[0] >= 1; p.quit()"
        ),
        _ => format!(
            "{ctx}; import poplib; p = poplib.POP3_SSL('127.0.0.1', {port}, context=c); p.user('demo'); p.pass_('{password}'); assert p.stat()[0] >= 1; p.quit()"
        ),
    }
}

#[test]
fn systemd_socket_units_and_inetd_lines_serve_sessions() {
    if !have(
        "systemd-socket-activate",
        "systemd_socket_units_and_inetd_lines_serve_sessions",
    ) || !have(
        "python3",
        "systemd_socket_units_and_inetd_lines_serve_sessions",
    ) {
        return;
    }
    let s = quick_start();
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    let inetd = std::fs::read_to_string(dist.join("inetd.conf")).unwrap();
    for service in ["imap", "imaps", "pop3", "pop3s"] {
        // systemd: Accept=yes in the socket, the template service's ExecStart.
        let socket =
            std::fs::read_to_string(dist.join(format!("systemd/panda-{service}.socket"))).unwrap();
        assert!(socket.contains("Accept=yes"), "{service}.socket");
        let unit = std::fs::read_to_string(dist.join(format!("systemd/panda-{service}@.service")))
            .unwrap();
        let exec = unit
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .unwrap();
        // inetd: the same program and arguments.
        let line = inetd
            .lines()
            .find(|l| l.split_whitespace().next() == Some(service))
            .unwrap();
        let inetd_words: Vec<&str> = line.split_whitespace().skip(5).collect();
        let systemd_words: Vec<&str> = exec.split_whitespace().collect();
        assert_eq!(inetd_words[0], systemd_words[0], "{service}: same program");
        assert_eq!(
            inetd_words[2..],
            systemd_words[3..],
            "{service}: same arguments but the configuration"
        );
        let port = free_port();
        let mut activator = Command::new("systemd-socket-activate")
            .args(["--accept", "--inetd", "-l", &format!("127.0.0.1:{port}")])
            .args(dist_command(&systemd_words, &s))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "{service}: socket not listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = Command::new("python3")
            .args(["-c", &python_session(service, port, &s.password)])
            .output()
            .unwrap();
        let _ = activator.kill();
        let _ = activator.wait();
        assert!(out.status.success(), "{service}: {}", text(&out));
    }
}

/// UW's mailutil as an IMAP client, typing the password at its prompt.
fn mailutil(s: &Server, args: &[&str]) -> Output {
    let mut cmd = Command::new("python3");
    cmd.arg(support("with_password.py"))
        .arg(&s.password)
        .arg("mailutil");
    cmd.args(args);
    cmd.output().unwrap()
}

#[test]
fn uw_mailutil_over_plain_starttls_and_imaps() {
    if !have("mailutil", "uw_mailutil") || !have("python3", "uw_mailutil") {
        return;
    }
    let s = quick_start();
    for (port, flags) in [
        (s.imap, "/imap/notls"),
        (s.imap, "/imap/tls/tls-sslv23/novalidate-cert"),
        (s.imaps, "/imap/ssl/novalidate-cert"),
    ] {
        let name = format!("{{127.0.0.1:{port}{flags}/user=demo}}INBOX");
        let out = mailutil(&s, &["check", &name]);
        let t = text(&out);
        assert!(out.status.success(), "{name}: {t}");
        assert!(t.contains("3 total in"), "{name}: {t}");
    }
    // Debian's c-client offers only TLS 1.0 with a bare /tls; that is refused.
    let name = format!(
        "{{127.0.0.1:{}/imap/tls/novalidate-cert/user=demo}}INBOX",
        s.imap
    );
    let out = mailutil(&s, &["check", &name]);
    assert!(
        !text(&out).contains("total in"),
        "TLS 1.0 accepted: {}",
        text(&out)
    );

    // Copy the whole INBOX to a local file with UW's own unix driver, and back. (c-client
    // run by root takes names relative to /, and refuses absolute ones.)
    let local = s.dir().join("local");
    let local_name = local
        .display()
        .to_string()
        .trim_start_matches('/')
        .to_owned();
    let dest = format!("#driver.unix/{local_name}");
    let src = format!("{{127.0.0.1:{}/imap/notls/user=demo}}INBOX", s.imap);
    let out = mailutil(&s, &["copy", &src, &dest]);
    assert!(out.status.success(), "copy: {}", text(&out));
    let copied = std::fs::read_to_string(&local).unwrap();
    for subject in ["Welcome to Panda IMAP", "Folders", "Going to production"] {
        assert!(
            copied.contains(&format!("Subject: {subject}\n")),
            "{copied}"
        );
    }
    let remote = format!(
        "{{127.0.0.1:{}/imap/ssl/novalidate-cert/user=demo}}Copied",
        s.imaps
    );
    let out = mailutil(&s, &["create", &remote]);
    assert!(out.status.success(), "create: {}", text(&out));
    let out = mailutil(&s, &["append", &local_name, &remote]);
    assert!(out.status.success(), "append: {}", text(&out));
    let ours = std::fs::read_to_string(s.path("mail/demo/Copied")).unwrap();
    for subject in ["Welcome to Panda IMAP", "Folders", "Going to production"] {
        assert_eq!(
            ours.matches(&format!("\nSubject: {subject}\n")).count(),
            1,
            "{ours}"
        );
    }
}

#[test]
fn fetchmail_over_imap() {
    if !have("fetchmail", "fetchmail_over_imap") {
        return;
    }
    let s = quick_start();
    let out_file = s.dir().join("delivered");
    let rc = s.dir().join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "poll 127.0.0.1 port {} proto IMAP auth password\n  user demo password \"{}\" keep\n  sslproto '' no sslcertck\n  mda \"/bin/sh -c 'cat >> {}'\"\n",
            s.imap,
            s.password,
            out_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rc, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = Command::new("fetchmail")
        .arg("-f")
        .arg(&rc)
        .arg("--nodetach")
        .arg("--silent")
        .arg("--pidfile")
        .arg(s.dir().join("fetchmail.pid"))
        .env("FETCHMAILHOME", s.dir())
        .env("HOME", s.dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "fetchmail: {}", text(&out));
    let got = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(got.matches("Subject: ").count(), 3, "{got}");
}

#[test]
fn mbsync_two_way_with_a_maildir() {
    if !have("mbsync", "mbsync_two_way") {
        return;
    }
    let s = quick_start();
    let maildir = s.dir().join("Maildir");
    std::fs::create_dir_all(&maildir).unwrap();
    let rc = s.dir().join("mbsyncrc");
    std::fs::write(
        &rc,
        format!(
            "IMAPAccount demo\nHost 127.0.0.1\nPort {port}\nUser demo\nPass \"{pw}\"\nSSLType IMAPS\nCertificateFile {cert}\n\n\
             IMAPStore remote\nAccount demo\n\n\
             MaildirStore local\nPath {md}/\nInbox {md}/INBOX\n\n\
             Channel sync\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Both\nSyncState *\n",
            port = s.imaps,
            pw = s.password,
            cert = s.path("cert.pem").display(),
            md = maildir.display()
        ),
    )
    .unwrap();
    let run = || {
        Command::new("mbsync")
            .arg("-c")
            .arg(&rc)
            .arg("-a")
            .env("HOME", s.dir())
            .output()
            .unwrap()
    };
    let out = run();
    assert!(out.status.success(), "mbsync: {}", text(&out));
    let cur = |d: &str| {
        std::fs::read_dir(maildir.join("INBOX").join(d))
            .map(|r| r.count())
            .unwrap_or(0)
    };
    assert_eq!(cur("cur") + cur("new"), 3, "mbsync pulled the INBOX");
    // A message written locally goes up.
    std::fs::write(
        maildir.join("INBOX/new/1.local:2,"),
        "Subject: from the maildir\n\nwritten locally\n",
    )
    .unwrap();
    let out = run();
    assert!(out.status.success(), "mbsync: {}", text(&out));
    let inbox = std::fs::read_to_string(s.path("mail/demo/INBOX")).unwrap();
    assert!(inbox.contains("Subject: from the maildir"), "{inbox}");
}

#[test]
fn imapd_inetd_mode_on_a_pipe_and_on_a_socket() {
    let s = quick_start();
    let config = s.path("panda.toml");
    let script = format!(
        "a LOGIN demo {}\r\nb SELECT INBOX\r\nc FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\nd LOGOUT\r\n",
        s.password
    );
    // A pipe (as from ssh or a test).
    let mut child = Command::new(env!("CARGO_BIN_EXE_imapd"))
        .arg("--config")
        .arg(&config)
        .arg("--log-stderr")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(script.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("* OK [CAPABILITY "), "{stdout}");
    assert!(
        stdout.contains("Subject: Welcome to Panda IMAP\r\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("d OK LOGOUT completed\r\n"), "{stdout}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("Login user=demo host=[local]"), "{log}");

    // A TCP socket on standard input and output, as inetd gives one.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(script.as_bytes()).unwrap();
        let mut all = String::new();
        c.read_to_string(&mut all).unwrap();
        all
    });
    let (sock, _) = listener.accept().unwrap();
    let fd: std::os::fd::OwnedFd = sock.into();
    let fd2 = fd.try_clone().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_imapd"))
        .arg("--config")
        .arg(&config)
        .arg("--log-stderr")
        .stdin(Stdio::from(fd))
        .stdout(Stdio::from(fd2))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let got = client.join().unwrap();
    assert!(got.contains("Subject: Welcome to Panda IMAP\r\n"), "{got}");
    assert!(got.ends_with("d OK LOGOUT completed\r\n"), "{got}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("Login user=demo host=[127.0.0.1]"), "{log}");
}

#[test]
fn sigterm_says_goodbye_to_every_session() {
    use std::io::{BufRead, BufReader, Write};
    let mut s = quick_start();
    let mut sessions = Vec::new();
    for port in [s.imap, s.imap] {
        let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut r = BufReader::new(c.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let mut w = c;
        w.write_all(format!("a LOGIN demo {}\r\n", s.password).as_bytes())
            .unwrap();
        line.clear();
        r.read_line(&mut line).unwrap();
        assert!(line.starts_with("a OK"), "{line}");
        sessions.push(r);
    }
    let started = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &s.child().id().to_string()])
        .status();
    for r in &mut sessions {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, "* BYE Server shutting down\r\n");
    }
    let status = s.child().wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn kiss_of_death_ends_the_holding_session_not_the_daemon() {
    use std::io::{BufRead, BufReader, Write};
    let mut s = quick_start();
    let c = std::net::TcpStream::connect(("127.0.0.1", s.imap)).unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut w = c;
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    w.write_all(format!("a LOGIN demo {}\r\nb SELECT INBOX\r\n", s.password).as_bytes())
        .unwrap();
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line.starts_with("b ") {
            assert!(line.starts_with("b OK [READ-WRITE]"), "{line}");
            break;
        }
    }
    // What a UW process does to a holder (c-client unix_open).
    let _ = Command::new("kill")
        .args(["-USR2", &s.child().id().to_string()])
        .status();
    std::thread::sleep(Duration::from_millis(300));
    w.write_all(b"c NOOP\r\n").unwrap();
    line.clear();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "* BYE Killed (lost mailbox lock)\r\n");
    assert!(s.child().try_wait().unwrap().is_none(), "the daemon died");
    assert!(std::net::TcpStream::connect(("127.0.0.1", s.imap)).is_ok());
}

#[test]
fn python_poplib_whole_session() {
    if !have("python3", "python_poplib_whole_session") {
        return;
    }
    let s = quick_start();
    run_script(&s, "poplib_session.py", s.pop3);
}

#[test]
fn uw_mailutil_over_pop3() {
    if !have("mailutil", "uw_mailutil_over_pop3") || !have("python3", "uw_mailutil_over_pop3") {
        return;
    }
    let s = quick_start();
    for (port, flags) in [
        (s.pop3, "/pop3/notls"),
        (s.pop3s, "/pop3/ssl/novalidate-cert"),
    ] {
        let name = format!("{{127.0.0.1:{port}{flags}/user=demo}}INBOX");
        let out = mailutil(&s, &["check", &name]);
        let t = text(&out);
        assert!(out.status.success(), "{name}: {t}");
        assert!(t.contains("3 total in"), "{name}: {t}");
    }
}

#[test]
fn fetchmail_over_pop3_keep_delete_and_stls() {
    if !have("fetchmail", "fetchmail_over_pop3") {
        return;
    }
    let s = quick_start();
    let fetch = |options: &str, keep: &str| {
        let out_file = s.dir().join("pop-delivered");
        let _ = std::fs::remove_file(&out_file);
        let rc = s.dir().join("fetchmailrc-pop");
        std::fs::write(
            &rc,
            format!(
                "poll 127.0.0.1 port {} proto POP3 auth password\n  user demo password \"{}\" {keep}\n  {options}\n  mda \"/bin/sh -c 'cat >> {}'\"\n",
                s.pop3,
                s.password,
                out_file.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&rc, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let out = Command::new("fetchmail")
            .arg("-f")
            .arg(&rc)
            .args(["--nodetach", "--silent", "--pidfile"])
            .arg(s.dir().join("fetchmail.pid"))
            .env("FETCHMAILHOME", s.dir())
            .env("HOME", s.dir())
            .output()
            .unwrap();
        let got = std::fs::read_to_string(&out_file).unwrap_or_default();
        (out, got.matches("Subject: ").count())
    };
    // Plain, keeping: all three, and they stay.
    let (out, n) = fetch("sslproto '' no sslcertck", "keep");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(n, 3);
    // STLS, not keeping, all (fetchmail skips what LAST says was seen): all three, then
    // the INBOX is empty.
    let (out, n) = fetch("sslproto 'TLS1.2+' no sslcertck fetchall", "nokeep");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(n, 3);
    let inbox = std::fs::read_to_string(s.path("mail/demo/INBOX")).unwrap();
    assert!(!inbox.contains("Subject: Welcome"), "{inbox}");
}

#[test]
fn imap_and_pop3_on_one_inbox() {
    use std::io::{BufRead, BufReader, Write};
    let s = quick_start();
    let connect = |port: u16| {
        let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let r = BufReader::new(c.try_clone().unwrap());
        (r, c)
    };
    let read_until = |r: &mut BufReader<std::net::TcpStream>, prefix: &str| {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            assert!(!line.is_empty(), "connection closed: {all}");
            all.push_str(&line);
            if line.starts_with(prefix) {
                return all;
            }
        }
    };
    // IMAP holds INBOX read-write.
    let (mut ir, mut iw) = connect(s.imap);
    read_until(&mut ir, "* OK");
    iw.write_all(format!("a LOGIN demo {}\r\nb SELECT INBOX\r\n", s.password).as_bytes())
        .unwrap();
    let sel = read_until(&mut ir, "b ");
    assert!(sel.contains("b OK [READ-WRITE]"), "{sel}");
    // POP3 logs in: the IMAP session gives the mailbox up (kiss of death) and ends.
    let (mut pr, mut pw) = connect(s.pop3);
    read_until(&mut pr, "+OK");
    let started = Instant::now();
    pw.write_all(format!("USER demo\r\nPASS {}\r\n", s.password).as_bytes())
        .unwrap();
    read_until(&mut pr, "+OK User");
    let got = read_until(&mut pr, "+OK Mailbox open");
    assert!(got.contains("3 messages"), "{got}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let bye = read_until(&mut ir, "* BYE");
    assert!(bye.contains("* BYE Killed (lost mailbox lock)"), "{bye}");
    // A new IMAP session meanwhile gets the mailbox read-only: a POP3 session that is not
    // idle keeps it (c-client's opener waits 15 seconds for it first).
    let (mut ir, mut iw) = connect(s.imap);
    read_until(&mut ir, "* OK");
    iw.write_all(format!("c LOGIN demo {}\r\nd SELECT INBOX\r\n", s.password).as_bytes())
        .unwrap();
    let sel = read_until(&mut ir, "d ");
    assert!(sel.contains("d OK [READ-ONLY]"), "{sel}");
    // POP3 deletes one and quits; the IMAP session learns of it; nothing else is lost.
    pw.write_all(b"DELE 1\r\nQUIT\r\n").unwrap();
    read_until(&mut pr, "+OK Sayonara");
    iw.write_all(b"e NOOP\r\n").unwrap();
    let noop = read_until(&mut ir, "e ");
    assert!(noop.contains("* 1 EXPUNGE"), "{noop}");
    iw.write_all(b"f STATUS INBOX (MESSAGES)\r\n").unwrap();
    let st = read_until(&mut ir, "f ");
    assert!(st.contains("MESSAGES 2"), "{st}");
}

#[test]
fn ipop3d_inetd_mode_on_a_pipe() {
    let s = quick_start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipop3d"))
        .arg("--config")
        .arg(s.path("panda.toml"))
        .arg("--log-stderr")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(format!("USER demo\r\nPASS {}\r\nSTAT\r\nQUIT\r\n", s.password).as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("+OK POP3 localhost "), "{stdout}");
    assert!(
        stdout.contains("+OK Mailbox open, 3 messages\r\n+OK 3 "),
        "{stdout}"
    );
    assert!(stdout.ends_with("+OK Sayonara\r\n"), "{stdout}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("Login user=demo host=[local] nmsgs=3/3"),
        "{log}"
    );
}
