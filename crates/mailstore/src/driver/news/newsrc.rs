//! `~/.newsrc`: which articles of each newsgroup the user has read, in the form every
//! newsreader shares.
//!
//! ```text
//! newsrc  = *(line LF)
//! line    = group (":" / "!") [ranges]      ; ":" subscribed, "!" not
//! ranges  = *SP range *("," *SP range)
//! range   = number ["-" number]
//! ```
//!
//! c-client shows the articles in the ranges as `\Deleted` and the others as `\Recent`.
//! A rewrite changes only the line of the group concerned; every other line is written
//! back byte for byte.

/// A range of article numbers, both ends included.
pub type Range = (u32, u32);

/// One group's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The group's name.
    pub group: String,
    /// Whether the user is subscribed (`:`) or not (`!`).
    pub subscribed: bool,
    /// The articles read.
    pub read: Vec<Range>,
}

/// Reads one line; `None` when it is not a group line (which a rewrite keeps as it is).
/// Ranges that cannot be read end the list.
pub fn parse_line(line: &[u8]) -> Option<Line> {
    let cut = line.iter().position(|&b| b == b':' || b == b'!')?;
    let group = std::str::from_utf8(&line[..cut]).ok()?.trim();
    if group.is_empty() || group.contains(char::is_whitespace) {
        return None;
    }
    let subscribed = line[cut] == b':';
    let mut read = Vec::new();
    for part in line[cut + 1..].split(|&b| b == b',') {
        let part = std::str::from_utf8(part).ok().map(str::trim);
        let Some(part) = part.filter(|p| !p.is_empty()) else {
            continue;
        };
        let range = match part.split_once('-') {
            Some((a, b)) => a.trim().parse().ok().zip(b.trim().parse().ok()),
            None => part.parse().ok().map(|n| (n, n)),
        };
        match range {
            Some((a, b)) if a <= b => read.push((a, b)),
            _ => break,
        }
    }
    Some(Line {
        group: group.to_owned(),
        subscribed,
        read,
    })
}

impl Line {
    /// Whether article `n` has been read.
    pub fn contains(&self, n: u32) -> bool {
        self.read.iter().any(|&(a, b)| a <= n && n <= b)
    }

    /// The line as newsreaders write it: `group: 1-5,7` (no ranges: `group:`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = self.group.clone();
        s.push(if self.subscribed { ':' } else { '!' });
        for (i, &(a, b)) in self.read.iter().enumerate() {
            s.push(if i == 0 { ' ' } else { ',' });
            if a == b {
                s.push_str(&a.to_string());
            } else {
                s.push_str(&format!("{a}-{b}"));
            }
        }
        s.into_bytes()
    }
}

/// The ranges of the read articles of a group whose present articles are `articles`
/// (ascending) with `read` telling which are read: consecutive present articles make one
/// range, and a range that starts at the first present article starts at 1 (articles
/// that expired count as read, as newsreaders write it).
pub fn ranges(articles: &[(u32, bool)]) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::new();
    let mut open = false;
    for (i, &(n, read)) in articles.iter().enumerate() {
        if !read {
            open = false;
            continue;
        }
        match out.last_mut() {
            Some(last) if open => last.1 = n,
            _ => out.push((if i == 0 { 1 } else { n }, n)),
        }
        open = true;
    }
    out
}

/// `newsrc` with the line of `line.group` replaced by `line` (added at the end if the
/// group has none).
pub fn replace(newsrc: &[u8], line: &Line) -> Vec<u8> {
    let mut out = Vec::with_capacity(newsrc.len() + 64);
    let mut done = false;
    for l in newsrc.split_inclusive(|&b| b == b'\n') {
        let body = l.strip_suffix(b"\n").unwrap_or(l);
        match parse_line(body) {
            Some(old) if old.group == line.group && !done => {
                let mut new = line.clone();
                new.subscribed = old.subscribed;
                out.extend_from_slice(&new.to_bytes());
                out.push(b'\n');
                done = true;
            }
            _ => {
                out.extend_from_slice(l);
                if !l.ends_with(b"\n") {
                    out.push(b'\n');
                }
            }
        }
    }
    if !done {
        out.extend_from_slice(&line.to_bytes());
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_and_write() {
        let l = parse_line(b"comp.mail.imap: 1-5,7, 9-12").unwrap();
        assert_eq!(l.group, "comp.mail.imap");
        assert!(l.subscribed);
        assert_eq!(l.read, vec![(1, 5), (7, 7), (9, 12)]);
        assert_eq!(l.to_bytes(), b"comp.mail.imap: 1-5,7,9-12");
        assert!(l.contains(4) && !l.contains(6));
        let u = parse_line(b"alt.test!").unwrap();
        assert!(!u.subscribed && u.read.is_empty());
        assert_eq!(u.to_bytes(), b"alt.test!");
        assert_eq!(parse_line(b"no group here"), None);
        assert_eq!(parse_line(b": 1-2"), None);
        assert_eq!(parse_line(b"g: 5-3,7").unwrap().read, vec![]);
        assert_eq!(parse_line(b"g: 99999999999").unwrap().read, vec![]);
    }

    #[test]
    fn ranges_of_read_articles() {
        let arts = [(3, true), (4, true), (6, false), (8, true), (9, true)];
        assert_eq!(ranges(&arts), vec![(1, 4), (8, 9)]);
        assert_eq!(ranges(&[(3, false), (5, true)]), vec![(5, 5)]);
        assert_eq!(ranges(&[]), vec![]);
    }

    #[test]
    fn only_the_group_line_changes() {
        let rc = b"a.b: 1-3\n# comment\nx.y! 4\n";
        let line = Line {
            group: "x.y".into(),
            subscribed: true,
            read: vec![(1, 9)],
        };
        assert_eq!(replace(rc, &line), b"a.b: 1-3\n# comment\nx.y! 1-9\n");
        let other = Line {
            group: "new.group".into(),
            ..line
        };
        assert_eq!(
            replace(b"a.b: 1", &other),
            b"a.b: 1\nnew.group: 1-9\n".to_vec()
        );
    }
}
