//! Session transcripts, for the sessions' tests: `C:` lines are given to a session, `S:`
//! lines are what it must answer, byte for byte (each line ends in CRLF). In an `S:` line,
//! `{*}` stands for any text (dates, UIDVALIDITY). Lines starting `#` are comments.
//!
//! [`record`] rewrites a transcript from its `C:` lines and what the session answers now
//! (each command on its own; `volatile` turns what changes from run to run into `{*}`):
//! the tests call it when `TRANSCRIPT_RECORD=1` is set; read the diff before keeping it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use crate::session::{Session, Then};

/// Whether `got` matches `want`, where `{*}` in `want` matches any text.
pub fn line_matches(want: &str, got: &str) -> bool {
    let parts: Vec<&str> = want.split("{*}").collect();
    if parts.len() == 1 {
        return want == got;
    }
    let Some(mut rest) = got.strip_prefix(parts[0]) else {
        return false;
    };
    for (i, p) in parts.iter().enumerate().skip(1) {
        if i == parts.len() - 1 {
            return rest.ends_with(p) && rest.len() >= p.len();
        }
        match rest.find(p) {
            Some(at) => rest = &rest[at + p.len()..],
            None => return false,
        }
    }
    true
}

/// Rewrites a transcript from its `C:` lines and what the session answers now, each
/// command on its own (run with `TRANSCRIPT_RECORD=1`, then read the diff).
pub fn record<S: Session>(path: &Path, make: &dyn Fn() -> S, volatile: &dyn Fn(&str) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut s = make();
    let mut out: Vec<String> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let push = |bytes: &[u8], out: &mut Vec<String>| {
        for l in String::from_utf8_lossy(bytes).split_inclusive("\r\n") {
            out.push(format!("S: {}", volatile(l.trim_end_matches("\r\n"))));
        }
    };
    push(&s.greeting().bytes, &mut out);
    for line in text.lines().filter(|l| l.starts_with("C:")) {
        out.push(line.to_owned());
        let c = line.strip_prefix("C: ").unwrap_or(&line[2..]);
        s.receive(format!("{c}\r\n").as_bytes());
        while let Some(r) = s.step() {
            push(&r.bytes, &mut out);
            if r.then == Then::StartTls {
                s.tls_started();
            }
        }
    }
    std::fs::write(path, out.join("\n") + "\n").unwrap();
}

/// Replays transcript `path` against a session `make` gives, panicking with both sides
/// at the first difference.
pub fn replay<S: Session>(path: &Path, make: &dyn Fn() -> S) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut s = make();
    let mut got = String::from_utf8(s.greeting().bytes).unwrap();
    let mut closed = false;
    let mut want: Vec<String> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let flush = |got: &mut String, want: &mut Vec<String>, at: usize| {
        let got_lines: Vec<&str> = got.split_inclusive("\r\n").collect();
        assert!(
            got.is_empty() || got.ends_with("\r\n"),
            "{}: line {at}: output does not end in CRLF: {got:?}",
            path.display()
        );
        let got_lines: Vec<&str> = got_lines
            .iter()
            .map(|l| l.trim_end_matches("\r\n"))
            .collect();
        let ok = got_lines.len() == want.len()
            && want.iter().zip(&got_lines).all(|(w, g)| line_matches(w, g));
        assert!(
            ok,
            "{}: before line {at}:\nwanted:\n{}\ngot:\n{}",
            path.display(),
            want.join("\n"),
            got_lines.join("\n")
        );
        got.clear();
        want.clear();
    };
    while i < lines.len() {
        let line = lines[i];
        if let Some(w) = line.strip_prefix("S: ").or(line.strip_prefix("S:")) {
            want.push(w.to_owned());
            i += 1;
            continue;
        }
        if line.starts_with("C:") {
            flush(&mut got, &mut want, i + 1);
            assert!(
                !closed,
                "{}: line {}: the session had closed",
                path.display(),
                i + 1
            );
            let mut input = String::new();
            while i < lines.len() && lines[i].starts_with("C:") {
                let c = lines[i].strip_prefix("C: ").unwrap_or(&lines[i][2..]);
                input.push_str(c);
                input.push_str("\r\n");
                i += 1;
            }
            s.receive(input.as_bytes());
            while let Some(r) = s.step() {
                got.push_str(&String::from_utf8_lossy(&r.bytes));
                match r.then {
                    Then::Close => closed = true,
                    Then::StartTls => s.tls_started(),
                    Then::Continue => {}
                }
            }
            continue;
        }
        i += 1;
    }
    flush(&mut got, &mut want, lines.len());
}

#[cfg(test)]
mod tests {
    use super::line_matches;

    #[test]
    fn matcher() {
        assert!(line_matches("a {*} c", "a bbb c"));
        assert!(line_matches(
            "* OK [UIDVALIDITY {*}] x",
            "* OK [UIDVALIDITY 123] x"
        ));
        assert!(!line_matches("a {*} c", "a b d"));
        assert!(line_matches("exact", "exact"));
    }
}
