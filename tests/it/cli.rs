//! The `aegis` binary end to end: each test runs the real executable with a
//! clean environment against its own database and, where Asana is
//! involved, the fake over HTTP. Exit codes, what is printed, and that the
//! token and database passwords never are.

use std::process::Output;

use fake_asana::{
    Config, FakeAsana,
    faults::{FaultKind, FaultRule},
};
use reqwest::Url;
use sqlx::PgPool;

use crate::helpers;

/// Asana refusing the configured portfolio or base URL: exit 2.
mod asana;
/// Too few database connections: the worker's start check, the pool's reason.
mod connections;
/// The database: not migrated, failing queries, a URL of another database.
mod database;
/// `status`, `workers`, `completions` and `man`.
mod health;
/// `enqueue` and `queue …`: what they accept, print and refuse.
mod jobs;
/// Every `--json` output against docs/json.md.
mod json;
/// Output cut short by a closed pipe: a quiet exit 0.
mod pipes;
/// `aegis sync` on a real terminal (tmux).
mod terminal;

/// What a run of the binary gave.
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn both(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `aegis args…` with only `env` set (tokio's process, so the fake
/// Asana keeps serving on the test's runtime meanwhile).
pub(crate) async fn aegis(env: &[(&str, String)], args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = tokio::process::Command::new(env!("CARGO_BIN_EXE_aegis"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .await
        .expect("aegis runs");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The URL of the test's own database: the suite's `DATABASE_URL` (host,
/// credentials, options) with the test database's name.
pub(crate) fn database_url(pool: &PgPool) -> String {
    let master = std::env::var("DATABASE_URL").expect("DATABASE_URL is set for the tests");
    let mut url = Url::parse(&master).expect("DATABASE_URL is a URL");
    url.set_path(
        pool.connect_options()
            .get_database()
            .expect("a database name"),
    );
    url.to_string()
}

/// Everything `aegis sync` needs, pointed at `fake` and `pool`'s database.
pub(crate) fn sync_env(pool: &PgPool, fake: &FakeAsana) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", database_url(pool)),
        ("ASANA_BASE_URL", fake.base_url.clone()),
        ("ASANA_ACCESS_TOKEN", fake.token.clone()),
        ("ASANA_PORTFOLIO_GID", fake.portfolio_gid.clone()),
    ]
}

async fn fake() -> FakeAsana {
    FakeAsana::spawn(Config::default())
        .await
        .expect("the fake starts")
}

pub(crate) async fn project_gid(pool: &PgPool, name: &str) -> String {
    sqlx::query_scalar("select asana_gid from projects where name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .expect("the project is stored")
}

/// Names of the projects that hold at least one task.
async fn projects_with_tasks(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "select distinct p.name from tasks t join projects p on p.id = t.project_id order by 1",
    )
    .fetch_all(pool)
    .await
    .expect("tasks are readable")
}

#[sqlx::test(migrations = false)]
async fn migrate_is_idempotent_and_says_what_it_did(pool: PgPool) {
    let env = [("DATABASE_URL", database_url(&pool))];
    let first = aegis(&env, &["migrate"]).await;
    assert_eq!(first.code, Some(0), "{}", first.both());
    assert!(first.stdout.contains("migration"), "{}", first.stdout);
    let second = aegis(&env, &["migrate"]).await;
    assert_eq!(second.code, Some(0), "{}", second.both());
    assert!(second.stdout.contains("up to date"), "{}", second.stdout);
    assert_eq!(second.stdout.lines().count(), 1);
}

/// A stored timestamp.
type At = Option<chrono::DateTime<chrono::Utc>>;

/// Runs the old tool's three documented queries verbatim, checks what they
/// return after a full sync of the seed portfolio, and gives Aegis's task count.
async fn seed_queries(pool: &PgPool) -> usize {
    let projects: Vec<(String, String, bool, At)> =
        sqlx::query_as("SELECT asana_gid, name, archived, last_synced_at FROM projects")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(projects.len(), 3);
    assert!(projects.iter().all(|p| p.3.is_some()));
    let tasks: Vec<(String, bool, Option<String>, At)> = sqlx::query_as(
        "SELECT t.name, t.completed, t.assignee_name, t.last_synced_at \
         FROM tasks t JOIN projects p ON t.project_id = p.id WHERE p.name = 'Aegis'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tasks.len() >= 37, "{}", tasks.len());
    assert!(tasks.iter().all(|t| t.3.is_some()));
    let state: Vec<(At, At)> =
        sqlx::query_as("SELECT last_portfolio_sync_at, last_tasks_sync_at FROM system_state")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(matches!(state[..], [(Some(_), Some(_))]), "{state:?}");
    tasks.len()
}

#[sqlx::test(migrations = false)]
async fn sync_stores_the_portfolio_and_status_reports_it(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let sync = aegis(&env, &["sync", "--no-console"]).await;
    assert_eq!(sync.code, Some(0), "{}", sync.both());
    assert!(
        sync.stdout.contains("Aegis") && sync.stdout.contains(" done "),
        "{}",
        sync.stdout
    );

    let aegis_tasks = seed_queries(&pool).await;

    let status = aegis(&env[..1], &["status", "--json"]).await;
    assert_eq!(status.code, Some(0), "{}", status.both());
    let json: serde_json::Value = serde_json::from_str(&status.stdout).expect("status is JSON");
    let listed = json["projects"].as_array().expect("a projects array");
    assert_eq!(listed.len(), 3);
    let aegis_row = listed
        .iter()
        .find(|p| p["name"] == "Aegis")
        .expect("Aegis listed");
    assert_eq!(aegis_row["tasks"].as_i64(), Some(aegis_tasks as i64));
    assert!(json["system_state"]["last_tasks_sync_at"].is_string());

    let runs = aegis(&env[..1], &["runs", "--json"]).await;
    let runs: serde_json::Value = serde_json::from_str(&runs.stdout).expect("runs is JSON");
    let runs = &runs["runs"];
    assert_eq!(runs[0]["status"], "done");
    // The run's row holds its projects' task figures: every stored task was
    // created by this first sync, and its summary line says so.
    let stored: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs[0]["tasks_created"].as_i64(), Some(stored));
    let line = format!("\n  tasks: {stored} created, 0 updated, 0 unchanged");
    assert!(sync.stdout.contains(&line), "{}", sync.stdout);
}

#[sqlx::test(migrations = false)]
async fn projects_only_sends_no_task_request(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let run = aegis(
        &sync_env(&pool, &fake),
        &["sync", "--no-console", "--projects-only"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    let log = fake.request_log();
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|r| !r.path.contains("/tasks")),
        "{:?}",
        log.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    assert!(projects_with_tasks(&pool).await.is_empty());
    // The inline sync drew from the token's budget shared with the workers.
    let keys: Vec<String> = sqlx::query_scalar("select key from rate_budgets")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        matches!(&keys[..], [key] if key.starts_with("sha256:")),
        "{keys:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn project_by_name_or_gid_touches_only_that_project(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let run = aegis(&env, &["sync", "--no-console", "--project", "Aegis"]).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    assert_eq!(projects_with_tasks(&pool).await, ["Aegis"]);

    let (aegis_gid, triptic) = (
        project_gid(&pool, "Aegis").await,
        project_gid(&pool, "Triptic").await,
    );
    fake.reset_stats();
    let run = aegis(&env, &["sync", "--no-console", "--project", &triptic]).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    assert_eq!(projects_with_tasks(&pool).await, ["Aegis", "Triptic"]);
    let log = fake.request_log();
    let mentions = |gid: &str| {
        log.iter()
            .any(|r| r.path.contains(gid) || r.query.contains(gid))
    };
    assert!(mentions(&triptic), "{log:?}");
    assert!(!mentions(&aegis_gid), "{log:?}");
}

#[sqlx::test(migrations = false)]
async fn a_partial_sync_exits_1_with_the_summary_and_the_run_to_inspect(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let run = aegis(&env, &["sync", "--no-console", "--projects-only"]).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    fake.add_fault(forbidden_tasks_of(&project_gid(&pool, "Triptic").await));
    let run = aegis(&env, &["sync", "--no-console"]).await;
    assert_eq!(run.code, Some(1), "{}", run.both());
    let failed = run.stdout.lines().find(|l| l.contains("Triptic"));
    assert!(
        failed.is_some_and(|l| l.contains("failed")),
        "{}",
        run.stdout
    );
    let error = error_line(&run);
    assert!(
        error.starts_with("error: 1 of 3 project(s) failed: Triptic"),
        "{error}"
    );
    let id: String = sqlx::query_scalar("select id::text from sync_runs where status = 'partial'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        error.ends_with(&format!("(see `aegis runs {id}` for details)")),
        "{error}"
    );
}

#[sqlx::test(migrations = false)]
async fn an_unknown_project_is_bad_usage_listing_the_known_ones(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let run = aegis(
        &sync_env(&pool, &fake),
        &["sync", "--no-console", "--project", "Nope"],
    )
    .await;
    assert_eq!(run.code, Some(2), "{}", run.both());
    let error = error_line(&run);
    assert!(
        error.starts_with("error: unknown project(s) Nope"),
        "{error}"
    );
    for known in ["Aegis", "Triptic", "Agents"] {
        assert!(error.contains(known), "{error}");
    }
    assert!(projects_with_tasks(&pool).await.is_empty());
}

#[sqlx::test(migrations = false)]
async fn a_wrong_token_fails_with_asanas_answer_and_never_prints_it(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let secret = "0/wrong-token-do-not-print".to_owned();
    let mut env = sync_env(&pool, &fake);
    env.retain(|(k, _)| *k != "ASANA_ACCESS_TOKEN");
    env.push(("ASANA_ACCESS_TOKEN", secret.clone()));
    env.push(("RUST_LOG", "trace".to_owned()));
    let run = aegis(&env, &["sync", "--no-console"]).await;
    // Configuration (the token), not work that failed.
    assert_eq!(run.code, Some(2), "{}", run.both());
    let error = error_line(&run);
    assert!(
        error.starts_with("error: Asana rejected the token (401)"),
        "{error}"
    );
    assert!(!run.both().contains(&secret), "the token leaked");
    assert!(
        !run.both().contains("wrong-token"),
        "part of the token leaked"
    );
}

/// The `error: …` line of stderr (log lines may come before and after).
pub(crate) fn error_line(run: &Run) -> &str {
    let mut errors = run.stderr.lines().filter(|l| l.starts_with("error: "));
    let line = errors.next().unwrap_or_default();
    assert_eq!(errors.next(), None, "one error line: {}", run.stderr);
    line
}

/// A configuration error: exit 2 and exactly one line on stderr.
/// A fault rule: every task listing of the project answers 403.
pub(crate) fn forbidden_tasks_of(project_gid: &str) -> FaultRule {
    FaultRule {
        route: "/tasks".into(),
        query_contains: Some(format!("project={project_gid}")),
        fault: FaultKind::Status {
            code: 403,
            message: "Forbidden".into(),
        },
        times: None,
        probability: None,
    }
}

fn assert_config_error(run: &Run, starts: &str) {
    assert_eq!(run.code, Some(2), "{}", run.both());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with(starts), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[tokio::test]
async fn missing_configuration_is_one_line_naming_the_variable() {
    let db = ("DATABASE_URL", "postgres://u@127.0.0.1:1/x".to_owned());
    let token = ("ASANA_ACCESS_TOKEN", "0/t".to_owned());
    let run = aegis(&[db.clone(), token.clone()], &["sync"]).await;
    assert_config_error(&run, "error: ASANA_PORTFOLIO_GID is not set (");
    let run = aegis(std::slice::from_ref(&db), &["sync"]).await;
    assert_config_error(
        &run,
        "error: ASANA_ACCESS_TOKEN and ASANA_PORTFOLIO_GID are not set",
    );
    let run = aegis(&[token], &["status"]).await;
    assert_config_error(&run, "error: DATABASE_URL is not set (");
    let bad_gid = [
        db,
        ("ASANA_ACCESS_TOKEN", "0/t".into()),
        ("ASANA_PORTFOLIO_GID", "abc".into()),
    ];
    let run = aegis(&bad_gid, &["sync"]).await;
    assert_config_error(&run, "error: ASANA_PORTFOLIO_GID must be an Asana gid");
}

#[tokio::test]
async fn an_unreachable_database_is_named_without_its_password() {
    let env = [(
        "DATABASE_URL",
        "postgres://aegis:hunter2@127.0.0.1:1/aegis".to_owned(),
    )];
    let run = aegis(&env, &["status"]).await;
    assert_config_error(
        &run,
        "error: cannot connect to the database at postgres://aegis:***@127.0.0.1:1/aegis",
    );
    assert!(!run.both().contains("hunter2"));
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let run = aegis(&[], &["sync", "--projects-only", "--project", "x"]).await;
    assert_eq!(run.code, Some(2), "{}", run.both());
    let run = aegis(&[], &["frobnicate"]).await;
    assert_eq!(run.code, Some(2), "{}", run.both());
}
