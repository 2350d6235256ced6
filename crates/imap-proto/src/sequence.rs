//! Sequence sets (RFC 3501 §9).
//!
//! ```text
//! sequence-set    = (seq-number / seq-range) ["," sequence-set]
//! seq-range       = seq-number ":" seq-number
//! seq-number      = nz-number / "*"
//! ```

use crate::parse::{PResult, Parser};

/// One end of a range: a number, or `*` (the largest in use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqNum {
    /// A number.
    Value(u32),
    /// `*`.
    Last,
}

/// A range `a:b` (or one number, `a:a`), as written (either end may be the larger).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqRange {
    /// The first end.
    pub start: SeqNum,
    /// The second end.
    pub end: SeqNum,
}

/// A sequence set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceSet(pub Vec<SeqRange>);

impl SequenceSet {
    /// The set's ranges with `*` taken as `last`, each as `(low, high)`.
    pub fn ranges(&self, last: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.0.iter().map(move |r| {
            let v = |n: SeqNum| match n {
                SeqNum::Value(v) => v,
                SeqNum::Last => last,
            };
            let (a, b) = (v(r.start), v(r.end));
            (a.min(b), a.max(b))
        })
    }

    /// Whether `n` is in the set, `*` being `last`.
    pub fn contains(&self, n: u32, last: u32) -> bool {
        self.ranges(last).any(|(a, b)| a <= n && n <= b)
    }

    /// Whether the set names `*`.
    pub fn uses_last(&self) -> bool {
        self.0
            .iter()
            .any(|r| r.start == SeqNum::Last || r.end == SeqNum::Last)
    }
}

impl std::fmt::Display for SequenceSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let one = |n: SeqNum| match n {
            SeqNum::Value(v) => v.to_string(),
            SeqNum::Last => "*".into(),
        };
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if r.start == r.end {
                f.write_str(&one(r.start))?;
            } else {
                write!(f, "{}:{}", one(r.start), one(r.end))?;
            }
        }
        Ok(())
    }
}

/// Writes a list of numbers (ascending) as a compact sequence set: `1:3,7,9:10`.
pub fn compact(numbers: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < numbers.len() {
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

impl Parser<'_> {
    fn seq_number(&mut self) -> PResult<SeqNum> {
        if self.eat(b'*') {
            Ok(SeqNum::Last)
        } else {
            self.nz_number().map(SeqNum::Value)
        }
    }

    pub(crate) fn sequence_set(&mut self) -> PResult<SequenceSet> {
        let mut v = Vec::new();
        loop {
            let start = self.seq_number()?;
            let end = if self.eat(b':') {
                self.seq_number()?
            } else {
                start
            };
            v.push(SeqRange { start, end });
            if !self.eat(b',') {
                return Ok(SequenceSet(v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_resolve() {
        let s = Parser::new(b"1,3:5,*,9:*").sequence_set().unwrap();
        assert_eq!(s.to_string(), "1,3:5,*,9:*");
        let r: Vec<_> = s.ranges(7).collect();
        assert_eq!(r, vec![(1, 1), (3, 5), (7, 7), (7, 9)]);
        assert!(s.contains(4, 7));
        assert!(!s.contains(2, 7));
        assert!(s.uses_last());
        assert!(Parser::new(b"0").sequence_set().is_err());
        assert!(Parser::new(b"1:").sequence_set().is_err());
        assert_eq!(compact(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
    }
}
