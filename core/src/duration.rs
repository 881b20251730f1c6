//! Durations as written in `mentorship.yml`: a whole number and one unit, like `2w`, `14d`, `2h` or `90m`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A non-negative length of time written as `<number><unit>` with unit `s`, `m`, `h`, `d` or `w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: i64,
}

/// Why a duration could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {text:?}: expected a whole number and a unit (s, m, h, d or w), like `2w`, `14d` or `90m`"
)]
pub struct DurationError {
    /// The text that was rejected.
    pub text: String,
}

impl Duration {
    /// Returns a duration of `seconds` seconds.
    pub const fn from_seconds(seconds: i64) -> Duration {
        Duration { seconds }
    }

    /// Returns a duration of `days` days.
    pub const fn from_days(days: i64) -> Duration {
        Duration { seconds: days * 86_400 }
    }

    /// Returns a duration of `minutes` minutes.
    pub const fn from_minutes(minutes: i64) -> Duration {
        Duration { seconds: minutes * 60 }
    }

    /// Returns the length in seconds.
    pub const fn seconds(self) -> i64 {
        self.seconds
    }

    /// Returns the length in whole days if it is a whole number of days.
    pub const fn whole_days(self) -> Option<i64> {
        if self.seconds % 86_400 == 0 { Some(self.seconds / 86_400) } else { None }
    }

    /// Returns the duration as a chrono delta.
    pub fn to_chrono(self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(self.seconds)
    }
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Duration, DurationError> {
        let err = || DurationError { text: text.to_string() };
        let trimmed = text.trim();
        let split = trimmed.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
        let (digits, unit) = trimmed.split_at(split);
        let n: i64 = digits.parse().map_err(|_| err())?;
        let per = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(err()),
        };
        let seconds = n.checked_mul(per).ok_or_else(err)?;
        Ok(Duration { seconds })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        for (unit, per) in [("w", 7 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s != 0 && s % per == 0 {
                return write!(f, "{}{unit}", s / per);
            }
        }
        write!(f, "{s}s")
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!("2w".parse::<Duration>().unwrap().whole_days(), Some(14));
        assert_eq!("14d".parse::<Duration>().unwrap(), Duration::from_days(14));
        assert_eq!("90m".parse::<Duration>().unwrap(), Duration::from_minutes(90));
        assert_eq!("2h".parse::<Duration>().unwrap().seconds(), 7_200);
        assert_eq!("45s".parse::<Duration>().unwrap().seconds(), 45);
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in ["", "w", "2", "2 weeks", "-2d", "2x", "1.5h", "99999999999999999999w"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn displays_in_the_largest_whole_unit() {
        assert_eq!(Duration::from_days(14).to_string(), "2w");
        assert_eq!(Duration::from_minutes(90).to_string(), "90m");
        assert_eq!(Duration::from_seconds(0).to_string(), "0s");
    }
}
