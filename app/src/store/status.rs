//! The states a stored row moves through — a delivery in the inbox, a planned GitHub write, a repository's
//! backfill, an installation — as enums, so a misspelt state is a compile error instead of a row no query finds.
//!
//! Each is stored as its lowercase name in a TEXT column (the same on SQLite and PostgreSQL, and readable in
//! `psql` or `sqlite3`); a row whose text is none of them fails to decode with an error naming the value, rather
//! than being read as some default.

use std::fmt;
use std::str::FromStr;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// A stored state's text that is none of its enum's names.
#[derive(Debug, thiserror::Error)]
#[error("unknown {kind} `{value}`: expected one of {expected}")]
pub struct UnknownStatus {
    kind: &'static str,
    value: String,
    expected: String,
}

/// Defines a status enum stored as lowercase text: `as_str`, `Display`, `FromStr`, serde (lowercase), clap value
/// names, and sqlx encoding/decoding for any backend that stores `&str`.
macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident ($kind:literal) { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, clap::ValueEnum)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every state, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored (and printed) spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownStatus {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl<DB: Database> Type<DB> for $name
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <&'q str as Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<&'r str as Decode<'r, DB>>::decode(value)?.parse()?)
            }
        }
    };
}

status_enum! {
    /// Where a webhook delivery is in the inbox.
    DeliveryStatus ("delivery status") {
        /// Waiting to be processed (or waiting for a retry).
        Pending => "pending",
        /// Claimed by a worker right now.
        Processing => "processing",
        /// Processed.
        Done => "done",
        /// Gave up after the maximum attempts, or failed permanently.
        Failed => "failed",
        /// Not used by Mentor; no payload kept.
        Ignored => "ignored",
    }
}

impl DeliveryStatus {
    /// True once nothing more will happen to the delivery unless someone retries it.
    pub fn is_finished(self) -> bool {
        matches!(self, DeliveryStatus::Done | DeliveryStatus::Failed | DeliveryStatus::Ignored)
    }
}

status_enum! {
    /// Where a planned GitHub write is in the outbox.
    WriteStatus ("outbox status") {
        /// Waiting to be sent (or for a retry).
        Pending => "pending",
        /// Being sent right now.
        Sending => "sending",
        /// Written.
        Done => "done",
        /// Stopped: GitHub refused it, or transient failures outlasted the attempts.
        Failed => "failed",
    }
}

status_enum! {
    /// Where one repository's history backfill is.
    BackfillStatus ("backfill status") {
        /// Pages left to read (or to try again after a failure that can pass).
        Queued => "queued",
        /// Every page read; the org's growth journals are still to be planned.
        Journal => "journal",
        /// Read and journaled.
        Done => "done",
        /// Stopped on an error that will not pass by itself (the note says which).
        Failed => "failed",
    }
}

status_enum! {
    /// Whether an org's installation lets Mentor act.
    InstallationStatus ("installation status") {
        /// Installed: Mentor reads and writes.
        Active => "active",
        /// Suspended by the org: Mentor keeps its data but sends nothing.
        Suspended => "suspended",
        /// Uninstalled: Mentor sends nothing.
        Deleted => "deleted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_spelling() {
        for s in DeliveryStatus::ALL {
            assert_eq!(s.as_str().parse::<DeliveryStatus>().unwrap(), *s);
        }
        for s in WriteStatus::ALL {
            assert_eq!(s.as_str().parse::<WriteStatus>().unwrap(), *s);
        }
        for s in BackfillStatus::ALL {
            assert_eq!(s.as_str().parse::<BackfillStatus>().unwrap(), *s);
        }
        for s in InstallationStatus::ALL {
            assert_eq!(s.as_str().parse::<InstallationStatus>().unwrap(), *s);
        }
    }

    #[test]
    fn an_unknown_spelling_is_named_with_the_expected_ones() {
        let e = "Done".parse::<DeliveryStatus>().unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown delivery status `Done`: expected one of pending, processing, done, failed, ignored"
        );
    }

    #[test]
    fn clap_and_serde_use_the_stored_spelling() {
        use clap::ValueEnum;
        for s in WriteStatus::ALL {
            assert_eq!(s.to_possible_value().unwrap().get_name(), s.as_str());
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
