//! Who gets in and who may act: a configured token refuses anonymous
//! requests, the read-only token sees pages without action buttons and gets
//! 403 on a POST, a POST without its CSRF token is refused, the login form
//! signs a browser in, and `aegis dashboard` will not listen beyond
//! loopback without credentials.

use aegis::{queue::JobState, web::dashboard::DashboardAuth};
use reqwest::{StatusCode, header, redirect::Policy};
use secrecy::SecretString;
use sqlx::PgPool;

use super::{screenshot, seed, serve, state_of, webdriver::Driver};

const ADMIN: &str = "admin-token-for-tests";
const READER: &str = "reader-token-for-tests";

fn tokens() -> DashboardAuth {
    DashboardAuth::open()
        .with_token(SecretString::from(ADMIN))
        .with_readonly_token(SecretString::from(READER))
}

/// A form body (the values here need no escaping).
trait FormBody {
    fn form_body(self, pairs: &[(&str, &str)]) -> Self;
}

impl FormBody for reqwest::RequestBuilder {
    fn form_body(self, pairs: &[(&str, &str)]) -> Self {
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.join("&"))
    }
}

fn http() -> reqwest::Client {
    super::webdriver::plain_http()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

#[sqlx::test(migrations = false)]
async fn a_token_is_required_and_the_read_only_role_cannot_act(pool: PgPool) {
    let seeded = seed(pool).await;
    let pool = seeded.app.pool.clone();
    let served = serve(&pool, tokens()).await;
    let http = http();
    let page = |token: Option<&str>| {
        let request = http.get(format!("{}/dead", served.url));
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    };
    let anonymous = page(None).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.text().await.unwrap().contains("name=\"token\""),
        "the login form"
    );
    assert_eq!(
        page(Some("wrong")).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let reader = page(Some(READER)).send().await.unwrap();
    assert_eq!(reader.status(), StatusCode::OK);
    let html = reader.text().await.unwrap();
    assert!(
        html.contains(&seeded.dead_access) && html.contains("read-only"),
        "{html}"
    );
    assert!(
        !html.contains("/retry\"") && !html.contains("<button"),
        "no action buttons: {html}"
    );
    assert!(
        !html.contains(ADMIN) && !html.contains(READER),
        "no secret on a page"
    );

    let retry = format!("{}/jobs/{}/retry", served.url, seeded.dead_access);
    let refused = http
        .post(&retry)
        .bearer_auth(READER)
        .form_body(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(state_of(&pool, &seeded.dead_access).await, JobState::Dead);

    let admin = http
        .post(&retry)
        .bearer_auth(ADMIN)
        .form_body(&[("back", "/dead")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        admin.status(),
        StatusCode::SEE_OTHER,
        "a bearer request needs no CSRF token"
    );
    assert_eq!(admin.headers()[header::LOCATION], "/dead");
    assert_eq!(
        state_of(&pool, &seeded.dead_access).await,
        JobState::Pending
    );
}

#[sqlx::test(migrations = false)]
async fn a_post_without_its_csrf_token_is_refused(pool: PgPool) {
    let seeded = seed(pool).await;
    let pool = seeded.app.pool.clone();
    let served = serve(&pool, DashboardAuth::open()).await;
    let http = http();
    let retry = format!("{}/jobs/{}/retry", served.url, seeded.dead_token);
    let token = "a".repeat(64);
    let cookie = format!("aegis_csrf={token}");
    type Case<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)]);
    let cases: [Case<'_>; 3] = [
        (None, &[]),
        (Some(&cookie), &[]),
        (Some(&cookie), &[("csrf", "b")]),
    ];
    for (cookie, form) in cases {
        let mut request = http.post(&retry).form_body(form);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{cookie:?} {form:?}"
        );
        assert!(response.text().await.unwrap().contains("CSRF"));
    }
    assert_eq!(state_of(&pool, &seeded.dead_token).await, JobState::Dead);
    let matching = http
        .post(&retry)
        .header(header::COOKIE, &cookie)
        .form_body(&[("csrf", token.as_str())]);
    assert_eq!(
        matching.send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(state_of(&pool, &seeded.dead_token).await, JobState::Pending);
}

#[sqlx::test(migrations = false)]
async fn the_login_form_signs_a_browser_in(pool: PgPool) {
    let seeded = seed(pool).await;
    let served = serve(&seeded.app.pool, tokens()).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    browser.goto(&format!("{}/runs", served.url)).await;
    let field = browser.wait_for("#token").await;
    browser.screenshot(&screenshot("login")).await;
    browser.send_keys(&field, "not the token").await;
    browser.click(&browser.wait_for("#sign-in").await).await;
    browser.wait_for_text(".flash.error", "not right").await;
    let field = browser.wait_for("#token").await;
    browser.send_keys(&field, ADMIN).await;
    browser.click(&browser.wait_for("#sign-in").await).await;
    browser.wait_for_text("#runs", "inline").await;
    browser.wait_for_text("#access", "as admin").await;
    browser.close().await;
}

#[test]
fn the_dashboard_refuses_a_public_address_without_credentials() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_aegis"))
        .args(["dashboard", "--listen", "0.0.0.0:0"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env_remove("AEGIS_DASHBOARD_TOKEN")
        .env_remove("AEGIS_DASHBOARD_READONLY_TOKEN")
        .env_remove("AEGIS_DASHBOARD_USER")
        .env_remove("AEGIS_DASHBOARD_PASSWORD")
        .output()
        .expect("aegis runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("AEGIS_DASHBOARD_TOKEN"), "{stderr}");
}
