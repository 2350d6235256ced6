//! System users (`accounts = "system"` and `"pam"`) through `imapd` in inetd mode on a
//! pipe: real accounts made with `useradd`/`chpasswd`, the session process becoming the
//! user, refusals that say nothing on the wire and everything in the log, `--preauth`.
//! Needs root; without it the tests skip, except in CI where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use nix::unistd::User;

mod common;
use common::{PlacedFile, TestUsers, can_run, uids};
use testkit::run;

/// The wire text of every refused login, whatever the reason.
const REFUSED: &str = "NO [AUTHENTICATIONFAILED] Invalid login credentials";

/// A configuration choosing `accounts`.
fn config(dir: &Path, accounts: &str) -> PathBuf {
    let p = dir.join("panda.toml");
    std::fs::write(
        &p,
        format!(
            "hostname = \"test.invalid\"\ndata_dir = \"data\"\nusers = \"users\"\n\
             accounts = \"{accounts}\"\nplaintext = \"always\"\n\
             alert_file = \"none.alert\"\nnologin_file = \"none.nologin\"\n"
        ),
    )
    .unwrap();
    // The test's users (not root) read the configuration for --preauth.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// One `imapd` on pipes.
struct Imapd {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Imapd {
    fn start(config: &Path, extra: &[&str], as_user: Option<&User>) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_imapd"));
        cmd.arg("--config")
            .arg(config)
            .arg("--log-stderr")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(u) = as_user {
            cmd.uid(u.uid.as_raw())
                .gid(u.gid.as_raw())
                .current_dir(&u.dir);
        }
        let mut child = cmd.spawn().unwrap();
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Imapd {
            child,
            input,
            output,
        }
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.output.read_line(&mut l).unwrap();
        l.trim_end().to_owned()
    }

    /// Sends `tag command` and gives the tagged reply, without the tag.
    fn command(&mut self, tag: &str, command: &str) -> String {
        self.input
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .unwrap();
        loop {
            let l = self.line();
            assert!(!l.is_empty(), "imapd ended during {command}");
            if let Some(rest) = l.strip_prefix(&format!("{tag} ")) {
                return rest.to_owned();
            }
        }
    }

    /// Logs out and gives what the server wrote to its log.
    fn finish(mut self) -> String {
        let _ = self.input.write_all(b"z LOGOUT\r\n");
        drop(self.input);
        let mut rest = String::new();
        let _ = self.output.read_to_string(&mut rest);
        let _ = self.child.wait();
        let mut log = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        log
    }

    /// The real, effective, saved and file-system user ids of the session process.
    fn uids(&self) -> String {
        uids(self.child.id())
    }

    /// Starts `imapd` on `config`, sees its greeting and logs `user` in with `password`.
    fn logged_in(config: &Path, user: &str, password: &str) -> Self {
        let mut imapd = Imapd::start(config, &[], None);
        assert!(imapd.line().starts_with("* OK "));
        let ok = imapd.command("a", &format!("LOGIN {user} {password}"));
        assert!(ok.starts_with("OK "), "{ok}");
        imapd
    }
}

/// The four user ids of a process that has become the user `uid` for good.
fn only(uid: u32) -> String {
    format!("{uid} {uid} {uid} {uid}")
}

/// Logs in to `ipop3d` on pipes as `user` with `password` and expects the session process
/// to become the user `uid`.
fn pop3_login_becomes(config: &Path, user: &str, password: &str, uid: u32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipop3d"))
        .arg("--config")
        .arg(config)
        .arg("--log-stderr")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut line = || {
        let mut l = String::new();
        output.read_line(&mut l).unwrap();
        l
    };
    assert!(line().starts_with("+OK"));
    input
        .write_all(format!("USER {user}\r\nPASS {password}\r\n").as_bytes())
        .unwrap();
    assert!(line().starts_with("+OK"));
    let pass = line();
    assert!(pass.starts_with("+OK"), "{pass}");
    assert_eq!(uids(child.id()), only(uid));
    input.write_all(b"QUIT\r\n").unwrap();
    drop(input);
    let _ = child.wait();
}

/// A test's temporary directory with a configuration choosing `accounts` in it.
fn configured(accounts: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), accounts);
    (dir, cfg)
}

/// A name for a test account: `prefix`, this process's id, `suffix`.
fn account_name(prefix: &str, suffix: &str) -> String {
    format!("{prefix}{}{suffix}", std::process::id() % 100_000)
}

/// Logs `user` in with `password` and expects the refusal, with `why` in the log.
fn refused(config: &Path, user: &str, password: &str, why: &str) {
    let mut imapd = Imapd::start(config, &[], None);
    assert!(imapd.line().starts_with("* OK "));
    assert_eq!(
        imapd.command("a", &format!("LOGIN {user} {password}")),
        REFUSED
    );
    let log = imapd.finish();
    assert!(log.contains(why), "{user}: log lacks {why:?}:\n{log}");
    assert!(
        !log.contains(password),
        "the password reached the log:\n{log}"
    );
}

#[test]
fn shadow_login_becomes_the_user_and_refusals_say_nothing() {
    if !can_run("shadow_login") {
        return;
    }
    let pid = std::process::id() % 100_000;
    let (good, expired, locked) = (
        format!("pts{pid}g"),
        format!("pts{pid}e"),
        format!("pts{pid}l"),
    );
    let mut users = TestUsers(Vec::new());
    let user = users.add(&good, "Secret-1");
    users.add(&expired, "Secret-2");
    run(Command::new("chage").args(["-E", "0", &expired]));
    users.add(&locked, "Secret-3");
    run(Command::new("usermod").args(["-L", &locked]));
    let (dir, cfg) = configured("system");

    let mut imapd = Imapd::start(&cfg, &[], None);
    assert!(imapd.line().starts_with("* OK "));
    assert_eq!(imapd.uids(), "0 0 0 0");
    let ok = imapd.command("a", &format!("LOGIN {good} Secret-1"));
    assert!(ok.starts_with("OK "), "{ok}");
    let uid = user.uid.as_raw();
    assert_eq!(imapd.uids(), only(uid));
    assert!(imapd.command("b", "CREATE box").starts_with("OK "));
    let meta = std::fs::metadata(user.dir.join("box")).unwrap();
    assert_eq!(meta.uid(), uid);
    assert_eq!(meta.gid(), user.gid.as_raw());
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert!(imapd.command("c", "SELECT INBOX").starts_with("OK "));
    let log = imapd.finish();
    assert!(log.contains(&format!("Login user={good}")), "{log}");

    // restrict = "all" (FAQ 5.1) reaches the session: no absolute names, no ~user.
    let restricted = dir.path().join("restricted.toml");
    std::fs::write(
        &restricted,
        std::fs::read_to_string(&cfg).unwrap() + "restrict = \"all\"\n",
    )
    .unwrap();
    let mut imapd = Imapd::logged_in(&restricted, &good, "Secret-1");
    for name in ["/tmp/escape", "~root/x", "../x"] {
        let answer = imapd.command("b", &format!("CREATE \"{name}\""));
        assert!(answer.starts_with("NO "), "{name}: {answer}");
    }
    assert!(!std::path::Path::new("/tmp/escape").exists());
    assert!(imapd.command("c", "CREATE inside").starts_with("OK "));
    imapd.finish();

    refused(&cfg, "root", "whatever", "root may not log in");
    refused(&cfg, &expired, "Secret-2", "account expired");
    refused(&cfg, &locked, "Secret-3", "account locked");
    refused(&cfg, &good, "Wrong-1", "wrong password");
    refused(&cfg, &format!("{good}x"), "Secret-1", "no such user");
}

#[test]
fn preauth_greets_as_the_invoking_user() {
    if !can_run("preauth") {
        return;
    }
    let name = account_name("pts", "p");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-4");
    let (_dir, cfg) = configured("system");
    let mut imapd = Imapd::start(&cfg, &["--preauth"], Some(&user));
    let greeting = imapd.line();
    assert!(greeting.starts_with("* PREAUTH [CAPABILITY "), "{greeting}");
    assert!(imapd.command("a", "CREATE pre").starts_with("OK "));
    assert_eq!(
        std::fs::metadata(user.dir.join("pre")).unwrap().uid(),
        user.uid.as_raw()
    );
    imapd.finish();

    // Root gets no pre-authenticated session.
    let mut imapd = Imapd::start(&cfg, &["--preauth"], None);
    assert_eq!(imapd.line(), "");
    let log = imapd.finish();
    assert!(log.contains("root"), "{log}");
}

#[test]
fn pam_login_becomes_the_user() {
    if !can_run("pam_login") {
        return;
    }
    if !testkit::needs(
        "pam_login",
        Path::new("/etc/pam.d").is_dir(),
        "no /etc/pam.d",
    ) {
        return;
    }
    let pid = std::process::id() % 100_000;
    let (good, expired) = (format!("ptp{pid}g"), format!("ptp{pid}e"));
    let mut users = TestUsers(Vec::new());
    let user = users.add(&good, "Secret-5");
    users.add(&expired, "Secret-6");
    run(Command::new("chage").args(["-E", "0", &expired]));
    let _pam = PlacedFile::new(
        Path::new("/etc/pam.d/imap"),
        "auth required pam_unix.so\naccount required pam_unix.so\n\
         session required pam_unix.so\n",
    );
    let (_dir, cfg) = configured("pam");

    let mut imapd = Imapd::logged_in(&cfg, &good, "Secret-5");
    let uid = user.uid.as_raw();
    assert_eq!(imapd.uids(), only(uid));
    assert!(imapd.command("b", "CREATE viapam").starts_with("OK "));
    assert_eq!(
        std::fs::metadata(user.dir.join("viapam")).unwrap().uid(),
        uid
    );
    imapd.finish();

    refused(&cfg, &good, "Wrong-2", "pam_authenticate");
    refused(&cfg, &expired, "Secret-6", "pam_acct_mgmt");
    refused(&cfg, "root", "whatever", "root may not log in");
}

#[test]
fn pop3_login_becomes_the_user() {
    if !can_run("pop3_login") {
        return;
    }
    let name = account_name("pto", "g");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-7");
    let (_dir, cfg) = configured("system");
    pop3_login_becomes(&cfg, &name, "Secret-7", user.uid.as_raw());
}

#[test]
fn the_cram_md5_secrets_file_is_the_password_source_while_it_exists() {
    if !can_run("secrets_file") {
        return;
    }
    let pid = std::process::id() % 100_000;
    let good = format!("ptm{pid}g");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&good, "Shadow-7");
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("cram-md5.pwd");
    std::fs::write(
        &secrets,
        format!("# FAQ 3.16\n{good}\tMd5-Secret-7\nptm{pid}nobody\tWhatever-8\n"),
    )
    .unwrap();
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o400)).unwrap();
    let cfg = config(dir.path(), "system");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg).unwrap() + &format!("cram_md5 = \"{}\"\n", secrets.display()),
    )
    .unwrap();

    // The secret logs in (and the session becomes the user); the shadow password does not.
    let imapd = Imapd::logged_in(&cfg, &good, "Md5-Secret-7");
    let uid = user.uid.as_raw();
    assert_eq!(imapd.uids(), only(uid));
    imapd.finish();
    refused(&cfg, &good, "Shadow-7", "CRAM-MD5 secrets file");
    // A secret without a passwd entry is no account.
    refused(
        &cfg,
        &format!("ptm{pid}nobody"),
        "Whatever-8",
        "no such user",
    );
    // Without the file, shadow again.
    std::fs::remove_file(&secrets).unwrap();
    let imapd = Imapd::logged_in(&cfg, &good, "Shadow-7");
    imapd.finish();
}

/// A group made for the test and removed after.
struct TestGroup(String);

impl TestGroup {
    fn add(name: &str, members: &[&str]) -> TestGroup {
        let _ = Command::new("groupdel").arg(name).output();
        run(Command::new("groupadd").arg(name));
        for m in members {
            run(Command::new("usermod").args(["-a", "-G", name, m]));
        }
        TestGroup(name.to_owned())
    }
}

impl Drop for TestGroup {
    fn drop(&mut self) {
        let _ = Command::new("groupdel").arg(&self.0).output();
    }
}

/// A directory tree the unprivileged session processes can walk: `dir` and its parents
/// opened to everyone for search.
fn open_to_all(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A mailbox file in the traditional format with one message.
fn one_message_mailbox(path: &Path, subject: &str) {
    std::fs::write(
        path,
        format!("From sender@example.org Thu Jan  1 00:00:00 2026\nSubject: {subject}\n\nbody\n"),
    )
    .unwrap();
}

/// Appends lines to the configuration.
fn add_to_config(cfg: &Path, lines: &str) {
    std::fs::write(cfg, std::fs::read_to_string(cfg).unwrap() + lines).unwrap();
}

#[test]
fn anonymous_becomes_nobody_and_reads_public_only() {
    if !can_run("anonymous") {
        return;
    }
    let name = account_name("pty", "u");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-9");
    one_message_mailbox(&user.dir.join("private"), "private");
    let nobody = User::from_name("nobody")
        .unwrap()
        .expect("a nobody account");
    let dir = tempfile::tempdir().unwrap();
    open_to_all(dir.path());
    for d in ["pub", "shared", "ftp"] {
        std::fs::create_dir(dir.path().join(d)).unwrap();
        open_to_all(&dir.path().join(d));
    }
    one_message_mailbox(&dir.path().join("pub/x"), "public");
    one_message_mailbox(&dir.path().join("shared/s"), "shared");
    std::fs::set_permissions(
        dir.path().join("pub/x"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let cfg = config(dir.path(), "system");
    add_to_config(
        &cfg,
        &format!(
            "anonymous_newsgroups = \"{d}/anonymous.newsgroups\"\n\
             public_directory = \"{d}/pub\"\nshared_directory = \"{d}/shared\"\n\
             ftp_directory = \"{d}/ftp\"\n",
            d = dir.path().display()
        ),
    );

    // Without the file there is no anonymous login.
    let mut imapd = Imapd::start(&cfg, &[], None);
    let greeting = imapd.line();
    assert!(!greeting.contains("AUTH=ANONYMOUS"), "{greeting}");
    assert_eq!(imapd.command("a", "LOGIN anonymous guest"), REFUSED);
    imapd.finish();

    std::fs::write(dir.path().join("anonymous.newsgroups"), "").unwrap();
    let before = std::fs::read(dir.path().join("pub/x")).unwrap();
    let mut imapd = Imapd::start(&cfg, &[], None);
    let greeting = imapd.line();
    assert!(greeting.contains(" AUTH=ANONYMOUS"), "{greeting}");
    let ok = imapd.command("a", "LOGIN anonymous guest@example.org");
    assert!(ok.starts_with("OK "), "{ok}");
    let uid = nobody.uid.as_raw();
    assert_eq!(imapd.uids(), only(uid));
    let select = imapd.command("b", "SELECT #public/x");
    assert_eq!(select, "OK [READ-ONLY] SELECT completed");
    imapd
        .input
        .write_all(b"c SEARCH SUBJECT public\r\n")
        .unwrap();
    assert_eq!(imapd.line(), "* SEARCH 1");
    assert!(imapd.line().starts_with("c OK "));
    assert_eq!(
        imapd.command("d", "APPEND #public/x {5+}\r\nhello"),
        "BAD Command unrecognized"
    );
    assert_eq!(
        imapd.command("e", "CREATE #public/new"),
        "BAD Command unrecognized"
    );
    assert!(
        imapd
            .command("f", "STORE 1 +FLAGS (\\Deleted)")
            .starts_with("NO [READ-ONLY]")
    );
    let private = user.dir.join("private").display().to_string();
    for mailbox in [
        "INBOX",
        "#shared/s",
        &format!("~{name}/private"),
        &private,
        "/etc/passwd",
        "private",
        "#public/../shared/s",
    ] {
        let answer = imapd.command("g", &format!("EXAMINE \"{mailbox}\""));
        assert!(answer.starts_with("NO "), "{mailbox}: {answer}");
    }
    let log = imapd.finish();
    assert!(log.contains("Login anonymous=guest@example.org"), "{log}");
    assert_eq!(std::fs::read(dir.path().join("pub/x")).unwrap(), before);
    assert!(!dir.path().join("pub/new").exists());
}

#[test]
fn an_administrator_logs_in_as_another_user() {
    if !can_run("admin_login") {
        return;
    }
    let pid = std::process::id() % 100_000;
    let (alice, bob, carol, group) = (
        format!("pta{pid}a"),
        format!("pta{pid}b"),
        format!("pta{pid}c"),
        format!("pta{pid}g"),
    );
    let mut users = TestUsers(Vec::new());
    let alice_user = users.add(&alice, "Alice-1");
    users.add(&bob, "Bob-2");
    users.add(&carol, "Carol-3");
    let _group = TestGroup::add(&group, &[&bob]);
    let (_dir, cfg) = configured("system");
    add_to_config(&cfg, &format!("admin_group = \"{group}\"\n"));

    let mut imapd = Imapd::start(&cfg, &[], None);
    assert!(imapd.line().starts_with("* OK "));
    let ok = imapd.command("a", &format!("LOGIN \"{alice}*{bob}\" Bob-2"));
    assert!(ok.ends_with(&format!("User {alice} authenticated")), "{ok}");
    let uid = alice_user.uid.as_raw();
    assert_eq!(imapd.uids(), only(uid));
    assert!(imapd.command("b", "CREATE byadmin").starts_with("OK "));
    assert_eq!(
        std::fs::metadata(alice_user.dir.join("byadmin"))
            .unwrap()
            .uid(),
        uid
    );
    let log = imapd.finish();
    assert!(
        log.contains(&format!("Admin {bob} override of user={alice}")),
        "{log}"
    );

    // The same through AUTHENTICATE PLAIN: authzid alice, authcid bob.
    let mut imapd = Imapd::start(&cfg, &[], None);
    assert!(imapd.line().starts_with("* OK "));
    let plain = base64(format!("{alice}\0{bob}\0Bob-2").as_bytes());
    let ok = imapd.command("a", &format!("AUTHENTICATE PLAIN {plain}"));
    assert!(ok.ends_with(&format!("User {alice} authenticated")), "{ok}");
    imapd.finish();

    // Carol is not in the group; her own password is right, and still nothing.
    refused(
        &cfg,
        &format!("\"{alice}*{carol}\""),
        "Carol-3",
        &format!("Failed {carol} override of user={alice}"),
    );
    // Bob with a wrong password.
    refused(
        &cfg,
        &format!("\"{alice}*{bob}\""),
        "Wrong-4",
        "wrong password",
    );

    // POP3: USER alice*bob, PASS with bob's password.
    pop3_login_becomes(&cfg, &format!("{alice}*{bob}"), "Bob-2", uid);
}

/// Standard base64, for AUTHENTICATE.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A date `days` from today (UTC), as `chage` takes it.
fn day(days: i64) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("{days} days"), "+%F"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn expiry_alerts_after_login() {
    if !can_run("expiry_alerts") {
        return;
    }
    let name = account_name("ptx", "w");
    let mut users = TestUsers(Vec::new());
    users.add(&name, "Secret-10");
    // The password ends in 5 days, warned 7 days before; the account ends today.
    run(Command::new("chage").env("TZ", "UTC").args([
        "-d",
        &day(-5),
        "-M",
        "10",
        "-W",
        "7",
        "-E",
        &day(0),
        &name,
    ]));
    let (_dir, cfg) = configured("system");
    let mut imapd = Imapd::start(&cfg, &[], None);
    assert!(imapd.line().starts_with("* OK "));
    imapd
        .input
        .write_all(format!("a LOGIN {name} Secret-10\r\n").as_bytes())
        .unwrap();
    assert_eq!(imapd.line(), "* OK [ALERT] Password expires in 5 day(s)");
    assert_eq!(imapd.line(), "* NO [ALERT] Account expires today!");
    let ok = imapd.line();
    assert!(ok.starts_with("a OK [CAPABILITY "), "{ok}");
    imapd.finish();
}

#[test]
fn c_client_cf_mail_subdirectory_restrictions_and_formats_reach_the_session() {
    if !can_run("c_client_cf") {
        return;
    }
    let name = account_name("ptc", "f");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-11");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c-client.cf"),
        "I accept the risk for IMAP toolkit 4.1.\nset mail-subdirectory Mail\n\
         set restrict-mailbox-access otherusers\nset new-folder-format mix\n\
         set empty-folder-format mbx\n",
    )
    .unwrap();
    let cfg = config(dir.path(), "system");
    add_to_config(&cfg, "c_client_cf = \"c-client.cf\"\n");

    let mut imapd = Imapd::logged_in(&cfg, &name, "Secret-11");
    // CREATE foo lands in ~/Mail/foo, in mix format (a directory).
    let create = imapd.command("b", "CREATE foo");
    assert!(create.starts_with("OK "), "{create}");
    let foo = user.dir.join("Mail/foo");
    assert!(foo.is_dir(), "{} is not a mix directory", foo.display());
    assert_eq!(std::fs::metadata(&foo).unwrap().uid(), user.uid.as_raw());
    assert!(!user.dir.join("foo").exists());
    // An empty file takes mbx at its first append.
    std::fs::write(user.dir.join("Mail/empty"), "").unwrap();
    nix::unistd::chown(&user.dir.join("Mail/empty"), Some(user.uid), Some(user.gid)).unwrap();
    assert!(
        imapd
            .command("c", "APPEND empty {5+}\r\nhello")
            .starts_with("OK ")
    );
    let head = std::fs::read(user.dir.join("Mail/empty")).unwrap();
    assert!(
        head.starts_with(b"*mbx*"),
        "{:?}",
        &head[..head.len().min(8)]
    );
    // restrict-mailbox-access otherusers: no ~user names.
    let other = imapd.command("d", "SELECT \"~root/x\"");
    assert!(other.starts_with("NO "), "{other}");
    imapd.finish();
}

#[test]
fn same_as_inbox_makes_new_mailboxes_in_the_inbox_format() {
    if !can_run("same_as_inbox") {
        return;
    }
    let name = account_name("pts", "i");
    let mut users = TestUsers(Vec::new());
    let user = users.add(&name, "Secret-12");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c-client.cf"),
        "set new-folder-format same-as-inbox\n",
    )
    .unwrap();
    let cfg = config(dir.path(), "system");
    add_to_config(&cfg, "c_client_cf = \"c-client.cf\"\n");
    let mut imapd = Imapd::logged_in(&cfg, &name, "Secret-12");
    // An mbx INBOX in the home (made by the server, then moved into place).
    assert!(
        imapd
            .command("b", "CREATE \"#driver.mbx/box\"")
            .starts_with("OK ")
    );
    imapd.finish();
    std::fs::rename(user.dir.join("box"), user.dir.join("INBOX")).unwrap();
    let mut imapd = Imapd::start(&cfg, &[], None);
    assert!(imapd.line().starts_with("* OK "));
    assert!(
        imapd
            .command("c", &format!("LOGIN {name} Secret-12"))
            .starts_with("OK ")
    );
    assert!(imapd.command("d", "CREATE likeinbox").starts_with("OK "));
    let head = std::fs::read(user.dir.join("likeinbox")).unwrap();
    assert!(
        head.starts_with(b"*mbx*"),
        "not mbx: {:?}",
        String::from_utf8_lossy(&head[..head.len().min(40)])
    );
    imapd.finish();
}
