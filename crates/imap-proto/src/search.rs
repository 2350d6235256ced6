//! SEARCH keys (RFC 3501 §6.4.4, RFC 5032 WITHIN).
//!
//! ```text
//! search-key  = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date /
//!               "BODY" SP astring / "CC" SP astring / "DELETED" / "FLAGGED" /
//!               "FROM" SP astring / "KEYWORD" SP flag-keyword / "NEW" / "OLD" /
//!               "ON" SP date / "RECENT" / "SEEN" / "SINCE" SP date /
//!               "SUBJECT" SP astring / "TEXT" SP astring / "TO" SP astring /
//!               "UNANSWERED" / "UNDELETED" / "UNFLAGGED" / "UNKEYWORD" SP flag-keyword /
//!               "UNSEEN" / "DRAFT" / "HEADER" SP header-fld-name SP astring /
//!               "LARGER" SP number / "NOT" SP search-key /
//!               "OR" SP search-key SP search-key / "SENTBEFORE" SP date /
//!               "SENTON" SP date / "SENTSINCE" SP date / "SMALLER" SP number /
//!               "UID" SP sequence-set / "UNDRAFT" / sequence-set /
//!               "(" search-key *(SP search-key) ")" /
//!               "OLDER" SP nz-number / "YOUNGER" SP nz-number
//! ```

use crate::parse::{PResult, Parser};
use crate::sequence::SequenceSet;

/// A calendar day, as SEARCH dates name them (no time, no zone).
pub type Day = (i16, u8, u8);

/// One SEARCH key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SearchKey {
    All,
    Answered,
    Bcc(Vec<u8>),
    Before(Day),
    Body(Vec<u8>),
    Cc(Vec<u8>),
    Deleted,
    Draft,
    Flagged,
    From(Vec<u8>),
    Header(Vec<u8>, Vec<u8>),
    Keyword(Vec<u8>),
    Larger(u32),
    New,
    Not(Box<SearchKey>),
    Old,
    Older(u32),
    On(Day),
    Or(Box<SearchKey>, Box<SearchKey>),
    Recent,
    Seen,
    SentBefore(Day),
    SentOn(Day),
    SentSince(Day),
    Since(Day),
    Smaller(u32),
    Subject(Vec<u8>),
    Text(Vec<u8>),
    To(Vec<u8>),
    Uid(SequenceSet),
    Unanswered,
    Undeleted,
    Undraft,
    Unflagged,
    Unkeyword(Vec<u8>),
    Unseen,
    Younger(u32),
    /// Messages by sequence number.
    Sequence(SequenceSet),
    /// All of these.
    And(Vec<SearchKey>),
}

/// Panda's limit on how deeply SEARCH keys nest.
pub const MAX_DEPTH: usize = 500;

impl Parser<'_> {
    /// One or more keys separated by spaces, up to the end of the command.
    pub(crate) fn search_keys(&mut self) -> PResult<SearchKey> {
        let mut keys = vec![self.search_key(0)?];
        while self.peek() == Some(b' ') {
            self.sp()?;
            keys.push(self.search_key(0)?);
        }
        Ok(if keys.len() == 1 {
            keys.remove(0)
        } else {
            SearchKey::And(keys)
        })
    }

    fn search_key(&mut self, depth: usize) -> PResult<SearchKey> {
        if depth > MAX_DEPTH {
            return self.err("search keys nested too deeply");
        }
        if self.peek() == Some(b'(') {
            let v = self.list(|p| p.search_key(depth + 1))?;
            if v.is_empty() {
                return self.err("empty search key list");
            }
            return Ok(SearchKey::And(v));
        }
        if matches!(self.peek(), Some(b'0'..=b'9' | b'*')) {
            return Ok(SearchKey::Sequence(self.sequence_set()?));
        }
        let at = self.at;
        let word = self.atom()?;
        if word.eq_ignore_ascii_case(b"NOT") {
            self.sp()?;
            return Ok(SearchKey::Not(Box::new(self.search_key(depth + 1)?)));
        }
        if word.eq_ignore_ascii_case(b"OR") {
            self.sp()?;
            let a = self.search_key(depth + 1)?;
            self.sp()?;
            let b = self.search_key(depth + 1)?;
            return Ok(SearchKey::Or(Box::new(a), Box::new(b)));
        }
        self.at = at;
        self.simple_key()
    }

    /// A key that contains no other key (kept out of the recursion, whose frames must
    /// stay small for deep nesting).
    #[inline(never)]
    fn simple_key(&mut self) -> PResult<SearchKey> {
        let word = self.atom()?.to_ascii_uppercase();
        macro_rules! arg {
            ($f:ident) => {{
                self.sp()?;
                self.$f()?
            }};
        }
        Ok(match word.as_slice() {
            b"ALL" => SearchKey::All,
            b"ANSWERED" => SearchKey::Answered,
            b"BCC" => SearchKey::Bcc(arg!(astring)),
            b"BEFORE" => SearchKey::Before(arg!(date)),
            b"BODY" => SearchKey::Body(arg!(astring)),
            b"CC" => SearchKey::Cc(arg!(astring)),
            b"DELETED" => SearchKey::Deleted,
            b"DRAFT" => SearchKey::Draft,
            b"FLAGGED" => SearchKey::Flagged,
            b"FROM" => SearchKey::From(arg!(astring)),
            b"HEADER" => {
                let name = arg!(astring);
                SearchKey::Header(name, arg!(astring))
            }
            b"KEYWORD" => SearchKey::Keyword(arg!(atom).to_vec()),
            b"LARGER" => SearchKey::Larger(arg!(number)),
            b"NEW" => SearchKey::New,
            b"OLD" => SearchKey::Old,
            b"OLDER" => SearchKey::Older(arg!(nz_number)),
            b"ON" => SearchKey::On(arg!(date)),
            b"RECENT" => SearchKey::Recent,
            b"SEEN" => SearchKey::Seen,
            b"SENTBEFORE" => SearchKey::SentBefore(arg!(date)),
            b"SENTON" => SearchKey::SentOn(arg!(date)),
            b"SENTSINCE" => SearchKey::SentSince(arg!(date)),
            b"SINCE" => SearchKey::Since(arg!(date)),
            b"SMALLER" => SearchKey::Smaller(arg!(number)),
            b"SUBJECT" => SearchKey::Subject(arg!(astring)),
            b"TEXT" => SearchKey::Text(arg!(astring)),
            b"TO" => SearchKey::To(arg!(astring)),
            b"UID" => SearchKey::Uid(arg!(sequence_set)),
            b"UNANSWERED" => SearchKey::Unanswered,
            b"UNDELETED" => SearchKey::Undeleted,
            b"UNDRAFT" => SearchKey::Undraft,
            b"UNFLAGGED" => SearchKey::Unflagged,
            b"UNKEYWORD" => SearchKey::Unkeyword(arg!(atom).to_vec()),
            b"UNSEEN" => SearchKey::Unseen,
            b"YOUNGER" => SearchKey::Younger(arg!(nz_number)),
            _ => return self.err("unknown search key"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let k = Parser::new(b"FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"")
            .search_keys()
            .unwrap();
        assert_eq!(
            k,
            SearchKey::And(vec![
                SearchKey::Flagged,
                SearchKey::Since((1994, 2, 1)),
                SearchKey::Not(Box::new(SearchKey::From(b"Smith".to_vec()))),
            ])
        );
        let k = Parser::new(b"OR (SEEN 1:3) uid 5,*").search_keys().unwrap();
        assert!(matches!(k, SearchKey::Or(..)));
        assert!(Parser::new(b"BOGUS").search_keys().is_err());
        assert!(Parser::new(b"()").search_keys().is_err());
        let deep = format!("{}ALL{}", "(".repeat(600), ")".repeat(600));
        assert!(Parser::new(deep.as_bytes()).search_keys().is_err());
    }
}
