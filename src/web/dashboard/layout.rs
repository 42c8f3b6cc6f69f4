//! The frame every page shares: head, navigation, flash message, footer
//! (who is signed in, or that access is open), the embedded stylesheet, the
//! CSRF-carrying action forms, and the error page.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, StatusCode, Uri, header, request::Parts},
    response::{IntoResponse, Response},
};
use maud::{DOCTYPE, Markup, html};

use super::{
    DashboardState,
    access::{Access, Role, Via},
    cookies::{self, Tone},
    csrf,
};

/// What a page needs of its request: who asks, the CSRF token for its
/// forms, the flash message, where it is (to come back after an action).
#[derive(Debug, Clone)]
pub(super) struct Page {
    pub(super) access: Option<Access>,
    pub(super) csrf: csrf::Token,
    flash: Option<(Tone, String)>,
    /// Path and query.
    pub(super) here: String,
    refresh: bool,
}

impl Page {
    pub(super) fn new(
        _state: &DashboardState,
        headers: &HeaderMap,
        uri: &Uri,
        access: Option<Access>,
    ) -> Page {
        let here = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let refresh = uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "refresh=on"));
        Page {
            access,
            csrf: csrf::Token::of(headers),
            flash: cookies::read_flash(headers),
            here,
            refresh,
        }
    }

    /// Whether the caller may act (and so sees action buttons).
    pub(super) fn can_act(&self) -> bool {
        self.access.is_some_and(|a| a.role == Role::Admin)
    }

    /// The page, 200, with its cookies: a new CSRF token, the flash read.
    pub(super) fn render(&self, title: &str, body: Markup) -> Response {
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    @if self.refresh { meta http-equiv="refresh" content="10"; }
                    title { (title) " · aegis" }
                    link rel="stylesheet" href="/style.css";
                }
                body {
                    (self.nav())
                    main {
                        h1 { (title) }
                        @if let Some((tone, text)) = &self.flash {
                            p #flash class={ "flash " (if *tone == Tone::Ok { "ok" } else { "error" }) } { (text) }
                        }
                        (body)
                    }
                    (self.footer())
                }
            }
        };
        let mut response = markup.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        if self.csrf.fresh {
            headers.append(
                header::SET_COOKIE,
                cookies::set(cookies::CSRF, &self.csrf.value, None),
            );
        }
        if self.flash.is_some() {
            headers.append(header::SET_COOKIE, cookies::delete(cookies::FLASH));
        }
        response
    }

    fn nav(&self) -> Markup {
        let links = [
            ("/", "Overview"),
            ("/projects", "Projects"),
            ("/runs", "Runs"),
            ("/jobs", "Jobs"),
            ("/dead", "Dead letters"),
        ];
        let path = self.here.split('?').next().unwrap_or("/");
        html! {
            nav {
                span.brand { "aegis" }
                @for (href, label) in links {
                    @let current = if href == "/" { path == "/" } else { path.starts_with(href) };
                    a href=(href) class=[current.then_some("current")] { (label) }
                }
                a.refresh href=(self.refresh_toggle()) {
                    @if self.refresh { "auto-refresh: on" } @else { "auto-refresh: off" }
                }
            }
        }
    }

    /// This page's address with its `refresh=on` toggled.
    fn refresh_toggle(&self) -> String {
        let (path, query) = self.here.split_once('?').unwrap_or((&self.here, ""));
        let mut pairs: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("refresh="))
            .collect();
        if !self.refresh {
            pairs.push("refresh=on");
        }
        if pairs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", pairs.join("&"))
        }
    }

    fn footer(&self) -> Markup {
        html! {
            footer {
                @match self.access {
                    Some(Access { via: Via::Open, .. }) => span #access { "Open access: no credentials are configured (allowed on a loopback address only)." },
                    Some(Access { role, via }) => {
                        span #access {
                            "Signed in " (if role == Role::Admin { "as admin" } else { "read-only" })
                            " (" (match via { Via::Bearer => "bearer token", Via::Basic => "basic auth", _ => "session cookie" }) ")."
                        }
                        @if via == Via::Cookie { (self.form("/logout", "Sign out", html! {})) }
                    },
                    None => span #access { "Not signed in." },
                }
            }
        }
    }

    /// A POST form to `action` with the CSRF token, this page as where to
    /// come back, `fields` and a button labelled `label`.
    pub(super) fn form(&self, action: &str, label: &str, fields: Markup) -> Markup {
        html! {
            form.action method="post" action=(action) {
                input type="hidden" name=(csrf::FIELD) value=(self.csrf.value);
                input type="hidden" name="back" value=(self.here);
                (fields)
                button type="submit" { (label) }
            }
        }
    }

    /// [`Page::form`] when the caller may act; nothing otherwise.
    pub(super) fn action(&self, action: &str, label: &str) -> Markup {
        if self.can_act() {
            self.form(action, label, html! {})
        } else {
            html! {}
        }
    }
}

impl FromRequestParts<DashboardState> for Page {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &DashboardState,
    ) -> Result<Page, Self::Rejection> {
        let access = parts.extensions.get::<Access>().copied();
        Ok(Page::new(state, &parts.headers, &parts.uri, access))
    }
}

/// Where to go back to: a path of this site, else the overview.
pub(super) fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_owned(),
        _ => "/".to_owned(),
    }
}

/// 403: the CSRF token is missing or wrong.
pub(super) fn csrf_refused(page: &Page) -> Response {
    refused(
        page,
        "Missing or wrong CSRF token: reload the page and try again.",
    )
}

pub(super) fn refused(page: &Page, why: &str) -> Response {
    let mut response = page.render("Refused", html! { p #refused .flash.error { (why) } });
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

/// What stops a page from being read.
#[derive(Debug, thiserror::Error)]
pub(super) enum PageError {
    #[error(transparent)]
    Queue(#[from] crate::queue::Error),
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Health(#[from] crate::health::Error),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = match self {
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            _ => {
                tracing::error!(error.message = %self, error.cause_chain = ?self, "a dashboard page failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Error · aegis" } link rel="stylesheet" href="/style.css"; }
                body { main { h1 { "Error" } p.flash.error #error { (self) } p { a href="/" { "Back to the overview" } } } }
            }
        };
        (status, markup).into_response()
    }
}

/// The result of a page handler.
pub(super) type PageResult = Result<Response, PageError>;

/// `GET /style.css`.
pub(super) async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        CSS,
    )
        .into_response()
}

const CSS: &str = r#"
:root { --fg: #1d2330; --muted: #6b7385; --line: #dde1e8; --bg: #f6f7f9; --card: #fff;
  --accent: #3451b2; --ok: #1a7f37; --warn: #9a6700; --bad: #c9302c; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
nav { display: flex; gap: 4px; align-items: center; padding: 8px 20px; background: #1d2330; }
nav a { color: #c9d1e4; text-decoration: none; padding: 6px 10px; border-radius: 6px; }
nav a.current, nav a:hover { background: #34405a; color: #fff; }
nav .brand { color: #fff; font-weight: 700; margin-right: 14px; letter-spacing: .04em; }
nav .refresh { margin-left: auto; font-size: 12px; }
main { padding: 16px 20px 40px; max-width: 1300px; }
h1 { font-size: 20px; margin: 4px 0 14px; } h2 { font-size: 15px; margin: 22px 0 8px; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
th, td { text-align: left; padding: 6px 9px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef0f4; font-weight: 600; font-size: 12px; color: #444c5e; }
th a { color: inherit; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:last-child td { border-bottom: 0; }
a { color: var(--accent); }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; }
pre { background: var(--card); border: 1px solid var(--line); padding: 10px; overflow: auto; border-radius: 6px; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; background: #e7eaf0; }
.badge.done, .badge.closed, .badge.events { background: #dcf3e3; color: var(--ok); }
.badge.dead, .badge.failed, .badge.open, .badge.unauthorized, .badge.stale { background: #fde2e1; color: var(--bad); }
.badge.retrying, .badge.scheduled, .badge.partial, .badge.crawl, .badge.paused { background: #fff1cc; color: var(--warn); }
.badge.running, .badge.pending, .badge.queued { background: #dfe7ff; color: var(--accent); }
.flash { padding: 8px 12px; border-radius: 6px; border: 1px solid; }
.flash.ok { background: #e8f6ec; border-color: #b4e0c0; color: var(--ok); }
.flash.error { background: #fdecec; border-color: #f2c0bf; color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 10px; margin-bottom: 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card .n { font-size: 22px; font-weight: 650; } .card .l { color: var(--muted); font-size: 12px; }
form.action { display: inline; margin: 0 2px; }
form.filters, form.login, form.purge { display: flex; gap: 8px; align-items: end; flex-wrap: wrap; margin: 0 0 12px; }
button { font: inherit; font-size: 12px; padding: 3px 10px; border: 1px solid #b8bfcc; border-radius: 5px; background: #fff; cursor: pointer; }
button:hover { border-color: var(--accent); color: var(--accent); }
input, select { font: inherit; padding: 3px 6px; border: 1px solid #b8bfcc; border-radius: 5px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
dt { color: var(--muted); } dd { margin: 0; }
footer { padding: 10px 20px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); display: flex; gap: 10px; align-items: center; }
"#;
