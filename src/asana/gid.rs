//! Asana identifiers (`Gid`) and the compact references (`{gid, name}`) that
//! Asana embeds in its records (assignee, workspace, tags, sections …).

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize};

/// An Asana global id: a string of digits (`"1204567890123"`).
///
/// Asana hands gids out and aegis stores them as `TEXT`; [`Gid::parse`] checks
/// user input at the edge (config, CLI), gids decoded from Asana are trusted.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Gid(String);

/// A string that is not a gid (empty, or not all ASCII digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an Asana gid (expected digits, e.g. 1204567890123)")]
pub struct InvalidGid(String);

impl Gid {
    /// Parses user input: non-empty ASCII digits only.
    ///
    /// # Errors
    /// [`InvalidGid`] when `raw` is empty or holds anything but digits.
    pub fn parse(raw: &str) -> Result<Self, InvalidGid> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidGid(raw.to_owned()));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The gid as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The gid as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for Gid {
    type Err = InvalidGid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Gid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Gid {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A compact reference to another Asana object, as asked for with
/// `opt_fields=<field>.name`: Asana always adds the `gid`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct NamedRef {
    /// The referenced object's gid.
    pub gid: Gid,
    /// Its name; `None` when Asana omits it or sends `null`.
    #[serde(default)]
    pub name: Option<String>,
}

/// Something listed by gid, so a listing that restarts can skip what it
/// already yielded (see [`AsanaClient::pages`](super::AsanaClient::pages)).
pub trait HasGid {
    /// The object's gid.
    fn gid(&self) -> &Gid;
}

impl HasGid for NamedRef {
    fn gid(&self) -> &Gid {
        &self.gid
    }
}

/// Deserializes a value that Asana may send as `null` (or omit, with
/// `#[serde(default)]`) as its default: `[]`, `false`, `""`.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_digits_only() {
        assert_eq!(Gid::parse(" 123 ").unwrap().as_str(), "123");
        assert!(Gid::parse("").is_err());
        assert!(Gid::parse("12a").is_err());
        assert!(Gid::parse("../1").is_err());
    }

    #[test]
    fn serde_is_transparent() {
        let gid: Gid = serde_json::from_str("\"42\"").unwrap();
        assert_eq!(gid.to_string(), "42");
        assert_eq!(serde_json::to_string(&gid).unwrap(), "\"42\"");
    }

    #[test]
    fn named_ref_tolerates_missing_and_null_name() {
        let a: NamedRef = serde_json::from_str(r#"{"gid":"1"}"#).unwrap();
        let b: NamedRef = serde_json::from_str(r#"{"gid":"1","name":null,"x":2}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.name, None);
    }
}
