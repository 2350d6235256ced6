//! The IMAP server side by side with Dovecot 2.3, on the same mailbox, in one run.
//!
//! `cargo bench -p pandad --bench imap_vs_dovecot [-- MESSAGES…]` (default: 10000 and
//! 100000) generates the shared benchmark mailbox (about 10 KB a message), gives each
//! server its own copy as the INBOX of a user, and times over loopback, first on a mailbox
//! the server has never opened (no cache, no index) and then warm:
//!
//! LOGIN+SELECT, FETCH 1:* FLAGS, FETCH 1:* ENVELOPE, FETCH 1:* BODYSTRUCTURE,
//! UID SEARCH TEXT, UID SEARCH CHARSET UTF-8 TEXT and CHARSET KOI8-R TEXT for a Russian
//! word (which one message in ten and a half has, in UTF-8 or in base64 KOI8-R: both
//! servers must find the same ones), and 100 random UID FETCH BODY.PEEK[] (one round trip
//! each); then a POP3 session that RETRs every message.
//!
//! It prints each server's times, the ratios (Dovecot's time over ours: above 1 means we
//! are faster), each server's peak memory, and then the memory 10,000 idle connections
//! cost our daemon.
//!
//! Everything runs inside a new network namespace with only loopback up (`unshare -n`),
//! so neither server nor client can reach the network. It needs root (for the namespace,
//! and to install Debian's `dovecot-imapd` and `dovecot-pop3d` when missing); without root it says so and
//! stops.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "benchpw";
const OURS_PORT: u16 = 14143;
const DOVECOT_PORT: u16 = 14144;
const OURS_POP3_PORT: u16 = 14110;
const DOVECOT_POP3_PORT: u16 = 14111;
/// The unprivileged account Dovecot's sessions run as.
const MAIL_USER: &str = "pandabench";

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    if !nix::unistd::geteuid().is_root() {
        eprintln!("imap_vs_dovecot: needs root (network namespace, Dovecot); skipped");
        return;
    }
    if std::env::var_os("PANDA_BENCH_NETNS").is_none() {
        ensure_dovecot();
        // Again, inside a namespace with only loopback.
        let exe = std::env::current_exe().unwrap();
        let status = Command::new("unshare")
            .arg("-n")
            .arg("sh")
            .arg("-c")
            .arg("ip link set lo up && exec \"$0\" \"$@\"")
            .arg(exe)
            .args(std::env::args().skip(1))
            .env("PANDA_BENCH_NETNS", "1")
            .status()
            .expect("unshare");
        std::process::exit(status.code().unwrap_or(1));
    }
    raise_fd_limit();
    let uid = mail_user();
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("imap-bench");
    fs::create_dir_all(&root).unwrap();
    for n in sizes {
        run_size(&root, n, uid);
    }
    idle_connections(&root);
}

/// One mailbox size: both servers, first open and warm.
fn run_size(root: &Path, n: usize, uid: (u32, u32)) {
    let mbox = root.join(format!("mbox-{n}"));
    benchdata::write_mbox(&mbox, n).unwrap();
    let size = fs::metadata(&mbox).unwrap().len();
    println!(
        "\n== {n} messages, {:.2} GiB ==",
        size as f64 / f64::from(1u32 << 30)
    );
    let needle = format!("number {} ", n * 7 / 10);

    // Ours.
    let ours_dir = root.join(format!("ours-{n}"));
    let _ = fs::remove_dir_all(&ours_dir);
    fs::create_dir_all(ours_dir.join("mail/bench")).unwrap();
    copy(&mbox, &ours_dir.join("mail/bench/INBOX"));
    let hash = sysuser::crypt::hash(PASSWORD.as_bytes(), "$6$").unwrap();
    fs::write(ours_dir.join("users"), format!("bench:{hash}\n")).unwrap();
    fs::write(
        ours_dir.join("panda.toml"),
        format!(
            "hostname = \"bench\"\ndata_dir = \".\"\nusers = \"users\"\nplaintext = \"always\"\n[[listen]]\naddress = \"127.0.0.1:{OURS_PORT}\"\nprotocol = \"imap\"\n[[listen]]\naddress = \"127.0.0.1:{OURS_POP3_PORT}\"\nprotocol = \"pop3\"\n"
        ),
    )
    .unwrap();
    let mut ours = Command::new(env!("CARGO_BIN_EXE_pandad"))
        .arg("--config")
        .arg(ours_dir.join("panda.toml"))
        .args(["--log", "stderr"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_port(OURS_PORT);
    let pid = ours.id();
    let ours_rss_fn = move || peak_rss(&[pid]);
    let (ours_first, _) = session(OURS_PORT, n, &needle, &ours_rss_fn);
    let (ours_warm, ours_rss) = session(OURS_PORT, n, &needle, &ours_rss_fn);
    let ours_pop = pop3_retr_all(OURS_POP3_PORT, n);
    stop(&mut ours);

    if std::env::var_os("PANDA_BENCH_OURS_ONLY").is_some() {
        for (i, op) in OPS.iter().enumerate() {
            println!("{op:<34} {:>10.3} {:>10.3}", ours_first[i], ours_warm[i]);
        }
        println!("{:<34} {:>10.3}", "POP3 RETR of every message", ours_pop.0);
        println!("peak RSS: ours {:.1} MB", ours_rss as f64 / 1024.0);
        return;
    }

    // Dovecot.
    let dc = root.join(format!("dovecot-{n}"));
    let _ = fs::remove_dir_all(&dc);
    for d in ["run", "state", "home/bench/mail"] {
        fs::create_dir_all(dc.join(d)).unwrap();
    }
    copy(&mbox, &dc.join("home/bench/mail/INBOX"));
    chown_tree(&dc.join("home"), uid);
    fs::write(dc.join("users"), format!("bench:{{PLAIN}}{PASSWORD}\n")).unwrap();
    fs::write(dc.join("dovecot.conf"), dovecot_conf(&dc)).unwrap();
    let mut dovecot = Command::new("/usr/sbin/dovecot")
        .arg("-F")
        .arg("-c")
        .arg(dc.join("dovecot.conf"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_port(DOVECOT_PORT);
    let dc_rss_fn = || peak_rss(&pids_named("imap"));
    let (dc_first, dc_rss1) = session(DOVECOT_PORT, n, &needle, &dc_rss_fn);
    let (dc_warm, dc_rss2) = session(DOVECOT_PORT, n, &needle, &dc_rss_fn);
    let dc_pop = pop3_retr_all(DOVECOT_POP3_PORT, n);
    let dc_rss = dc_rss1.max(dc_rss2);
    stop(&mut dovecot);

    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "operation", "ours 1st", "ours warm", "dc 1st", "dc warm", "1st x", "warm x"
    );
    for (i, op) in OPS.iter().enumerate() {
        let (o1, o2, d1, d2) = (ours_first[i], ours_warm[i], dc_first[i], dc_warm[i]);
        println!(
            "{:<34} {:>10.3} {:>10.3} {:>10.3} {:>10.3} {:>8.2} {:>8.2}",
            op,
            o1,
            o2,
            d1,
            d2,
            d1 / o1,
            d2 / o2
        );
    }
    println!(
        "POP3 RETR of every message: ours {:.3} s, Dovecot {:.3} s ({:.0} and {:.0} MB/s): {:.2}x",
        ours_pop.0,
        dc_pop.0,
        ours_pop.1 as f64 / ours_pop.0 / 1e6,
        dc_pop.1 as f64 / dc_pop.0 / 1e6,
        dc_pop.0 / ours_pop.0
    );
    println!(
        "peak RSS: ours {:.1} MB (the whole daemon), Dovecot {:.1} MB (its imap process)",
        ours_rss as f64 / 1024.0,
        dc_rss as f64 / 1024.0
    );
}

const OPS: [&str; 8] = [
    "LOGIN+SELECT",
    "FETCH 1:* FLAGS",
    "FETCH 1:* ENVELOPE",
    "FETCH 1:* BODYSTRUCTURE",
    "UID SEARCH TEXT",
    "UID SEARCH CHARSET UTF-8 TEXT",
    "UID SEARCH CHARSET KOI8-R TEXT",
    "100 random UID FETCH BODY.PEEK[]",
];

/// "ПРИВЕТ" (upper case; the mail has it in lower case) in UTF-8 and in KOI8-R.
const RUSSIAN_UTF8: &str = "ПРИВЕТ";
const RUSSIAN_KOI8R: &[u8] = b"\xf0\xf2\xe9\xf7\xe5\xf4";

/// One session: the operations' times in seconds, and the server's peak memory (KiB) as
/// `rss` reads it before the session ends.
fn session(port: u16, n: usize, needle: &str, rss: &dyn Fn() -> u64) -> ([f64; 8], u64) {
    let mut c = Client::connect(port);
    let mut t = [0.0; 8];
    let start = Instant::now();
    c.command(&format!("LOGIN bench {PASSWORD}"));
    c.command("SELECT INBOX");
    t[0] = start.elapsed().as_secs_f64();
    for (i, cmd) in [
        "FETCH 1:* (FLAGS)",
        "FETCH 1:* (ENVELOPE)",
        "FETCH 1:* (BODYSTRUCTURE)",
        &format!("UID SEARCH TEXT \"{needle}\""),
    ]
    .iter()
    .enumerate()
    {
        let s = Instant::now();
        let bytes = c.command(cmd);
        t[i + 1] = s.elapsed().as_secs_f64();
        assert!(bytes > 0);
    }
    let russian: Vec<u32> = (0..n)
        .filter(|&i| benchdata::is_russian(i))
        .map(|i| i as u32 + 1)
        .collect();
    for (i, (charset, word)) in [
        ("UTF-8", RUSSIAN_UTF8.as_bytes()),
        ("KOI8-R", RUSSIAN_KOI8R),
    ]
    .into_iter()
    .enumerate()
    {
        let mut cmd =
            format!("UID SEARCH CHARSET {charset} TEXT {{{}+}}\r\n", word.len()).into_bytes();
        cmd.extend_from_slice(word);
        let s = Instant::now();
        let answer = c.command_answer(&cmd);
        t[i + 5] = s.elapsed().as_secs_f64();
        assert_eq!(
            search_uids(&answer),
            russian,
            "port {port}: SEARCH CHARSET {charset} did not find the Russian messages"
        );
    }
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let s = Instant::now();
    for _ in 0..100 {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        let uid = 1 + rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64;
        c.command(&format!("UID FETCH {uid} (BODY.PEEK[])"));
    }
    t[7] = s.elapsed().as_secs_f64();
    let peak = rss();
    c.command("LOGOUT");
    (t, peak)
}

/// A POP3 session that RETRs every message: seconds and bytes.
fn pop3_retr_all(port: u16, n: usize) -> (f64, usize) {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    let mut r = BufReader::with_capacity(1 << 20, s.try_clone().unwrap());
    let mut w = s;
    let mut line = String::new();
    let mut status = |r: &mut BufReader<TcpStream>, w: &mut TcpStream, cmd: &str| {
        if !cmd.is_empty() {
            w.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        }
        line.clear();
        r.read_line(&mut line).unwrap();
        assert!(line.starts_with("+OK"), "{cmd}: {line}");
    };
    status(&mut r, &mut w, "");
    status(&mut r, &mut w, "USER bench");
    status(&mut r, &mut w, &format!("PASS {PASSWORD}"));
    let start = Instant::now();
    let mut bytes = 0;
    let mut buf = Vec::new();
    for i in 1..=n {
        w.write_all(format!("RETR {i}\r\n").as_bytes()).unwrap();
        buf.clear();
        r.read_until(b'\n', &mut buf).unwrap();
        assert!(buf.starts_with(b"+OK"), "RETR {i}");
        loop {
            buf.clear();
            r.read_until(b'\n', &mut buf).unwrap();
            bytes += buf.len();
            if buf == b".\r\n" || buf.is_empty() {
                break;
            }
        }
    }
    let t = start.elapsed().as_secs_f64();
    w.write_all(b"RSET\r\nQUIT\r\n").unwrap();
    (t, bytes)
}

/// A minimal IMAP client: sends a command, reads to its tagged answer.
struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
    tag: u32,
}

impl Client {
    fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_nodelay(true).unwrap();
        let mut c = Client {
            r: BufReader::with_capacity(1 << 20, s.try_clone().unwrap()),
            w: s,
            tag: 0,
        };
        let mut greeting = String::new();
        c.r.read_line(&mut greeting).unwrap();
        assert!(greeting.starts_with("* OK"), "{greeting}");
        c
    }

    /// Runs `cmd`; the bytes of the answer. Panics unless it is OK.
    fn command(&mut self, cmd: &str) -> usize {
        self.run(cmd.as_bytes(), None)
    }

    /// Runs `cmd`; the untagged lines of the answer (literals left out). Panics unless it
    /// is OK.
    fn command_answer(&mut self, cmd: &[u8]) -> Vec<u8> {
        let mut lines = Vec::new();
        self.run(cmd, Some(&mut lines));
        lines
    }

    fn run(&mut self, cmd: &[u8], mut keep: Option<&mut Vec<u8>>) -> usize {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        let mut out = format!("{tag} ").into_bytes();
        out.extend_from_slice(cmd);
        out.extend_from_slice(b"\r\n");
        self.w.write_all(&out).unwrap();
        let mut total = 0;
        let mut line = Vec::new();
        loop {
            line.clear();
            self.r.read_until(b'\n', &mut line).unwrap();
            let shown = String::from_utf8_lossy(cmd);
            assert!(!line.is_empty(), "connection closed during {shown}");
            total += line.len();
            if let Some(n) = literal_size(&line) {
                let mut buf = vec![0u8; n];
                self.r.read_exact(&mut buf).unwrap();
                total += n;
                continue;
            }
            if line.starts_with(tag.as_bytes()) && line.get(tag.len()) == Some(&b' ') {
                let text = String::from_utf8_lossy(&line);
                assert!(text[tag.len()..].starts_with(" OK"), "{shown}: {text}");
                return total;
            }
            if let Some(k) = keep.as_deref_mut() {
                k.extend_from_slice(&line);
            }
        }
    }
}

/// The UIDs of the `* SEARCH` lines in `answer`, in order.
fn search_uids(answer: &[u8]) -> Vec<u32> {
    let mut uids: Vec<u32> = String::from_utf8_lossy(answer)
        .lines()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace().map(|u| u.parse::<u32>().unwrap()))
        .collect();
    uids.sort_unstable();
    uids
}

fn literal_size(line: &[u8]) -> Option<usize> {
    let l = line.strip_suffix(b"\r\n")?;
    let l = l.strip_suffix(b"}")?;
    let open = l.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&l[open + 1..]).ok()?.parse().ok()
}

fn dovecot_conf(dc: &Path) -> String {
    let d = dc.display();
    format!(
        "protocols = imap pop3\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\n\
         log_path = {d}/log\nssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain\n\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {d}/users\n}}\n\
         userdb {{\n  driver = static\n  args = uid={MAIL_USER} gid={MAIL_USER} home={d}/home/%u\n}}\n\
         mail_location = mbox:~/mail:INBOX=~/mail/INBOX:INDEX=~/index\n\
         mbox_write_locks = fcntl\n\
         service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {DOVECOT_PORT}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
         service pop3-login {{\n  inet_listener pop3 {{\n    address = 127.0.0.1\n    port = {DOVECOT_POP3_PORT}\n  }}\n  inet_listener pop3s {{\n    port = 0\n  }}\n}}\n"
    )
}

fn ensure_dovecot() {
    if Path::new("/usr/sbin/dovecot").exists() && Path::new("/usr/lib/dovecot/pop3").exists() {
        return;
    }
    eprintln!("imap_vs_dovecot: installing dovecot-imapd and dovecot-pop3d");
    // The package must not start its service (on the machine's own ports, outside the
    // namespace): policy-rc.d says no while it installs.
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let ours = !policy.exists();
    if ours {
        fs::write(policy, "#!/bin/sh\nexit 101\n").unwrap();
        let _ = Command::new("chmod").arg("755").arg(policy).status();
    }
    let _ = Command::new("apt-get")
        .args(["update", "-qq"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "dovecot-imapd", "dovecot-pop3d"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .expect("apt-get");
    if ours {
        let _ = fs::remove_file(policy);
    }
    assert!(
        status.success(),
        "cannot install dovecot-imapd and dovecot-pop3d"
    );
}

fn mail_user() -> (u32, u32) {
    if nix::unistd::User::from_name(MAIL_USER)
        .ok()
        .flatten()
        .is_none()
    {
        let s = Command::new("useradd")
            .args(["-M", "-s", "/usr/sbin/nologin", MAIL_USER])
            .status()
            .unwrap();
        assert!(s.success(), "useradd {MAIL_USER}");
    }
    let u = nix::unistd::User::from_name(MAIL_USER).unwrap().unwrap();
    (u.uid.as_raw(), u.gid.as_raw())
}

fn chown_tree(p: &Path, (uid, gid): (u32, u32)) {
    let s = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{gid}"))
        .arg(p)
        .status()
        .unwrap();
    assert!(s.success());
}

fn copy(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap();
}

fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
}

/// The largest peak RSS (KiB) among `pids`.
fn peak_rss(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .max()
        .unwrap_or(0)
}

fn rss(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn pids_named(name: &str) -> Vec<u32> {
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == name))
        .collect()
}

fn raise_fd_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(
            Resource::RLIMIT_NOFILE,
            hard.min(1 << 20),
            hard.min(1 << 20),
        );
    }
}

/// 10,000 connections to our daemon, each greeted and then idle: what they cost.
fn idle_connections(root: &Path) {
    const N: usize = 10_000;
    let dir = root.join("idle");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let hash = sysuser::crypt::hash(PASSWORD.as_bytes(), "$6$").unwrap();
    fs::write(dir.join("users"), format!("bench:{hash}\n")).unwrap();
    fs::write(
        dir.join("panda.toml"),
        format!(
            "hostname = \"bench\"\ndata_dir = \".\"\nusers = \"users\"\nplaintext = \"always\"\n[[listen]]\naddress = \"127.0.0.1:{OURS_PORT}\"\nprotocol = \"imap\"\n"
        ),
    )
    .unwrap();
    let mut ours = Command::new(env!("CARGO_BIN_EXE_pandad"))
        .arg("--config")
        .arg(dir.join("panda.toml"))
        .args(["--log", "stderr"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_port(OURS_PORT);
    std::thread::sleep(Duration::from_millis(200));
    let before = rss(ours.id());
    let mut conns = Vec::with_capacity(N);
    for _ in 0..N {
        let s = TcpStream::connect(("127.0.0.1", OURS_PORT)).unwrap();
        let mut r = BufReader::new(s);
        let mut g = String::new();
        r.read_line(&mut g).unwrap();
        assert!(g.starts_with("* OK"));
        conns.push(r);
    }
    std::thread::sleep(Duration::from_millis(500));
    let after = rss(ours.id());
    println!(
        "\n{N} idle connections: daemon RSS {:.1} MB -> {:.1} MB, {:.1} KiB per connection (goal: at most 64)",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / N as f64
    );
    drop(conns);
    stop(&mut ours);
}
