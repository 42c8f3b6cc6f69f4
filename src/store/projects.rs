//! The `projects` table: a page of portfolio projects upserted in one
//! statement, projects that left the portfolio marked, per-project sync state.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, types::Json};

use super::{Result, content_hash};

/// One project as synced from Asana (field names are the column names).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectRow {
    /// Asana gid.
    pub asana_gid: String,
    /// Name.
    pub name: String,
    /// Plain-text notes.
    pub notes: String,
    /// Archived in Asana (its tasks are not synced).
    pub archived: bool,
    /// Public to the workspace.
    pub public: bool,
    /// Asana's privacy setting.
    pub privacy_setting: Option<String>,
    /// Link to the project in Asana.
    pub asana_permalink_url: Option<String>,
    /// The synced portfolio it belongs to.
    pub portfolio_gid: String,
    /// Workspace gid.
    pub workspace_gid: Option<String>,
    /// Workspace name.
    pub workspace_name: Option<String>,
    /// Team gid.
    pub team_gid: Option<String>,
    /// Team name.
    pub team_name: Option<String>,
    /// Asana's creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Asana's modification time.
    pub modified_at: Option<DateTime<Utc>>,
}

/// How an upsert of a page went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct UpsertCounts {
    /// Rows that did not exist.
    pub created: i64,
    /// Rows whose content changed.
    pub updated: i64,
    /// Rows confirmed as they were.
    pub unchanged: i64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, o: Self) {
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// A project as the sync and the CLI read it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProjectState {
    /// Row id.
    pub id: i64,
    /// Asana gid.
    pub asana_gid: String,
    /// Name.
    pub name: String,
    /// Archived in Asana.
    pub archived: bool,
    /// Set when the project left the portfolio.
    pub removed_from_portfolio_at: Option<DateTime<Utc>>,
    /// Last confirmation by a portfolio sync.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Last completed sync of its tasks.
    pub last_tasks_sync_at: Option<DateTime<Utc>>,
    /// Last completed full crawl of its tasks.
    pub last_full_sync_at: Option<DateTime<Utc>>,
    /// Events sync token for incremental syncs.
    pub events_sync_token: Option<String>,
    /// Highest task `modified_at` seen (the `modified_since` fallback).
    pub tasks_modified_watermark: Option<DateTime<Utc>>,
    /// Pages its last full crawl read: what a crawl costs.
    pub crawl_pages: Option<i32>,
}

/// Upserts a page of projects in one statement.
pub async fn upsert_page(
    db: impl PgExecutor<'_>,
    rows: &[ProjectRow],
    synced_at: DateTime<Utc>,
) -> Result<UpsertCounts> {
    let input: Vec<serde_json::Value> = rows.iter().map(with_hash).collect();
    let counts = sqlx::query_as(
        r#"
        with input as (
            select * from jsonb_to_recordset($1) as r(
                asana_gid text, name text, notes text, archived boolean, public boolean,
                privacy_setting text, asana_permalink_url text, portfolio_gid text,
                workspace_gid text, workspace_name text, team_gid text, team_name text,
                created_at timestamptz, modified_at timestamptz, content_hash text)
        ),
        prior as (
            select p.asana_gid, p.content_hash, p.removed_from_portfolio_at
            from projects p join input using (asana_gid)
        ),
        up as (
            insert into projects (asana_gid, name, notes, archived, public, privacy_setting,
                asana_permalink_url, portfolio_gid, workspace_gid, workspace_name, team_gid,
                team_name, created_at, modified_at, content_hash, updated_at, last_synced_at)
            select asana_gid, name, notes, archived, public, privacy_setting,
                asana_permalink_url, portfolio_gid, workspace_gid, workspace_name, team_gid,
                team_name, created_at, modified_at, content_hash, $2, $2
            from input
            on conflict (asana_gid) do update set
                name = excluded.name, notes = excluded.notes, archived = excluded.archived,
                public = excluded.public, privacy_setting = excluded.privacy_setting,
                asana_permalink_url = excluded.asana_permalink_url,
                portfolio_gid = excluded.portfolio_gid, workspace_gid = excluded.workspace_gid,
                workspace_name = excluded.workspace_name, team_gid = excluded.team_gid,
                team_name = excluded.team_name, created_at = excluded.created_at,
                modified_at = excluded.modified_at, content_hash = excluded.content_hash,
                updated_at = case
                    when projects.content_hash is distinct from excluded.content_hash
                        or projects.removed_from_portfolio_at is not null
                    then excluded.updated_at else projects.updated_at end,
                last_synced_at = excluded.last_synced_at,
                removed_from_portfolio_at = null
            returning asana_gid, content_hash
        )
        select
            count(*) filter (where prior.asana_gid is null) as created,
            count(*) filter (where prior.asana_gid is not null
                and (prior.content_hash is distinct from up.content_hash
                     or prior.removed_from_portfolio_at is not null)) as updated,
            count(*) filter (where prior.content_hash = up.content_hash
                and prior.removed_from_portfolio_at is null) as unchanged
        from up left join prior using (asana_gid)
        "#,
    )
    .bind(Json(input))
    .bind(synced_at)
    .fetch_one(db)
    .await?;
    Ok(counts)
}

fn with_hash(row: &ProjectRow) -> serde_json::Value {
    let mut value = serde_json::to_value(row).unwrap_or_default();
    value["content_hash"] = content_hash(row).into();
    value
}

/// Marks the portfolio's projects that were not listed this time as removed
/// from it; returns their gids.
pub async fn mark_removed(
    db: impl PgExecutor<'_>,
    portfolio_gid: &str,
    listed_gids: &[String],
    at: DateTime<Utc>,
) -> Result<Vec<String>> {
    let gids = sqlx::query_scalar(
        r#"
        update projects set removed_from_portfolio_at = $3, updated_at = $3
        where portfolio_gid = $1 and removed_from_portfolio_at is null
          and not (asana_gid = any($2))
        returning asana_gid
        "#,
    )
    .bind(portfolio_gid)
    .bind(listed_gids)
    .bind(at)
    .fetch_all(db)
    .await?;
    Ok(gids)
}

/// `select <ProjectState columns> from projects <tail>`, as a static string.
macro_rules! select_state {
    ($tail:literal) => {
        concat!(
            "select id, asana_gid, name, archived, removed_from_portfolio_at, last_synced_at, ",
            "last_tasks_sync_at, last_full_sync_at, events_sync_token, tasks_modified_watermark, ",
            "crawl_pages ",
            "from projects ",
            $tail
        )
    };
}

/// Every project, by name.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<ProjectState>> {
    Ok(sqlx::query_as(select_state!("order by name, asana_gid"))
        .fetch_all(db)
        .await?)
}

/// The projects of one portfolio (those that left it included), by name.
pub async fn of_portfolio(
    db: impl PgExecutor<'_>,
    portfolio_gid: &str,
) -> Result<Vec<ProjectState>> {
    Ok(sqlx::query_as(select_state!(
        "where portfolio_gid = $1 order by name, asana_gid"
    ))
    .bind(portfolio_gid)
    .fetch_all(db)
    .await?)
}

/// One project by gid.
pub async fn by_gid(db: impl PgExecutor<'_>, gid: &str) -> Result<Option<ProjectState>> {
    Ok(sqlx::query_as(select_state!("where asana_gid = $1"))
        .bind(gid)
        .fetch_optional(db)
        .await?)
}

/// How a project's tasks were synced, as [`record_tasks_synced`] stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncedHow<'a> {
    /// It crawled every page.
    pub full: bool,
    /// Why it crawled instead of reading events (none: it read events).
    pub crawl_reason: Option<&'a str>,
    /// The pages a full crawl read (its cost for the next plan).
    pub crawl_pages: Option<i32>,
}

/// Records a completed sync of a project's tasks and its incremental state.
pub async fn record_tasks_synced(
    db: impl PgExecutor<'_>,
    project_id: i64,
    events_sync_token: Option<&str>,
    watermark: Option<DateTime<Utc>>,
    how: SyncedHow<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        r#"
        update projects set
            last_tasks_sync_at = $5,
            last_full_sync_at = case when $4 then $5 else last_full_sync_at end,
            events_sync_token = coalesce($2, events_sync_token),
            events_sync_token_at = case when $2 is null then events_sync_token_at else $5 end,
            last_sync_mode = case when $6::text is null then 'events' else 'crawl' end,
            last_sync_reason = $6,
            tasks_modified_watermark = greatest(tasks_modified_watermark, $3),
            crawl_pages = case when $4 then coalesce($7, crawl_pages) else crawl_pages end
        where id = $1
        "#,
    )
    .bind(project_id)
    .bind(events_sync_token)
    .bind(watermark)
    .bind(how.full)
    .bind(at)
    .bind(how.crawl_reason)
    .bind(how.crawl_pages)
    .execute(db)
    .await?;
    Ok(())
}
