//! Asana refusing what aegis was configured with, before any project is
//! synced: the token (401, in `cli.rs`), the portfolio (403, 404), the base
//! URL (no Asana API there). Configuration, not work that failed: exit 2,
//! one line that names the variable to fix, and never the token.

use fake_asana::faults::{FaultKind, FaultRule};
use sqlx::PgPool;

use super::{Run, aegis, error_line, fake, sync_env};
use crate::helpers;

/// `aegis sync` against the fake with `changes` made to its environment;
/// checks the run is configuration (exit 2) that keeps the token secret,
/// and gives its error line.
async fn sync_with(pool: &PgPool, fake: &fake_asana::FakeAsana, changes: &[(&str, &str)]) -> Run {
    helpers::migrated(pool).await;
    let mut env = sync_env(pool, fake);
    for (name, value) in changes {
        env.retain(|(k, _)| k != name);
        env.push((*name, (*value).to_owned()));
    }
    let run = aegis(&env, &["sync", "--no-console"]).await;
    assert_eq!(run.code, Some(2), "{}", run.both());
    assert!(!run.both().contains(&fake.token), "the token leaked");
    run
}

#[sqlx::test(migrations = false)]
async fn a_portfolio_asana_does_not_know_is_configuration(pool: PgPool) {
    let fake = fake().await;
    let run = sync_with(&pool, &fake, &[("ASANA_PORTFOLIO_GID", "1999999999999")]).await;
    let error = error_line(&run);
    assert!(
        error.starts_with(
            "error: portfolio 1999999999999 not found or not visible to this token (404)"
        ),
        "{error}"
    );
    assert!(error.ends_with(" (check ASANA_PORTFOLIO_GID)"), "{error}");
}

#[sqlx::test(migrations = false)]
async fn a_portfolio_the_token_may_not_see_is_configuration(pool: PgPool) {
    let fake = fake().await;
    fake.add_fault(FaultRule {
        route: "/portfolios/**".into(),
        query_contains: None,
        fault: FaultKind::Status {
            code: 403,
            message: "portfolio: Forbidden".into(),
        },
        times: None,
        probability: None,
    });
    let run = sync_with(&pool, &fake, &[]).await;
    let error = error_line(&run);
    let expected = format!(
        "error: portfolio {} is not accessible to this token (403): share it with the token's user",
        fake.portfolio_gid
    );
    assert!(error.starts_with(&expected), "{error}");
}

#[sqlx::test(migrations = false)]
async fn a_base_url_with_a_wrong_path_says_it_looks_wrong(pool: PgPool) {
    let fake = fake().await;
    let wrong = fake.base_url.replace("/api/1.0", "/wrong");
    assert_ne!(wrong, fake.base_url);
    let run = sync_with(&pool, &fake, &[("ASANA_BASE_URL", &wrong)]).await;
    let error = error_line(&run);
    assert!(error.contains("reached no Asana API route (404"), "{error}");
    assert!(
        error.ends_with("ASANA_BASE_URL looks wrong (Asana's is https://app.asana.com/api/1.0)"),
        "{error}"
    );
    assert!(!error.contains("not found or not visible"), "{error}");
}

#[sqlx::test(migrations = false)]
async fn an_unreachable_base_url_is_configuration_at_once_every_time(pool: PgPool) {
    let fake = fake().await;
    // Nothing listens on port 9 (discard) of loopback. The sixth run finds
    // the token's circuit open (five failures in a row) and still says why.
    let url = "http://127.0.0.1:9/api/1.0";
    for _ in 0..6 {
        let run = sync_with(&pool, &fake, &[("ASANA_BASE_URL", url)]).await;
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        let error = error_line(&run);
        assert!(
            error.starts_with("error: could not reach Asana at http://127.0.0.1:9 "),
            "{error}"
        );
        assert!(error.contains("Connection refused"), "{error}");
        assert!(
            error.ends_with("(check ASANA_BASE_URL and the network)"),
            "{error}"
        );
    }
    let runs: i64 = sqlx::query_scalar("select count(*) from sync_runs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(runs, 0, "no run was opened");
}
