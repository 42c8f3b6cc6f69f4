//! Scenario 2, `ingest`: 100,000 task rows through the store's page upsert
//! (`aegis::store::tasks::EncodedPage`, pages of 100, one transaction each,
//! the next page encoded while one is written, as the sync writes them),
//! against `COPY` of the same rows (in turns: five rounds of each) and
//! against one upsert statement per row (a smaller sample), all in the same
//! run and the same database.

mod copy;
mod per_row;
mod rows;

use std::time::Instant;

use aegis::store::tasks::{EncodedPage, TaskRow};
use chrono::Utc;
use sqlx::PgPool;

use crate::{
    env::{Bench, progress},
    report::{Goal, Scenario},
};

/// Sizes of the scenario.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Rows through the page upsert and through COPY.
    pub rows: usize,
    /// Rows written one statement each.
    pub per_row: usize,
}

/// Runs the scenario into `s`.
pub async fn run(bench: &Bench, sizes: Sizes, s: &mut Scenario) -> anyhow::Result<()> {
    let db = bench.fresh_db("ingest").await?;
    let result = measure(&db.pool, sizes, s).await;
    bench.drop_db(db).await;
    result
}

async fn measure(pool: &PgPool, sizes: Sizes, s: &mut Scenario) -> anyhow::Result<()> {
    let projects = projects(pool).await?;
    copy::create_scratch(pool).await?;
    let all: Vec<TaskRow> = (0..sizes.rows).map(rows::task).collect();
    let bytes: usize = all.iter().map(|r| r.description.len()).sum();
    progress(&format!(
        "ingest: {} rows through the page upsert (pages of 100) and COPY, in {ROUNDS} rounds",
        all.len()
    ));
    let (upsert_s, copy_s) = rounds(pool, &projects, &all).await?;
    progress(&format!(
        "ingest: upsert {upsert_s:.1} s, COPY {copy_s:.1} s"
    ));
    let sample = &all[..sizes.per_row.min(all.len())];
    let (per_row, task_only) = per_row_rates(pool, sample, &projects).await?;
    check_counts(pool, all.len()).await?;
    let pages_of_1000 = pages_of_1000(pool, projects[0], all.len()).await?;
    let upsert = all.len() as f64 / upsert_s;
    let copy = all.len() as f64 / copy_s;
    s.put("rows", all.len() as u64)
        .put("per_row_sample", sample.len() as u64)
        .put("upsert_rows_per_s", upsert.round())
        .put("copy_rows_per_s", copy.round())
        .put_goal(
            "upsert_vs_copy",
            round3(upsert / copy),
            Some(Goal::AtLeast(0.5)),
        )
        .put("per_row_rows_per_s", per_row.round())
        .put_goal(
            "bulk_vs_per_row",
            round3(upsert / per_row),
            Some(Goal::AtLeast(10.0)),
        );
    s.detail("per_row_task_only_rows_per_s", task_only.round());
    s.detail("bulk_vs_per_row_task_only", round3(upsert / task_only));
    s.detail("upsert_s", round3(upsert_s));
    s.detail("upsert_rows_per_s_pages_of_1000", pages_of_1000.round());
    s.detail("copy_s", round3(copy_s));
    describe(s, bytes / all.len().max(1));
    Ok(())
}

/// What was measured, in words.
fn describe(s: &mut Scenario, notes_bytes: usize) {
    s.note(format!(
        "a row: a task with ~{} bytes of notes (and the same as HTML), tags, 2 memberships and \
         3 typed custom values, i.e. 6 table rows; upsert: EncodedPage, pages of 100, one \
         transaction each, the next encoded while one is written; COPY: text format, one \
         transaction per round, the same tasks, memberships and \
         custom values into LIKE-shaped scratch tables with their indexes; per_row: one \
         autocommit upsert per table row (task, then its memberships and values), rows/s \
         counted in tasks; per_row_task_only: the task row alone, as the replaced tool wrote; \
         pages_of_1000: half as many more rows, after the others, in pages of 1,000",
        notes_bytes
    ));
}

/// Writes `rows` through the page upsert in pages of `page`, one
/// transaction each, as the sync does: the next page is encoded while the
/// server writes this one (the sync fetches and encodes its next page
/// meanwhile); returns the seconds it took.
async fn upsert(pool: &PgPool, project: i64, rows: &[TaskRow], page: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut chunks = rows.chunks(page);
    let mut next = chunks.next().map(|c| encode(c, project)).transpose()?;
    while let Some(encoded) = next.take() {
        let mut tx = pool.begin().await?;
        let (written, following) = futures::join!(encoded.upsert(&mut *tx), async {
            chunks.next().map(|c| encode(c, project)).transpose()
        });
        written?;
        tx.commit().await?;
        next = following?;
    }
    Ok(started.elapsed().as_secs_f64())
}

fn encode(rows: &[TaskRow], project: i64) -> aegis::store::Result<EncodedPage> {
    EncodedPage::new(rows, project, Utc::now())
}

/// Rounds the rows are written in, each through the page upsert then COPY:
/// both see the same machine (a checkpoint, a busy neighbour) in turn.
const ROUNDS: usize = 5;

/// Writes `all` in [`ROUNDS`] rounds, each round's rows through the page
/// upsert then through COPY; returns the seconds each took in all.
async fn rounds(pool: &PgPool, projects: &[i64; 2], all: &[TaskRow]) -> anyhow::Result<(f64, f64)> {
    let (mut upsert_s, mut copy_s) = (0.0, 0.0);
    let round = all.len().div_ceil(ROUNDS).max(1);
    for (k, rows) in all.chunks(round).enumerate() {
        upsert_s += upsert(pool, projects[0], rows, 100).await?;
        let started = Instant::now();
        copy::copy_rows(pool, rows, projects, k * round + 1).await?;
        copy_s += started.elapsed().as_secs_f64();
    }
    Ok((upsert_s, copy_s))
}

/// Rows/s of `first / 2` more rows (after the others) in pages of 1,000.
async fn pages_of_1000(pool: &PgPool, project: i64, first: usize) -> anyhow::Result<f64> {
    let more: Vec<TaskRow> = (first..first * 3 / 2).map(rows::task).collect();
    progress(&format!(
        "ingest: {} more rows through upsert_page in pages of 1000",
        more.len()
    ));
    Ok(more.len() as f64 / upsert(pool, project, &more, 1000).await?)
}

/// Per-row task rows/s: with each task's children, and the task row alone.
async fn per_row_rates(
    pool: &PgPool,
    sample: &[TaskRow],
    projects: &[i64; 2],
) -> anyhow::Result<(f64, f64)> {
    per_row::create_scratch(pool).await?;
    progress(&format!(
        "ingest: {} rows one upsert per table row",
        sample.len()
    ));
    let started = Instant::now();
    per_row::write(pool, sample, projects, true).await?;
    let with_children = sample.len() as f64 / started.elapsed().as_secs_f64();
    per_row::truncate(pool).await?;
    progress(&format!(
        "ingest: {} task rows one upsert each",
        sample.len()
    ));
    let started = Instant::now();
    per_row::write(pool, sample, projects, false).await?;
    let alone = sample.len() as f64 / started.elapsed().as_secs_f64();
    Ok((with_children, alone))
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The two projects the rows are members of; returns their ids.
async fn projects(pool: &PgPool) -> anyhow::Result<[i64; 2]> {
    let mut ids = [0; 2];
    for (k, gid) in rows::PROJECTS.iter().enumerate() {
        ids[k] = sqlx::query_scalar(
            "insert into projects (asana_gid, name) values ($1, $2) returning id",
        )
        .bind(gid)
        .bind(format!("Bench project {k}"))
        .fetch_one(pool)
        .await?;
    }
    Ok(ids)
}

/// Checks that each method wrote what it should have.
async fn check_counts(pool: &PgPool, rows: usize) -> anyhow::Result<()> {
    let counts: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from tasks), (select count(*) from task_memberships), \
         (select count(*) from task_custom_fields), (select count(*) from copy_tasks), \
         (select count(*) from copy_memberships), (select count(*) from copy_custom_fields)",
    )
    .fetch_one(pool)
    .await?;
    let n = rows as i64;
    anyhow::ensure!(
        counts == (n, 2 * n, 3 * n, n, 2 * n, 3 * n),
        "ingest wrote unexpected row counts {counts:?} for {rows} rows"
    );
    Ok(())
}
