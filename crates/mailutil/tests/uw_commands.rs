//! Every `mailutil` subcommand against UW's (Debian's `uw-mailutils`) on the same inputs:
//! each case is set up twice in the same directory, run once by UW's mailutil and once by
//! ours (as the test account), and must leave the same mailboxes (format, messages, flags,
//! keywords, internal dates, text) and the same files, print the same lines on standard
//! output and standard error (the program's path aside), and exit with the same status.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use mailstore::{Flags, Format};

/// What one message of a mailbox is, as our store reads it (UIDs and \Recent aside: they
/// belong to the mailbox's history, not to what was copied).
#[derive(Debug, PartialEq, Eq)]
struct Message {
    flags: Flags,
    keywords: Vec<String>,
    date: (i64, i32),
    text: Vec<u8>,
}

/// A node under the work directory: its path, and for a mailbox its format and
/// messages.
type Node = (String, Option<(Format, Vec<Message>)>);

/// What a run left behind.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    status: Option<i32>,
    stdout: Vec<String>,
    stderr: Vec<String>,
    /// Every node under the work directory.
    tree: Vec<Node>,
}

/// Whether output lines are compared in order, or as sets (`transfer` lists a directory
/// in the order the file system gives, which differs between the two).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    AsPrinted,
    Sorted,
}

/// The nodes under `dir` (named `rel` from the home), with the mailboxes read.
fn tree(dir: &Path, rel: &str) -> Vec<Node> {
    let store = store();
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), rel.to_owned())];
    while let Some((path, name)) = stack.pop() {
        let mut entries: Vec<_> = fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        entries.sort();
        for e in entries {
            let p = path.join(&e);
            let n = format!("{name}/{e}");
            let format = store.format_of(&n).ok().flatten();
            match format {
                Some(Format::Dummy) | None if p.is_dir() => {
                    out.push((format!("{n}/"), None));
                    stack.push((p, n));
                }
                Some(f) if f != Format::Dummy => {
                    let (_, seen) = read_ours(&n);
                    let messages = seen
                        .into_iter()
                        .map(|s| Message {
                            flags: s.flags,
                            keywords: s.keywords.into_iter().collect(),
                            date: s.date,
                            text: s.text,
                        })
                        .collect();
                    out.push((n, Some((f, messages))));
                }
                _ => out.push((n, None)),
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Lines of `bytes`, with `program`'s path written `mailutil` and the version line
/// without its version.
fn lines(bytes: &[u8], program: &str, order: Order) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes).replace(program, "mailutil");
    let mut v: Vec<String> = text
        .lines()
        .map(|l| match l.strip_prefix("mailutil version ") {
            Some(_) => "mailutil version V".to_owned(),
            None => l.to_owned(),
        })
        .collect();
    if order == Order::Sorted {
        v.sort();
    }
    v
}

/// Sets up `test`'s work directory with `setup`, runs `program` with `args` (where `@`
/// stands for the work directory's name from the home) and `input` on standard input, and
/// returns what it left.
fn one(
    test: &str,
    program: &str,
    setup: &dyn Fn(&Path, &str),
    args: &[&str],
    input: &str,
    order: Order,
) -> Outcome {
    let (dir, rel) = workdir(test);
    setup(&dir, &rel);
    let args: Vec<String> = args.iter().map(|a| a.replace('@', &rel)).collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = user_command(program, &argv)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Outcome {
        status: out.status.code(),
        stdout: lines(&out.stdout, program, order),
        stderr: lines(&out.stderr, program, order),
        tree: tree(&dir, &rel),
    }
}

/// Runs `args` with UW's mailutil and with ours on the same set-up, and asserts that they
/// did the same; returns what UW's did.
fn same_as_uw(
    test: &str,
    setup: &dyn Fn(&Path, &str),
    args: &[&str],
    input: &str,
    order: Order,
) -> Outcome {
    let uw = one(test, UW_MAILUTIL, setup, args, input, order);
    let ours = one(test, &ours(), setup, args, input, order);
    assert_eq!(uw.status, ours.status, "{args:?}: exit status");
    assert_eq!(uw.stdout, ours.stdout, "{args:?}: standard output");
    assert_eq!(uw.stderr, ours.stderr, "{args:?}: standard error");
    let names = |o: &Outcome| o.tree.iter().map(|t| t.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&uw), names(&ours), "{args:?}: files left");
    for (u, o) in uw.tree.iter().zip(&ours.tree) {
        if let (Some((uf, um)), Some((of, om))) = (&u.1, &o.1) {
            assert_eq!(uf, of, "{args:?}: format of {}", u.0);
            let brief = |v: &[Message]| {
                v.iter()
                    .map(|m| (subject(&m.text), m.flags, m.keywords.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(brief(um), brief(om), "{args:?}: messages in {}", u.0);
            for (i, (a, b)) in um.iter().zip(om).enumerate() {
                let show = |m: &Message| {
                    let text = String::from_utf8_lossy(&m.text).into_owned();
                    (m.flags, m.keywords.clone(), m.date, text)
                };
                assert_eq!(show(a), show(b), "{args:?}: message {} of {}", i + 1, u.0);
            }
        }
        assert_eq!(u, o, "{args:?}: mailbox {}", u.0);
    }
    uw
}

/// A UNIX mailbox whose messages nobody has seen (\Recent for the next reader), with
/// various senders, subjects, dates and sizes.
fn fresh_box() -> String {
    let m = |from: &str, subject: &str, date: &str, body: &str, status: &str| {
        format!(
            "From {from} {date}\nFrom: {from}\nTo: bob@example.org\nCc: team@example.net\n\
             Subject: {subject}\nDate: {date}\n{status}\n{body}\n"
        )
    };
    [
        m(
            "alice@example.org",
            "hello world",
            "Mon Jan  3 10:00:00 2000",
            "first body\n",
            "",
        ),
        m(
            "carol@example.org",
            "Re: budget",
            "Tue Feb  1 10:00:00 2005",
            "second body, with banana\n",
            "Status: RO\nX-Status: D\n",
        ),
        m(
            "alice@example.org",
            "lunch",
            "Mon Mar  1 10:00:00 2010",
            &"padding line\n".repeat(200),
            "Status: O\nX-Status: F\n",
        ),
        m(
            "dave@example.org",
            "HELLO again",
            "Thu Apr  1 10:00:00 2021",
            "fourth\n",
            "Status: RO\nX-Status: AT\n",
        ),
    ]
    .concat()
}

/// The fixture (12 messages with keywords), a fresh mailbox `box`, a mailbox `dst`
/// that exists, an empty file `empty`, and a directory `dir`.
fn standard_setup(dir: &Path, _rel: &str) {
    write_fixture(dir, 12);
    put(&dir.join("box"), fresh_box());
    put(&dir.join("dst"), fresh_box());
    put(&dir.join("empty"), "");
    fs::create_dir(dir.join("dir")).unwrap();
    give(&dir.join("dir"));
}

#[test]
fn usage_and_command_line_errors_as_uw() {
    if !oracle_available("usage_and_command_line_errors_as_uw") {
        return;
    }
    let cases: &[&[&str]] = &[
        &[],
        &["nosuchcommand"],
        &["CHECK"],
        &["check", "a", "b"],
        &["check", "a", "b", "c"],
        &["check", "-rw"],
        &["check", "-ig"],
        &["-x", "check"],
        &["check", "-V"],
        &["-kw", "-ig", "copy", "a", "b"],
        &["-m", "bogus", "transfer", "a", "b"],
        &["-m", "suffix=", "transfer", "a", "b"],
        &["transfer", "-m"],
        &["copy", "-m", "append", "a", "b"],
        &["-u", "no-such-user-here", "check"],
        &["-u"],
        &["create"],
        &["create", "a", "b"],
        &["delete", "-kw", "a"],
        &["rename", "a"],
        &["copy", "a"],
        &["move"],
        &["append", "a"],
        &["appenddelete", "a"],
        &["prune", "@/box"],
        &["prune", "-rw", "@/box", "ALL"],
        &["transfer", "a"],
    ];
    for args in cases {
        same_as_uw("cmd-usage", &|_, _| {}, args, "", Order::AsPrinted);
    }
}

#[test]
fn check_create_delete_rename_as_uw() {
    if !oracle_available("check_create_delete_rename_as_uw") {
        return;
    }
    let cases: &[&[&str]] = &[
        &["check", "@/box"],
        &["check", "@/fixture"],
        &["check", "@/nosuch"],
        &["-v", "check", "@/dst"],
        &["create", "@/new"],
        &["create", "@/a/b/c"],
        &["create", "#driver.mix/@/newmix"],
        &["create", "#driver.mbx/@/newmbx"],
        &["create", "@/newdir/"],
        &["create", "@/dir/"],
        &["create", "@/dst"],
        &["delete", "@/dst"],
        &["delete", "@/nosuch"],
        &["delete", "@/dir"],
        &["rename", "@/dst", "@/renamed"],
        &["rename", "@/dst", "@/deep/er/renamed"],
        &["rename", "@/nosuch", "@/x"],
        &["rename", "@/dst", "@/box"],
        &["check", "--", "-dash"],
    ];
    for args in cases {
        same_as_uw("cmd-basic", &standard_setup, args, "", Order::AsPrinted);
    }
}

#[test]
fn copy_move_append_appenddelete_as_uw() {
    if !oracle_available("copy_move_append_appenddelete_as_uw") {
        return;
    }
    let cases: &[&[&str]] = &[
        &["copy", "@/fixture", "@/copy"],
        &["copy", "-kw", "@/fixture", "@/copy"],
        &["copy", "-ig", "@/fixture", "@/copy"],
        &["copy", "-rw", "@/box", "@/copy"],
        &["-v", "copy", "@/fixture", "@/copy"],
        &["copy", "@/fixture", "#driver.mix/@/mix"],
        &["copy", "-kw", "@/fixture", "#driver.mbx/@/mbx"],
        &["copy", "@/fixture", "@/new/deep/copy"],
        &["move", "@/fixture", "@/moved"],
        &["-v", "move", "@/box", "#driver.mix/@/mix"],
        &["append", "@/fixture", "@/dst"],
        &["append", "-ig", "@/box", "@/dst"],
        &["appenddelete", "@/box", "@/dst"],
        &["append", "-kw", "@/fixture", "@/dst"],
        &["appenddelete", "-ig", "@/fixture", "#driver.mix/@/dst"],
        &["copy", "-kw", "@/box", "@/copy"],
        &["copy", "--", "@/box", "@/copy"],
        &["-v", "copy", "@/empty", "@/copy"],
        &["-v", "append", "@/empty", "@/nosuch"],
        &["move", "@/empty", "#driver.mix/@/mix"],
        // Failures: no source, an existing destination, no destination to append to.
        &["copy", "@/nosuch", "@/copy"],
        &["copy", "@/fixture", "@/dst"],
        &["move", "@/fixture", "@/dst"],
        &["copy", "@/fixture", "@/dir/"],
        &["append", "@/fixture", "@/nosuch"],
        &["-v", "append", "@/fixture", "@/nosuch"],
        &["appenddelete", "@/nosuch", "@/dst"],
    ];
    for args in cases {
        same_as_uw("cmd-copy", &standard_setup, args, "", Order::AsPrinted);
    }
}

#[test]
fn copy_of_many_messages_prints_no_progress_without_a_terminal() {
    if !oracle_available("copy_of_many_messages_prints_no_progress_without_a_terminal") {
        return;
    }
    // Enough messages for the progress bar, which must stay hidden: standard error is a
    // pipe here.
    let setup = |dir: &Path, _: &str| {
        write_fixture(dir, 700);
    };
    let uw = same_as_uw(
        "cmd-many",
        &setup,
        &["copy", "-kw", "@/fixture", "#driver.mix/@/mix"],
        "",
        Order::AsPrinted,
    );
    assert!(uw.stderr.is_empty(), "{:?}", uw.stderr);
    let copied = uw.tree.iter().find(|t| t.0.ends_with("/mix")).unwrap();
    assert_eq!(copied.1.as_ref().unwrap().1.len(), 700);
}

#[test]
fn prune_criteria_as_uw() {
    if !oracle_available("prune_criteria_as_uw") {
        return;
    }
    let criteria = [
        "SUBJECT hello",
        "subject prune-me",
        "FROM alice",
        "FROM \"Sender 3\"",
        "TO rcpt",
        "CC team",
        "BEFORE 1-Jan-2006",
        "SINCE 2005-02-01",
        "ON 1-Mar-2010",
        "BEFORE 2-Dec-1992",
        "BEFORE 1/1/2006",
        "SINCE 02-february-05",
        "ON 31-Apr-2000",
        "BEFORE 1-Jan-1969",
        "BEFORE 13/1/2000",
        "SINCE 2-Dec-1992",
        "DELETED",
        "UNDELETED",
        "SEEN",
        "UNSEEN",
        "FLAGGED UNANSWERED",
        "ANSWERED",
        "DRAFT",
        "UNDRAFT SEEN",
        "NEW",
        "OLD",
        "RECENT",
        "SENTBEFORE 1-Jan-2006",
        "SENTSINCE 2-Dec-1992",
        "SENTON 1-Apr-2021",
        "LARGER 1000",
        "SMALLER 400",
        "BODY banana",
        "BODY \"attached text\"",
        "TEXT example.org",
        "KEYWORD Junk",
        "UNKEYWORD Junk",
        "KEYWORD NoSuchKeyword",
        "FROM alice SUBJECT lunch",
        "SEEN FLAGGED LARGER 100",
        "ALL",
        "",
        "SUBJECT no-such-subject",
        // What c-client refuses.
        "OR SEEN DELETED",
        "NOT SEEN",
        "SUBJECT",
        "LARGER ten",
        "SINCE 32-Jan-2000",
        "UID 1",
        "HEADER Subject x",
        "SENTBEFORE 2000",
    ];
    for c in criteria {
        for mailbox in ["@/box", "@/fixture"] {
            same_as_uw(
                "cmd-prune",
                &standard_setup,
                &["prune", mailbox, c],
                "",
                Order::AsPrinted,
            );
        }
    }
    for verbose in [
        ["-v", "prune", "@/fixture", "SUBJECT prune-me"],
        ["-v", "prune", "@/box", "SUBJECT nothing"],
    ] {
        same_as_uw("cmd-prune", &standard_setup, &verbose, "", Order::AsPrinted);
    }
    same_as_uw(
        "cmd-prune",
        &standard_setup,
        &["prune", "@/nosuch", "ALL"],
        "",
        Order::AsPrinted,
    );
}

/// A small hierarchy: `src/` holds a UNIX mailbox, a mix and an mbx mailbox made by UW,
/// and a folder of its own with more; `dest/` already has one of the names.
fn hierarchy_setup(dir: &Path, rel: &str) {
    write_fixture(dir, 6);
    let src = dir.join("src");
    fs::create_dir_all(src.join("sub/deeper")).unwrap();
    for d in [src.clone(), src.join("sub"), src.join("sub/deeper")] {
        give(&d);
    }
    put(&src.join("plain"), fresh_box());
    put(&src.join("sub/deeper/note"), fresh_box());
    uw(&[
        "copy",
        &format!("{rel}/fixture"),
        &format!("#driver.mix/{rel}/src/sub/mixed"),
    ]);
    uw(&[
        "copy",
        "-kw",
        &format!("{rel}/fixture"),
        &format!("#driver.mbx/{rel}/src/boxed"),
    ]);
    fs::remove_file(dir.join("fixture")).unwrap();
    // The destination already has the copy of `plain` (dest/ + full name).
    let taken = dir.join("dest").join(rel).join("src");
    fs::create_dir_all(&taken).unwrap();
    let mut d = dir.join("dest");
    give(&d);
    for part in Path::new(rel).join("src").components() {
        d = d.join(part);
        give(&d);
    }
    put(&taken.join("plain"), fresh_box());
}

#[test]
fn transfer_of_a_hierarchy_as_uw() {
    if !oracle_available("transfer_of_a_hierarchy_as_uw") {
        return;
    }
    let cases: &[(&[&str], &str)] = &[
        (&["transfer", "@/src", "@/fresh/"], ""),
        (&["-v", "transfer", "@/src/", "#driver.mix/@/mixcopy/"], ""),
        (&["transfer", "-kw", "@/src/", "#driver.mbx/@/mbxcopy/"], ""),
        // dest/…/plain exists: without -merge the transfer stops there.
        (&["transfer", "@/src/pl", "@/dest/"], ""),
        (&["transfer", "-m", "append", "@/src/", "@/dest/"], ""),
        (
            &[
                "-v",
                "transfer",
                "-merge",
                "suffix=.old",
                "@/src/",
                "@/dest/",
            ],
            "",
        ),
        (
            &["transfer", "-m", "prompt", "@/src/", "@/dest/"],
            "@/dest/other\n",
        ),
        (&["transfer", "@/nosuch", "@/fresh/"], ""),
    ];
    for (args, input) in cases {
        let uw_input = input.replace('@', &workdir_name("cmd-transfer"));
        same_as_uw(
            "cmd-transfer",
            &hierarchy_setup,
            args,
            &uw_input,
            Order::Sorted,
        );
    }
}

/// The name [`workdir`] gives `test`'s directory, from the home.
fn workdir_name(test: &str) -> String {
    format!("t-{test}")
}

#[test]
fn user_switch_works_as_that_account() {
    if !oracle_available("user_switch_works_as_that_account") {
        return;
    }
    // Run as root (this process), -u makes each the test account.
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .env("HOME", home())
            .env("TZ", "UTC")
            .current_dir(home())
            .output()
            .unwrap();
        (
            out.status.code(),
            lines(&out.stdout, program, Order::AsPrinted),
            lines(&out.stderr, program, Order::AsPrinted),
        )
    };
    let (dir, rel) = workdir("cmd-user");
    put(&dir.join("box"), fresh_box());
    let user = nix::unistd::User::from_name(USER).unwrap().unwrap();
    for (i, program) in [UW_MAILUTIL.to_owned(), ours()].iter().enumerate() {
        let created = format!("{rel}/made{i}");
        let check = run(program, &["-u", USER, "check", &format!("{rel}/box")]);
        assert_eq!(check.0, Some(0), "{program}: {check:?}");
        assert_eq!(
            check.1,
            ["1 new message(s) (2 unseen), 4 total in t-cmd-user/box"]
        );
        let create = run(program, &["-user", USER, "create", &created]);
        assert_eq!(create.0, Some(0), "{program}: {create:?}");
        let meta = fs::metadata(home().join(&created)).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            meta.uid(),
            user.uid.as_raw(),
            "{program}: owner of {created}"
        );
    }
    // An account that cannot become another says so, as UW does.
    let as_account = |program: &str| {
        let out = as_user(program, &["-u", "root", "check"]);
        (
            out.status.code(),
            lines(&out.stdout, program, Order::AsPrinted),
            lines(&out.stderr, program, Order::AsPrinted),
        )
    };
    assert_eq!(as_account(UW_MAILUTIL), as_account(&ours()));
}

#[test]
fn help_prints_the_usage_and_succeeds() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailutil"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\nusage: "), "{text}");
    assert!(
        text.contains("\n transfer [-rw[copy]] [-kw[copy]] [-ig[nore]] [-m[erge] m] SOURCE DEST\n")
    );
}

#[test]
fn copy_of_many_messages_shows_progress_on_a_terminal() {
    if !oracle_available("copy_of_many_messages_shows_progress_on_a_terminal") {
        return;
    }
    let (dir, rel) = workdir("cmd-tty");
    write_fixture(&dir, 700);
    // script(1) gives the copy a terminal; what the terminal showed comes back on its
    // standard output.
    let line = format!("{} copy -kw {rel}/fixture {rel}/copy", ours());
    let out = user_command("script", &["-qec", &line, "/dev/null"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("/700 messages"), "{shown}");
    assert_eq!(read_ours(&format!("{rel}/copy")).1.len(), 700);
}
