//! The token's hold: work of every process of a token stops, without
//! spending job attempts, while Asana rejects the token (401) or keeps
//! failing (5xx, timeouts, connection errors: the circuit is open), and one
//! process at a time probes `GET /users/me` at a slow rate; the first
//! success lifts the hold. It lives in the [`SharedBudget`](super::SharedBudget)
//! (aegis's: `crate::budget`, a row in Postgres); a local budget holds
//! nothing.

use std::{fmt, time::Duration};

/// The default time between two probes of a held token.
pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(30);

/// The default number of 5xx or connection failures in a row, over every
/// process of the token, that opens the circuit.
pub const DEFAULT_CIRCUIT_AFTER: u32 = 5;

/// Why a token's work is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldReason {
    /// Asana answered 401: the token is wrong or revoked.
    Unauthorized,
    /// Asana kept failing (5xx, timeouts, connection errors): the circuit
    /// is open.
    Outage,
}

impl HoldReason {
    /// The name stored in the budget's row.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Outage => "outage",
        }
    }

    /// The reason a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "unauthorized" => Some(Self::Unauthorized),
            "outage" => Some(Self::Outage),
            _ => None,
        }
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unauthorized => "Asana rejects the token (401)",
            Self::Outage => "Asana is failing (5xx or unreachable): the circuit is open",
        })
    }
}

/// What an answer from Asana tells the shared budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A success: no failures in a row any more, and no hold.
    Success,
    /// A 5xx, a timeout or a connection failure: one more in a row.
    Failure,
    /// A 401: the token's work is held.
    Unauthorized,
}

/// The token's hold after a [`report`](super::SharedBudget::report).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reported {
    /// The hold in force now, if any.
    pub hold: Option<HoldReason>,
    /// Whether this report set, changed or lifted it.
    pub changed: bool,
    /// How long the hold lasted, when this report lifted it.
    pub lasted: Option<Duration>,
}
