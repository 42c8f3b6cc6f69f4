//! Output cut short: a reader of stdout that goes away (`aegis runs | head
//! -1`) ends the command quietly with exit 0, as ripgrep does, instead of a
//! panic (exit 101, "failed printing to stdout: Broken pipe").

use std::process::Stdio;

use sqlx::PgPool;

use super::{
    Run, aegis, database_url, error_line, fake, forbidden_tasks_of, project_gid, sync_env,
};
use crate::helpers;

/// Runs `aegis args…` with only `env` set and stdout a pipe whose read end
/// is closed before aegis writes anything: its first write is a broken pipe.
async fn aegis_into_closed_pipe(env: &[(&str, String)], args: &[&str]) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_aegis"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aegis starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().await.expect("aegis runs");
    Run {
        code: output.status.code(),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[sqlx::test(migrations = false)]
async fn a_closed_stdout_ends_every_inspection_command_quietly(pool: PgPool) {
    helpers::migrated(&pool).await;
    let env = [
        ("DATABASE_URL", database_url(&pool)),
        ("ASANA_PORTFOLIO_GID", "42".to_owned()),
    ];
    for _ in 0..3 {
        let run = aegis(&env, &["enqueue", "sync"]).await;
        assert_eq!(run.code, Some(0), "{}", run.both());
    }
    let run_id = aegis(&env, &["enqueue", "sync"]).await.stdout;
    let list = aegis(&env, &["queue", "list", "--json"]).await;
    let jobs: serde_json::Value = serde_json::from_str(&list.stdout).expect("JSON");
    let job_id = jobs["jobs"][0]["id"].as_str().expect("a job id").to_owned();
    let commands: [&[&str]; 10] = [
        &["status"],
        &["status", "--json"],
        &["runs"],
        &["runs", "--limit", "1000", "--json"],
        &["runs", run_id.trim()],
        &["queue", "list"],
        &["queue", "list", "--json"],
        &["queue", "stats"],
        &["queue", "show", &job_id],
        &["enqueue", "sync"],
    ];
    for args in commands {
        let run = aegis_into_closed_pipe(&env, args).await;
        assert_eq!(run.code, Some(0), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_closed_stdout_after_a_sync_is_still_a_success(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let args = ["sync", "--no-console", "--projects-only"];
    let run = aegis_into_closed_pipe(&env, &args).await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // The log lines of a sync go to stderr; no error among them.
    assert!(!run.stderr.contains("error"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[sqlx::test(migrations = false)]
async fn a_closed_stdout_does_not_turn_a_partial_sync_into_a_success(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake().await;
    let env = sync_env(&pool, &fake);
    let run = aegis(&env, &["sync", "--no-console", "--projects-only"]).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    fake.add_fault(forbidden_tasks_of(&project_gid(&pool, "Triptic").await));
    let run = aegis_into_closed_pipe(&env, &["sync", "--no-console"]).await;
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let error = error_line(&run);
    assert!(
        error.starts_with("error: 1 of 3 project(s) failed: Triptic"),
        "{error}"
    );
}

#[sqlx::test(migrations = false)]
async fn a_piped_sync_logs_each_page_of_a_large_project(pool: PgPool) {
    helpers::migrated(&pool).await;
    let config = fake_asana::Config {
        preset: fake_asana::generate::Preset::Custom {
            projects: 1,
            tasks_per_project: 250,
        },
        ..fake_asana::Config::default()
    };
    let fake = fake_asana::FakeAsana::spawn(config)
        .await
        .expect("the fake starts");
    let mut env = sync_env(&pool, &fake);
    env.push(("ASANA_REQUESTS_PER_MINUTE", "100000".to_owned()));
    let run = aegis(&env, &["sync", "--no-console"]).await;
    assert_eq!(run.code, Some(0), "{}", run.both());
    let pages = run
        .stderr
        .lines()
        .filter(|l| l.contains("page of tasks synced") && l.contains("tasks=100"))
        .count();
    assert!(pages >= 2, "250 tasks are 3 pages (2 full): {}", run.stderr);
}
