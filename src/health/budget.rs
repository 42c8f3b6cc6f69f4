//! The token's shared request budget as it stands (`aegis workers`):
//! read-only, from the `rate_budgets` row [`crate::budget`] keeps per
//! token (keyed by a hash of the token, never the token).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use crate::store::Result;

/// One token's budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct BudgetState {
    /// `sha256:<16 hex>` of the token, or a configured name.
    pub key: String,
    /// The earliest moment its next request may leave.
    pub next_slot: DateTime<Utc>,
    /// Milliseconds until then (0: a request may leave now).
    pub next_slot_in_ms: i64,
    /// No request before this moment (a 429's `Retry-After`), when in the future.
    pub paused_until: Option<DateTime<Utc>>,
    /// `closed`, `open` (Asana kept failing: only probes leave) or
    /// `unauthorized` (Asana rejected the token: only probes leave).
    pub circuit: String,
    /// Since when the circuit is not closed.
    pub hold_since: Option<DateTime<Utc>>,
    /// When the next probe may leave, while it is not closed.
    pub probe_at: Option<DateTime<Utc>>,
    /// 5xx or connection failures in a row, over every process of the token.
    pub failures: i32,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

/// Every token's budget, by key.
///
/// # Errors
/// The database's.
pub async fn budgets(db: impl PgExecutor<'_>) -> Result<Vec<BudgetState>> {
    Ok(sqlx::query_as(
        r#"
        select key, next_slot,
            greatest(0, floor(extract(epoch from next_slot - now()) * 1000))::bigint
                as next_slot_in_ms,
            case when paused_until > now() then paused_until end as paused_until,
            case hold when 'outage' then 'open' when 'unauthorized' then 'unauthorized'
                else 'closed' end as circuit,
            hold_since, case when hold is not null then probe_at end as probe_at,
            failures, updated_at
        from rate_budgets order by key
        "#,
    )
    .fetch_all(db)
    .await?)
}
