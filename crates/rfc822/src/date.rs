//! Dates as mail software writes them.
//!
//! A [`DateTime`] is an instant (seconds since the UNIX epoch) together with the UTC offset
//! in which it was written, because mail formats keep the writer's zone: an IMAP
//! INTERNALDATE, a `From ` line with `-0700`, a `Date:` header. The civil fields of that
//! instant *in that offset* come from [`DateTime::civil`].
//!
//! Formats printed here (RFC 5322 §3.3 and `ctime(3)`):
//!
//! ```text
//! date-time   = [ day-of-week "," ] date time     ; "Wed, 2 Dec 1992 05:53:22 -0700"
//! ctime       = day SP month SP dd SP hh:mm:ss SP yyyy   ; "Wed Dec  2 05:53:22 1992"
//! ```

use std::fmt;

use jiff::Timestamp;
use jiff::civil;
use jiff::tz::{Offset, TimeZone};

/// The largest UTC offset mail dates may carry: ±99:59, as `+hhmm` allows.
pub const MAX_OFFSET_SECONDS: i32 = 99 * 3600 + 59 * 60;

/// An instant, with the UTC offset it is to be shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    seconds: i64,
    offset: i32,
}

/// The calendar fields of a [`DateTime`] in its own offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Four-digit year (1 to 9999).
    pub year: i16,
    /// Month of the year.
    pub month: Month,
    /// Day of the month, 1 to 31.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 59 (a leap second is folded into 59).
    pub second: u8,
    /// Day of the week.
    pub weekday: Weekday,
}

/// A month, January first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Month {
    Jan = 1,
    Feb,
    Mar,
    Apr,
    May,
    Jun,
    Jul,
    Aug,
    Sep,
    Oct,
    Nov,
    Dec,
}

/// A day of the week, Sunday first as `ctime(3)` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Weekday {
    Sun,
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
}

/// Why calendar fields do not name a representable instant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// A field is outside its range (month 13, day 32, hour 24, …) or the day does not exist
    /// in that month.
    #[error("invalid date or time field")]
    Field,
    /// The UTC offset is beyond ±99:59.
    #[error("UTC offset out of range")]
    Offset,
}

impl DateTime {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: DateTime = DateTime {
        seconds: 0,
        offset: 0,
    };

    /// The instant `seconds` after the epoch, shown in UTC offset `offset` (seconds east).
    pub fn new(seconds: i64, offset: i32) -> Result<Self, DateError> {
        if offset.abs() > MAX_OFFSET_SECONDS {
            return Err(DateError::Offset);
        }
        Timestamp::from_second(seconds).map_err(|_| DateError::Field)?;
        Ok(Self { seconds, offset })
    }

    /// The instant written as the given calendar fields in UTC offset `offset`.
    pub fn from_civil(
        year: i16,
        month: u8,
        day: u8,
        (hour, minute, second): (u8, u8, u8),
        offset: i32,
    ) -> Result<Self, DateError> {
        if offset.abs() > MAX_OFFSET_SECONDS {
            return Err(DateError::Offset);
        }
        let second = second.min(59);
        let dt = civil::DateTime::new(
            year,
            month as i8,
            day as i8,
            hour as i8,
            minute as i8,
            second as i8,
            0,
        )
        .map_err(|_| DateError::Field)?;
        let off = Offset::from_seconds(offset).map_err(|_| DateError::Offset)?;
        let ts = off.to_timestamp(dt).map_err(|_| DateError::Field)?;
        Ok(Self {
            seconds: ts.as_second(),
            offset,
        })
    }

    /// The calendar fields written in local time zone `tz` (the zone decides the offset,
    /// daylight saving included).
    pub fn from_civil_in(
        year: i16,
        month: u8,
        day: u8,
        (hour, minute, second): (u8, u8, u8),
        tz: &TimeZone,
    ) -> Result<Self, DateError> {
        let dt = civil::DateTime::new(
            year,
            month as i8,
            day as i8,
            hour as i8,
            minute as i8,
            second.min(59) as i8,
            0,
        )
        .map_err(|_| DateError::Field)?;
        let ts = tz
            .to_ambiguous_timestamp(dt)
            .compatible()
            .map_err(|_| DateError::Field)?;
        Self::new(ts.as_second(), tz.to_offset(ts).seconds())
    }

    /// The instant `seconds` after the epoch, in the offset zone `tz` has at that instant.
    pub fn at_in(seconds: i64, tz: &TimeZone) -> Result<Self, DateError> {
        let ts = Timestamp::from_second(seconds).map_err(|_| DateError::Field)?;
        Self::new(seconds, tz.to_offset(ts).seconds())
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn timestamp(&self) -> i64 {
        self.seconds
    }

    /// The UTC offset, in seconds east of Greenwich.
    pub fn offset_seconds(&self) -> i32 {
        self.offset
    }

    /// The same instant shown in another offset.
    pub fn with_offset(&self, offset: i32) -> Result<Self, DateError> {
        Self::new(self.seconds, offset)
    }

    /// The calendar fields of this instant in its own offset.
    pub fn civil(&self) -> Civil {
        // Both values were range-checked on construction, so these conversions succeed;
        // the fallbacks only keep this function total.
        let ts = Timestamp::from_second(self.seconds).unwrap_or(Timestamp::UNIX_EPOCH);
        let off = Offset::from_seconds(self.offset).unwrap_or(Offset::UTC);
        let dt = off.to_datetime(ts);
        Civil {
            year: dt.year(),
            month: Month::from_number(dt.month() as u8).unwrap_or(Month::Jan),
            day: dt.day() as u8,
            hour: dt.hour() as u8,
            minute: dt.minute() as u8,
            second: dt.second() as u8,
            weekday: match dt.weekday() {
                civil::Weekday::Sunday => Weekday::Sun,
                civil::Weekday::Monday => Weekday::Mon,
                civil::Weekday::Tuesday => Weekday::Tue,
                civil::Weekday::Wednesday => Weekday::Wed,
                civil::Weekday::Thursday => Weekday::Thu,
                civil::Weekday::Friday => Weekday::Fri,
                civil::Weekday::Saturday => Weekday::Sat,
            },
        }
    }

    /// The offset as `+hhmm` / `-hhmm`.
    pub fn offset_hhmm(&self) -> OffsetHhmm {
        OffsetHhmm(self.offset)
    }

    /// RFC 5322 form without the day of the week: `2 Dec 1992 05:53:22 -0700`.
    pub fn rfc822(&self) -> String {
        self.rfc822_with_day_width(1)
    }

    /// As [`rfc822`](Self::rfc822) with a two-digit day (`02 Dec 1992 …`): c-client's
    /// `rfc822_fixed_date`, whose width never changes.
    pub fn rfc822_fixed(&self) -> String {
        self.rfc822_with_day_width(2)
    }

    fn rfc822_with_day_width(&self, width: usize) -> String {
        let c = self.civil();
        format!(
            "{:0width$} {} {} {:02}:{:02}:{:02} {}",
            c.day,
            c.month,
            c.year,
            c.hour,
            c.minute,
            c.second,
            self.offset_hhmm()
        )
    }

    /// RFC 5322 form with the day of the week: `Thu, 26 Nov 2026 03:16:15 +0000`.
    pub fn rfc822_with_weekday(&self) -> String {
        format!("{}, {}", self.civil().weekday, self.rfc822())
    }

    /// c-client's internal-date form, IMAP's `date-time` (RFC 3501): `dd-Mon-yyyy
    /// hh:mm:ss +zzzz`, the day padded with a space (` 2-Dec-1992 05:53:22 -0700`).
    pub fn internal_form(&self) -> String {
        let c = self.civil();
        format!(
            "{:>2}-{}-{:04} {:02}:{:02}:{:02} {}",
            c.day,
            c.month.abbrev(),
            c.year,
            c.hour,
            c.minute,
            c.second,
            self.offset_hhmm()
        )
    }

    /// `ctime(3)` form: `Thu Nov 26 03:16:15 2026` (day of the month padded with a space).
    pub fn ctime(&self) -> String {
        let c = self.civil();
        format!(
            "{} {} {:>2} {:02}:{:02}:{:02} {}",
            c.weekday, c.month, c.day, c.hour, c.minute, c.second, c.year
        )
    }
}

/// A UTC offset displayed as `+hhmm` or `-hhmm`.
#[derive(Clone, Copy, Debug)]
pub struct OffsetHhmm(i32);

impl fmt::Display for OffsetHhmm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { '-' } else { '+' };
        let minutes = self.0.unsigned_abs() / 60;
        write!(f, "{sign}{:02}{:02}", minutes / 60, minutes % 60)
    }
}

impl Month {
    /// All months in calendar order.
    pub const ALL: [Month; 12] = [
        Month::Jan,
        Month::Feb,
        Month::Mar,
        Month::Apr,
        Month::May,
        Month::Jun,
        Month::Jul,
        Month::Aug,
        Month::Sep,
        Month::Oct,
        Month::Nov,
        Month::Dec,
    ];

    /// The month with number `n` (1 = January).
    pub fn from_number(n: u8) -> Option<Self> {
        Self::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The month's number, 1 to 12.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The month whose three-letter English abbreviation is `s`, ignoring case.
    pub fn from_abbrev(s: &[u8]) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| s.eq_ignore_ascii_case(m.abbrev().as_bytes()))
    }

    /// `Jan` … `Dec`.
    pub fn abbrev(self) -> &'static str {
        [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ][usize::from(self.number() - 1)]
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbrev())
    }
}

impl Weekday {
    /// The weekday whose three-letter English abbreviation is `s`, ignoring case.
    pub fn from_abbrev(s: &[u8]) -> Option<Self> {
        [
            Weekday::Sun,
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
        ]
        .into_iter()
        .find(|d| s.eq_ignore_ascii_case(d.abbrev().as_bytes()))
    }

    /// `Sun` … `Sat`.
    pub fn abbrev(self) -> &'static str {
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][self as usize]
    }
}

/// Reads a `Date:` header value (RFC 5322 §3.3 with the obsolete forms of §4.3: two-
/// and three-digit years, alphabetic zones, comments), leniently: the weekday may be
/// missing or wrong, seconds and zone may be missing (then UTC). `None` when no date can
/// be read.
///
/// ```text
/// date-time = [ day-of-week "," ] date time [CFWS]
/// date      = day month year
/// time      = hour ":" minute [ ":" second ] FWS zone
/// ```
pub fn parse_rfc5322(value: &[u8]) -> Option<DateTime> {
    // Words, with comments and commas dropped.
    let mut words: Vec<&[u8]> = Vec::new();
    let mut depth = 0usize;
    let mut start = None;
    for (i, &c) in value.iter().enumerate() {
        let sep = depth > 0 || matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'(' | b')');
        if c == b'(' {
            depth += 1;
        } else if c == b')' {
            depth = depth.saturating_sub(1);
        }
        match (sep, start) {
            (true, Some(s)) => {
                words.push(&value[s..i]);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push(&value[s..]);
    }
    let mut w = words.into_iter().peekable();
    if w.peek()
        .is_some_and(|x| x.get(..3).and_then(Weekday::from_abbrev).is_some())
    {
        w.next();
    }
    let number = |x: &[u8]| -> Option<u32> {
        if x.is_empty() || x.len() > 9 || !x.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(x).ok()?.parse().ok()
    };
    // "1 Jan 2020" and the obsolete "1-Jan-2020".
    let first = w.next()?;
    let (day, month, year) = if first.contains(&b'-') {
        let mut parts = first.split(|&c| c == b'-');
        let d = number(parts.next()?)?;
        let m = Month::from_abbrev(parts.next()?.get(..3)?)?;
        let y = number(parts.next()?)?;
        (d, m, y)
    } else {
        let d = number(first)?;
        let m = Month::from_abbrev(w.next()?.get(..3)?)?;
        let y = number(w.next()?)?;
        (d, m, y)
    };
    let year = match year {
        0..=49 => year + 2000,
        50..=999 => year + 1900,
        _ => year,
    };
    let (mut h, mut mi, mut sec) = (0, 0, 0);
    let mut offset = 0i32;
    if let Some(t) = w.next() {
        let mut parts = t.split(|&c| c == b':');
        h = number(parts.next()?)?;
        mi = number(parts.next()?)?;
        sec = parts.next().and_then(number).unwrap_or(0);
        if let Some(z) = w.next() {
            offset = zone(z).unwrap_or(0);
        }
    }
    DateTime::from_civil(
        i16::try_from(year).ok()?,
        month.number(),
        u8::try_from(day).ok()?,
        (
            u8::try_from(h).ok()?,
            u8::try_from(mi).ok()?,
            u8::try_from(sec).ok()?,
        ),
        offset,
    )
    .ok()
}

/// A zone: `+hhmm`, `-hhmm`, or an obsolete name (RFC 5322 §4.3).
fn zone(z: &[u8]) -> Option<i32> {
    if let (Some(&sign @ (b'+' | b'-')), 5) = (z.first(), z.len()) {
        let digits = &z[1..];
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = |a: usize| i32::from(digits[a] - b'0') * 10 + i32::from(digits[a + 1] - b'0');
        let secs = v(0) * 3600 + v(2) * 60;
        return Some(if sign == b'-' { -secs } else { secs });
    }
    let hours = match z.to_ascii_uppercase().as_slice() {
        b"UT" | b"GMT" | b"Z" => 0,
        b"EST" => -5,
        b"EDT" => -4,
        b"CST" => -6,
        b"CDT" => -5,
        b"MST" => -7,
        b"MDT" => -6,
        b"PST" => -8,
        b"PDT" => -7,
        _ => return None,
    };
    Some(hours * 3600)
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abbrev())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc822_and_ctime_known_answers() {
        // 1992-12-02 05:53:22 -0700 is 12:53:22 UTC.
        let d = DateTime::from_civil(1992, 12, 2, (5, 53, 22), -7 * 3600).unwrap();
        assert_eq!(d.timestamp(), 723_300_802);
        assert_eq!(d.rfc822(), "2 Dec 1992 05:53:22 -0700");
        assert_eq!(d.rfc822_fixed(), "02 Dec 1992 05:53:22 -0700");
        assert_eq!(d.rfc822_with_weekday(), "Wed, 2 Dec 1992 05:53:22 -0700");
        assert_eq!(d.ctime(), "Wed Dec  2 05:53:22 1992");
        assert_eq!(d.internal_form(), " 2-Dec-1992 05:53:22 -0700");
        let utc = d.with_offset(0).unwrap();
        assert_eq!(utc.ctime(), "Wed Dec  2 12:53:22 1992");
    }

    #[test]
    fn offsets_print_with_sign_and_minutes() {
        let d = DateTime::new(0, 5 * 3600 + 30 * 60).unwrap();
        assert_eq!(d.offset_hhmm().to_string(), "+0530");
        let d = DateTime::new(0, -(3 * 3600 + 30 * 60)).unwrap();
        assert_eq!(d.offset_hhmm().to_string(), "-0330");
        assert_eq!(DateTime::new(0, 100 * 3600), Err(DateError::Offset));
    }

    #[test]
    fn invalid_fields_are_refused() {
        assert_eq!(
            DateTime::from_civil(2023, 2, 29, (0, 0, 0), 0),
            Err(DateError::Field)
        );
        assert_eq!(
            DateTime::from_civil(2023, 13, 1, (0, 0, 0), 0),
            Err(DateError::Field)
        );
        assert_eq!(
            DateTime::from_civil(2023, 1, 1, (24, 0, 0), 0),
            Err(DateError::Field)
        );
        // A leap second folds into :59.
        let d = DateTime::from_civil(2016, 12, 31, (23, 59, 60), 0).unwrap();
        assert_eq!(d.civil().second, 59);
    }

    #[test]
    fn header_dates() {
        let d = parse_rfc5322(b"Fri, 21 Nov 1997 09:55:06 -0600").unwrap();
        assert_eq!(d.rfc822_with_weekday(), "Fri, 21 Nov 1997 09:55:06 -0600");
        let d = parse_rfc5322(b"21 Nov 97 09:55 EST (comment)").unwrap();
        assert_eq!(d.rfc822_with_weekday(), "Fri, 21 Nov 1997 09:55:00 -0500");
        let d = parse_rfc5322(b"Thu, 1 Jan 2004 00:00:00 +0000").unwrap();
        assert_eq!(d.timestamp(), 1_072_915_200);
        assert_eq!(
            parse_rfc5322(b"1-Jan-2004").map(|d| d.timestamp()),
            Some(1_072_915_200)
        );
        assert!(parse_rfc5322(b"garbage").is_none());
        assert!(parse_rfc5322(b"").is_none());
        assert!(parse_rfc5322(b"32 Jan 2004 00:00").is_none());
    }

    #[test]
    fn names_round_trip() {
        for m in Month::ALL {
            assert_eq!(Month::from_abbrev(m.abbrev().as_bytes()), Some(m));
            assert_eq!(Month::from_number(m.number()), Some(m));
        }
        assert_eq!(Month::from_abbrev(b"dEc"), Some(Month::Dec));
        assert_eq!(Weekday::from_abbrev(b"thu"), Some(Weekday::Thu));
        assert_eq!(Month::from_number(0), None);
        assert_eq!(Month::from_number(13), None);
    }
}
