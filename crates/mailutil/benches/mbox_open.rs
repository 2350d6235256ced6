//! Opening a large UNIX mailbox, ours side by side with UW c-client, in one run.
//!
//! `cargo bench -p mailutil --bench mbox_open [-- MESSAGES]` generates a mailbox of
//! 100,000 messages (about 1 GiB; the generator is below), then measures, each as its own
//! process run as the test account, with wall time and peak RSS:
//!
//! - `mailutil check` (open and count) of the mailbox with UW headers, warm and cold
//!   (page cache dropped first, when this machine allows it);
//! - the first read-write open of the same mailbox as a delivery agent wrote it (no UW
//!   headers): c-client rewrites the whole file to add them (UW's `mailutil prune` with
//!   criteria matching nothing is its cheapest read-write open and close); ours the same
//!   through the store.
//!
//! It prints a table and the ratios. It needs root (to run UW's tools as a test account);
//! without UW's `mailutil` it measures ours alone.
//!
//! `-- --copy-only [MESSAGES]` measures only `mailutil copy` of the generated mailbox into
//! a new mix and a new mbx mailbox, ours and UW's, once each (UW's copy is quadratic in
//! the number of messages: minutes at 100,000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--role-open-rw") {
        open_rw(&args[i + 1]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--role-read-all") {
        read_all(&args[i + 1]);
        return;
    }
    let messages: usize = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    if !nix::unistd::geteuid().is_root() {
        eprintln!("mbox_open: needs root (runs UW's mailutil as a test account); skipped");
        return;
    }
    let uw_here = Path::new(common::UW_MAILUTIL).exists();
    let (dir, rel) = bench_dir();
    let raw = dir.join("raw");
    generate(&raw, messages);
    let size = fs::metadata(&raw).unwrap().len();
    println!(
        "mailbox: {messages} messages, {:.2} GiB",
        size as f64 / f64::from(1u32 << 30)
    );
    let exe = common::runnable(&std::env::current_exe().unwrap());
    let ours_bin = common::ours();
    if args.iter().any(|a| a == "--copy-only") {
        copy_rows(&dir, &rel, uw_here, &ours_bin);
        return;
    }

    // First read-write open of a mailbox without UW headers.
    let mut table = Vec::new();
    let ours_rw = dir.join("ours-rw");
    copy(&raw, &ours_rw);
    let ours_first = measure(&exe, &["--role-open-rw", &format!("{rel}/ours-rw")], false);
    table.push((
        "first read-write open (adds UW headers)",
        "ours",
        ours_first,
    ));
    if uw_here {
        let uw_rw = dir.join("uw-rw");
        copy(&raw, &uw_rw);
        let uw_first = measure(
            common::UW_MAILUTIL,
            &[
                "prune",
                &format!("{rel}/uw-rw"),
                "SUBJECT no-such-subject-zzz",
            ],
            false,
        );
        table.push(("first read-write open (adds UW headers)", "UW", uw_first));
        let _ = fs::remove_file(&uw_rw);
    }

    // mailutil check of the mailbox with headers, warm then cold. Ours keeps a cache of
    // what an unchanged mailbox holds (written by the open above); the first open of a
    // mailbox, with no cache, reads the whole file, which the "no cache" rows measure.
    let name = format!("{rel}/ours-rw");
    let cache = common::home().join(".cache/panda-imap");
    for (label, cold, cached) in [
        ("check, warm", false, true),
        ("check, cold", true, true),
        ("check, warm, no cache", false, false),
        ("check, cold, no cache", true, false),
    ] {
        if cold && !can_drop_caches() {
            println!("(cold runs skipped: cannot drop the page cache here)");
            continue;
        }
        let runs = if cold { 1 } else { 3 };
        let ours_run = || {
            if !cached {
                let _ = fs::remove_dir_all(&cache);
            }
            measure(&ours_bin, &["check", &name], cold)
        };
        if !cold {
            ours_run();
        }
        table.push((label, "ours", best_of(runs, ours_run)));
        if uw_here && cached {
            table.push((
                label,
                "UW",
                best_of(runs, || {
                    measure(common::UW_MAILUTIL, &["check", &name], cold)
                }),
            ));
        }
    }

    // The same mail in mix and mbx, made by our mailutil's copy: opened (check) and
    // fully read, ours and UW's. UW has no command that only reads every message; its
    // cheapest is a prune whose TEXT criterion matches nothing (a search of every
    // message's text, read-write).
    for format in ["mix", "mbx"] {
        let target = format!("{rel}/bench-{format}");
        let _ = fs::remove_dir_all(dir.join(format!("bench-{format}")));
        let _ = fs::remove_file(dir.join(format!("bench-{format}")));
        let made = measure(
            &ours_bin,
            &["copy", &name, &format!("#driver.{format}/{target}")],
            false,
        );
        table.push((
            leak(format!("{format}: copy of the mailbox into it")),
            "ours",
            made,
        ));
        let check = |who: &str| -> Run {
            let program = if who == "UW" {
                common::UW_MAILUTIL
            } else {
                ours_bin.as_str()
            };
            measure(program, &["check", &target], false);
            best_of(3, || measure(program, &["check", &target], false))
        };
        table.push((
            leak(format!("{format}: check, warm")),
            "ours",
            check("ours"),
        ));
        table.push((
            leak(format!("{format}: read every message, warm")),
            "ours",
            best_of(3, || measure(&exe, &["--role-read-all", &target], false)),
        ));
        if uw_here {
            table.push((leak(format!("{format}: check, warm")), "UW", check("UW")));
            table.push((
                leak(format!("{format}: read every message, warm")),
                "UW",
                measure(
                    common::UW_MAILUTIL,
                    &["prune", &target, "TEXT no-such-text-zzz"],
                    false,
                ),
            ));
        }
    }

    println!();
    println!(
        "{:<42} {:>5} {:>10} {:>10}",
        "operation", "who", "seconds", "peak RSS"
    );
    for (op, who, m) in &table {
        println!(
            "{:<42} {:>5} {:>10.3} {:>8.1} MB",
            op,
            who,
            m.wall.as_secs_f64(),
            m.rss_kib as f64 / 1024.0
        );
    }
    println!();
    let get = |op: &str, who: &str| {
        table
            .iter()
            .find(|(o, w, _)| *o == op && *w == who)
            .map(|t| t.2)
    };
    for (op, uw_op) in [
        (
            "first read-write open (adds UW headers)",
            "first read-write open (adds UW headers)",
        ),
        ("check, warm", "check, warm"),
        ("check, cold", "check, cold"),
        ("check, warm, no cache", "check, warm"),
        ("check, cold, no cache", "check, cold"),
        ("mix: check, warm", "mix: check, warm"),
        (
            "mix: read every message, warm",
            "mix: read every message, warm",
        ),
        ("mix: read every message, warm", "mix: check, warm"),
        ("mbx: check, warm", "mbx: check, warm"),
        (
            "mbx: read every message, warm",
            "mbx: read every message, warm",
        ),
        ("mbx: read every message, warm", "mbx: check, warm"),
    ] {
        if let (Some(o), Some(u)) = (get(op, "ours"), get(uw_op, "UW")) {
            println!(
                "{op} (UW: {uw_op}): ours is {:.1}x faster, with {:.2}x UW's peak memory",
                u.wall.as_secs_f64() / o.wall.as_secs_f64(),
                o.rss_kib as f64 / u.rss_kib as f64
            );
        }
    }
    let _ = fs::remove_file(&ours_rw);
}

/// `mailutil copy` of the generated mailbox into new mix and mbx mailboxes, ours and UW's.
fn copy_rows(dir: &Path, rel: &str, uw_here: bool, ours_bin: &str) {
    let mut whos = vec![("ours", ours_bin)];
    if uw_here {
        whos.push(("UW", common::UW_MAILUTIL));
    }
    println!();
    println!(
        "{:<42} {:>5} {:>10} {:>10}",
        "operation", "who", "seconds", "peak RSS"
    );
    for format in ["mix", "mbx"] {
        let mut times = Vec::new();
        for (who, program) in &whos {
            let target = format!("copy-{who}-{format}");
            let clear = || {
                let _ = fs::remove_dir_all(dir.join(&target));
                let _ = fs::remove_file(dir.join(&target));
            };
            clear();
            let m = measure(
                program,
                &[
                    "copy",
                    &format!("{rel}/raw"),
                    &format!("#driver.{format}/{rel}/{target}"),
                ],
                false,
            );
            // What the copy made, as our mailutil counts it.
            let made = common::as_user(ours_bin, &["check", &format!("{rel}/{target}")]);
            print!("{who} {format}: {}", String::from_utf8_lossy(&made.stdout));
            clear();
            println!(
                "{:<42} {:>5} {:>10.3} {:>8.1} MB",
                format!("copy to {format}"),
                who,
                m.wall.as_secs_f64(),
                m.rss_kib as f64 / 1024.0
            );
            times.push(m.wall.as_secs_f64());
        }
        if let [ours, uw] = times[..] {
            println!("copy to {format}: ours is {:.1}x faster", uw / ours);
        }
    }
}

/// One measured run.
#[derive(Clone, Copy, Debug)]
struct Run {
    wall: Duration,
    rss_kib: u64,
}

fn best_of(n: usize, mut f: impl FnMut() -> Run) -> Run {
    (0..n)
        .map(|_| f())
        .min_by(|a, b| a.wall.cmp(&b.wall))
        .unwrap()
}

/// Runs `program args` as the test account under GNU time; cold drops the page cache first.
fn measure(program: &str, args: &[&str], cold: bool) -> Run {
    if cold {
        drop_caches();
    }
    let timed: Vec<&str> = ["-f", "TIME %e %M", program]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let out = common::user_command("/usr/bin/time", &timed)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .rev()
        .find(|l| l.starts_with("TIME "))
        .unwrap_or_else(|| panic!("{program} {args:?}: no timing: {err}"));
    let mut it = line.split_whitespace().skip(1);
    let secs: f64 = it.next().unwrap().parse().unwrap();
    let rss: u64 = it.next().unwrap().parse().unwrap();
    Run {
        wall: Duration::from_secs_f64(secs),
        rss_kib: rss,
    }
}

fn can_drop_caches() -> bool {
    fs::OpenOptions::new()
        .write(true)
        .open("/proc/sys/vm/drop_caches")
        .is_ok()
}

fn drop_caches() {
    let _ = Command::new("sync").status();
    let _ = fs::write("/proc/sys/vm/drop_caches", "3\n");
}

/// The bench directory under the test account's home (kept between runs: the generated
/// mailbox is reused when it is already there).
fn bench_dir() -> (std::path::PathBuf, String) {
    let rel = "bench".to_owned();
    let dir = common::home().join(&rel);
    fs::create_dir_all(&dir).unwrap();
    common::give(&dir);
    (dir, rel)
}

fn copy(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap();
    common::give(to);
    let _ = Command::new("sync").status();
}

/// Writes `n` messages as a delivery agent would (the shared benchmark mailbox), owned
/// by the test account.
fn generate(path: &Path, n: usize) {
    if benchdata::write_mbox(path, n).unwrap() {
        common::give(path);
    }
}

/// A label made at run time, for the table of static labels.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The bench's own process for reading a whole mailbox: open read-only, fetch every
/// message whole.
fn read_all(name: &str) {
    let store = common::account_store();
    let mut mb = store.open(name, mailstore::Access::ReadOnly).unwrap();
    let mut bytes = 0usize;
    for i in 1..=mb.messages().len() as u32 {
        bytes += mb
            .fetch(common::seq(i), mailstore::Part::Whole)
            .unwrap()
            .len();
    }
    assert!(bytes > 0 || mb.messages().is_empty());
    mb.close(mailstore::Close::Keep).unwrap();
}

/// The bench's own process for our read-write open: open, close (which writes the UW
/// headers), report nothing.
fn open_rw(name: &str) {
    let store = common::account_store();
    let mb = store.open(name, mailstore::Access::ReadWrite).unwrap();
    assert_eq!(mb.access(), mailstore::Access::ReadWrite);
    mb.close(mailstore::Close::Keep).unwrap();
}
