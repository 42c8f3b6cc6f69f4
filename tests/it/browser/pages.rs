//! Every page in headless Chromium against the seeded database, with open
//! access (loopback, no credentials), and a retry and a cancel clicked
//! through the UI, checked afterwards through the library.

use aegis::{queue::JobState, web::dashboard::DashboardAuth};
use sqlx::PgPool;

use super::{screenshot, seed, serve, state_of, webdriver::Driver};

#[sqlx::test(migrations = false)]
async fn every_page_renders_and_the_ui_retries_and_cancels(pool: PgPool) {
    let seeded = seed(pool).await;
    let pool = seeded.app.pool.clone();
    let served = serve(&pool, DashboardAuth::open()).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    let url = |path: &str| format!("{}{path}", served.url);

    // Overview: counts per kind and state, throughput, workers, footer.
    browser.goto(&url("/")).await;
    let stats = browser.wait_for_text("#stats", "sync-project-tasks").await;
    assert!(stats.contains("oldest pending"), "{stats}");
    browser.wait_for_text("#total-dead", "3").await;
    browser
        .wait_for_text("#throughput", "sync-project-tasks")
        .await;
    browser.wait_for_text("#workers", "dash-host-1").await;
    browser.wait_for_text("#access", "Open access").await;
    browser.screenshot(&screenshot("overview")).await;

    // Projects: every project, stale first, with its dead jobs.
    browser.goto(&url("/projects")).await;
    let projects = browser.wait_for_text("#projects", &seeded.gids[0]).await;
    for gid in &seeded.gids {
        assert!(projects.contains(gid), "{gid} in {projects}");
    }
    assert!(
        projects.contains("events"),
        "the next sync reads events: {projects}"
    );
    browser.screenshot(&screenshot("projects")).await;
    browser.goto(&url("/projects?sort=name")).await;
    browser.wait_for("#projects").await;

    // Runs: the inline sync, then its per-project figures.
    browser.goto(&url("/runs")).await;
    browser.wait_for_text("#runs", "inline").await;
    browser.screenshot(&screenshot("runs")).await;
    browser
        .click(&browser.wait_for("#runs tbody a").await)
        .await;
    let run = browser.wait_for_text("#run", "against a floor of").await;
    assert!(run.contains("done"), "{run}");
    browser
        .wait_for_text("#run-projects", &seeded.gids[1])
        .await;
    browser.screenshot(&screenshot("run")).await;

    // Jobs, filtered; one job's detail.
    browser.goto(&url("/jobs?state=dead")).await;
    let dead = browser.wait_for_text("#jobs", &seeded.dead_access).await;
    assert!(!dead.contains(&seeded.pending), "only dead jobs: {dead}");
    browser
        .goto(&url(&format!("/jobs?project={}", seeded.gids[2])))
        .await;
    let of_project = browser.wait_for_text("#jobs", &seeded.scheduled).await;
    assert!(
        of_project.contains(&seeded.exhausted) && !of_project.contains(&seeded.pending),
        "{of_project}"
    );
    browser.screenshot(&screenshot("jobs")).await;
    browser
        .goto(&url(&format!("/jobs/{}", seeded.dead_token)))
        .await;
    browser.wait_for_text("#last-error", "(401)").await;
    browser.wait_for_text("#payload", &seeded.gids[1]).await;
    browser.screenshot(&screenshot("job")).await;

    // Dead letters by reason; retry one through its button.
    browser.goto(&url("/dead")).await;
    let groups = browser.wait_for_text("#dead-groups", "token").await;
    for group in ["access", "exhausted"] {
        assert!(groups.contains(group), "{group} in {groups}");
    }
    browser.screenshot(&screenshot("dead")).await;
    let retry = format!(
        "table.dead form[action=\"/jobs/{}/retry\"] button",
        seeded.dead_access
    );
    browser.click(&browser.wait_for(&retry).await).await;
    browser.wait_for_text("#flash", "pending again").await;
    assert_eq!(
        state_of(&pool, &seeded.dead_access).await,
        JobState::Pending
    );
    assert_eq!(
        state_of(&pool, &seeded.dead_token).await,
        JobState::Dead,
        "only the one clicked"
    );

    // Retry a whole group: the exhausted one.
    let group = "tr[data-reason=\"exhausted\"] button";
    browser.click(&browser.wait_for(group).await).await;
    browser.wait_for_text("#flash", "group exhausted").await;
    assert_eq!(state_of(&pool, &seeded.exhausted).await, JobState::Pending);

    // Cancel the pending job from the jobs list.
    browser.goto(&url("/jobs?state=pending")).await;
    let cancel = format!("form[action=\"/jobs/{}/cancel\"] button", seeded.pending);
    browser.click(&browser.wait_for(&cancel).await).await;
    browser.wait_for_text("#flash", "Cancelled job").await;
    assert_eq!(state_of(&pool, &seeded.pending).await, JobState::Cancelled);

    // Run the scheduled one now, from its page.
    browser
        .goto(&url(&format!("/jobs/{}", seeded.scheduled)))
        .await;
    let run_now = format!("form[action=\"/jobs/{}/run-now\"] button", seeded.scheduled);
    browser.click(&browser.wait_for(&run_now).await).await;
    browser.wait_for_text("#flash", "runnable now").await;
    assert_eq!(state_of(&pool, &seeded.scheduled).await, JobState::Pending);

    // Pause and resume a kind from the overview.
    browser.goto(&url("/")).await;
    let pause = "form[action=\"/kinds/sync-portfolio/pause\"] button";
    browser.click(&browser.wait_for(pause).await).await;
    browser.wait_for_text("#flash", "is paused").await;
    let paused = aegis::queue::paused(&pool, &aegis_jobs::Queues::default())
        .await
        .unwrap();
    assert_eq!(paused.len(), 1, "{paused:?}");
    let resume = "form[action=\"/kinds/sync-portfolio/resume\"] button";
    browser.click(&browser.wait_for(resume).await).await;
    browser.wait_for_text("#flash", "resumed").await;
    browser.close().await;
}
