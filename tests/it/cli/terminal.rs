//! `aegis sync` on a real terminal (tmux, 80 columns): the live lines show
//! the current project's tasks and requests, the run's requests against
//! what the last run of its mode cost with an ETA, and a 429's
//! `Retry-After` while it holds the requests; once the sync ends no bar is
//! left behind and every line of aegis's own output (the summary table
//! and lines) fits the 80 columns.

use std::{process::Command, time::Duration};

use fake_asana::faults::{FaultKind, FaultRule};
use sqlx::PgPool;

use super::{aegis, sync_env};
use crate::helpers;

/// A tmux server of its own running one command in an 80-column window.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(script: &std::path::Path) -> Tmux {
        let socket = format!("aegis-test-{}", uuid::Uuid::new_v4().simple());
        let command = format!("bash {}; echo EXIT $?; sleep 120", script.display());
        let started = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-x", "80", "-y", "50"])
            .arg(command)
            .status()
            .expect("tmux runs (install it: apt-get install tmux)");
        assert!(started.success());
        Tmux { socket }
    }

    /// The window's whole history; `joined` joins lines the terminal wrapped.
    fn screen(&self, joined: bool) -> String {
        let mut args = vec!["-L", &self.socket, "capture-pane", "-p", "-S", "-"];
        if joined {
            args.push("-J");
        }
        let out = Command::new("tmux")
            .args(&args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[sqlx::test(migrations = false)]
async fn the_terminal_shows_progress_and_leaves_a_summary_in_80_columns(pool: PgPool) {
    helpers::migrated(&pool).await;
    let fake = fake_asana::FakeAsana::spawn(fake_asana::Config {
        preset: fake_asana::generate::Preset::Demo,
        ..fake_asana::Config::default()
    })
    .await
    .expect("the fake starts");
    let mut env = sync_env(&pool, &fake);
    env.push(("ASANA_REQUESTS_PER_MINUTE", "1200".to_owned()));
    // The last full run's cost is what the next one expects.
    let first = aegis(&env, &["sync", "--full", "--no-console"]).await;
    assert_eq!(first.code, Some(0), "{}", first.both());
    // Its pacing by the budget is a wait of its own, beside 429s.
    let (paced, waited): (i64, i64) = sqlx::query_as("select paced_ms, waited_ms from sync_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        paced > 1000 && waited == 0,
        "paced {paced} ms, waited {waited} ms"
    );
    assert!(first.stdout.contains("  waited: "), "{}", first.stdout);
    fake.add_fault(FaultRule {
        route: "/tasks/*/subtasks".into(),
        query_contains: None,
        fault: FaultKind::RateLimited { retry_after: 2 },
        times: Some(1),
        probability: None,
    });
    let script = std::env::temp_dir().join(format!("aegis-{}.sh", uuid::Uuid::new_v4()));
    let exports: String = env
        .iter()
        .map(|(k, v)| format!("export {k}='{v}'\n"))
        .collect();
    let bin = env!("CARGO_BIN_EXE_aegis");
    std::fs::write(&script, format!("{exports}exec {bin} sync --full\n")).unwrap();
    let tmux = Tmux::start(&script);
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while !tmux.screen(true).contains("EXIT ") {
        seen.push(tmux.screen(true));
        assert!(tokio::time::Instant::now() < deadline, "the sync ends");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_file(&script);
    let during = seen.join("\n");
    for shown in ["tasks ", " requests", "of ~", "ETA ", "waited: budget"] {
        assert!(
            during.contains(shown),
            "{shown:?} shown while it runs: {during}"
        );
    }
    assert!(
        during.contains("waiting out a 429 (Retry-After, "),
        "the 429's wait shown in place: {during}"
    );
    let end = tmux.screen(true);
    assert!(end.contains("EXIT 0"), "{end}");
    assert!(!end.contains("reading the portfolio"), "no bar left: {end}");
    assert!(!end.contains("projects ["), "no bar left: {end}");
    assert!(!end.contains("WARN"), "no warning for a 429: {end}");
    // Log lines (a timestamp first) are as long as they are; the rest is
    // aegis's own output and must fit: each of its lines is a whole line
    // of the terminal, not wrapped.
    let unwrapped = tmux.screen(false);
    for line in end.lines().filter(|l| !l.starts_with("20")) {
        assert!(
            unwrapped.lines().any(|u| u.trim_end() == line.trim_end()),
            "wider than 80 columns: {line:?}"
        );
    }
}
