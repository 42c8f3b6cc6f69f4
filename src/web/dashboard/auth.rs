//! Who may see the dashboard and who may act.
//!
//! Credentials ([`DashboardAuth`]): an admin token (`Authorization: Bearer`,
//! or typed into the login form, which sets a session cookie), basic auth
//! (user and password), and a read-only token that sees every page, no
//! action button, and gets 403 on every action. With none configured,
//! access is open (every visitor acts), which [`DashboardAuth::check_listen`]
//! allows on a loopback address only; the footer says so.
//!
//! Secrets are [`SecretString`]s, compared in constant time
//! ([`super::csrf::same`]), never logged nor in `Debug`. The session cookie
//! holds no secret: it is an HMAC of a fixed text keyed by the token, so it
//! survives a restart, and changing the token ends every session.

use std::net::SocketAddr;

use axum::{
    Form,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use hmac::{Hmac, Mac};
use maud::html;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;

use super::{
    DashboardState,
    access::{Access, Role, Via},
    cookies, csrf,
    layout::{Page, csrf_refused, safe_back},
};

/// The dashboard's credentials; [`DashboardAuth::open`] has none.
#[derive(Default)]
pub struct DashboardAuth {
    token: Option<SecretString>,
    readonly: Option<SecretString>,
    /// `user:password`, base64, as an `Authorization: Basic` header sends it.
    basic: Option<SecretString>,
}

impl DashboardAuth {
    /// No credentials: open access (loopback only).
    pub fn open() -> DashboardAuth {
        DashboardAuth::default()
    }

    /// Adds the admin token (bearer, or the login form).
    pub fn with_token(mut self, token: SecretString) -> DashboardAuth {
        self.token = Some(token);
        self
    }

    /// Adds the read-only token: pages, no actions.
    pub fn with_readonly_token(mut self, token: SecretString) -> DashboardAuth {
        self.readonly = Some(token);
        self
    }

    /// Adds basic auth (admin).
    pub fn with_basic(mut self, user: &str, password: &SecretString) -> DashboardAuth {
        let pair = format!("{user}:{}", password.expose_secret());
        self.basic = Some(SecretString::from(base64(pair.as_bytes())));
        self
    }

    /// Whether no credentials are configured.
    pub fn is_open(&self) -> bool {
        self.token.is_none() && self.readonly.is_none() && self.basic.is_none()
    }

    /// Whether the dashboard may listen on `addr` with these credentials.
    ///
    /// # Errors
    /// [`ListenError`] for a non-loopback address without credentials.
    pub fn check_listen(&self, addr: SocketAddr) -> Result<(), ListenError> {
        if self.is_open() && !addr.ip().is_loopback() {
            return Err(ListenError { addr });
        }
        Ok(())
    }

    /// The access a request's credentials give, if any.
    fn resolve(&self, key: &[u8; 32], headers: &HeaderMap) -> Option<Access> {
        if self.is_open() {
            return Some(Access {
                role: Role::Admin,
                via: Via::Open,
            });
        }
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            return self.resolve_header(key, value.to_str().ok()?);
        }
        let cookie = cookies::get(headers, cookies::SESSION)?;
        let role =
            self.role_of(|secret| csrf::same(key, session(secret).as_bytes(), cookie.as_bytes()))?;
        Some(Access {
            role,
            via: Via::Cookie,
        })
    }

    fn resolve_header(&self, key: &[u8; 32], value: &str) -> Option<Access> {
        let (scheme, credential) = value.trim().split_once(' ')?;
        let credential = credential.trim().as_bytes();
        let matches =
            |secret: &SecretString| csrf::same(key, secret.expose_secret().as_bytes(), credential);
        if scheme.eq_ignore_ascii_case("bearer") {
            let role = self.role_of(matches)?;
            return Some(Access {
                role,
                via: Via::Bearer,
            });
        }
        let basic = self.basic.as_ref()?;
        (scheme.eq_ignore_ascii_case("basic") && matches(basic)).then_some(Access {
            role: Role::Admin,
            via: Via::Basic,
        })
    }

    /// The role of the token that `matches`.
    fn role_of(&self, matches: impl Fn(&SecretString) -> bool) -> Option<Role> {
        if self.token.as_ref().is_some_and(&matches) {
            Some(Role::Admin)
        } else if self.readonly.as_ref().is_some_and(&matches) {
            Some(Role::ReadOnly)
        } else {
            None
        }
    }

    /// The session cookie for a token typed into the login form.
    fn login(&self, key: &[u8; 32], typed: &str) -> Option<String> {
        let matches = |secret: &SecretString| {
            csrf::same(
                key,
                secret.expose_secret().as_bytes(),
                typed.trim().as_bytes(),
            )
        };
        match self.role_of(matches)? {
            Role::Admin => self.token.as_ref().map(session),
            Role::ReadOnly => self.readonly.as_ref().map(session),
        }
    }
}

impl std::fmt::Debug for DashboardAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<SecretString>| if s.is_some() { "set" } else { "unset" };
        f.debug_struct("DashboardAuth")
            .field("token", &set(&self.token))
            .field("readonly_token", &set(&self.readonly))
            .field("basic", &set(&self.basic))
            .finish()
    }
}

/// The dashboard would listen beyond loopback with no credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "refusing to serve the dashboard on {addr} without credentials: set AEGIS_DASHBOARD_TOKEN \
     (or AEGIS_DASHBOARD_USER and AEGIS_DASHBOARD_PASSWORD), or listen on 127.0.0.1"
)]
pub struct ListenError {
    /// The address asked for.
    pub addr: SocketAddr,
}

/// The session cookie's value for `token`: HMAC-SHA256 of a fixed text.
fn session(token: &SecretString) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.expose_secret().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"aegis dashboard session");
    cookies::hex(&mac.finalize().into_bytes())
}

/// Standard base64 with padding (what a basic-auth header carries).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Lets a request in with its [`Access`], or answers 401 with the login
/// form (and a basic-auth challenge when basic auth is configured).
pub(super) async fn require(
    State(state): State<DashboardState>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(access) = state.auth().resolve(state.key(), req.headers()) {
        req.extensions_mut().insert(access);
        return next.run(req).await;
    }
    let back = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let page = Page::new(&state, req.headers(), req.uri(), None);
    let mut response = login_form(&page, &back, None).into_response();
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    if state.auth().basic.is_some() {
        let challenge = HeaderValue::from_static("Basic realm=\"aegis dashboard\"");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

fn login_form(page: &Page, back: &str, problem: Option<&str>) -> Response {
    page.render("Sign in", html! {
        @if let Some(problem) = problem { p.flash.error { (problem) } }
        p { "This dashboard needs a token (AEGIS_DASHBOARD_TOKEN or AEGIS_DASHBOARD_READONLY_TOKEN)." }
        form.login method="post" action="/login" {
            input type="hidden" name=(csrf::FIELD) value=(page.csrf.value);
            input type="hidden" name="back" value=(back);
            label { "Token " input #token type="password" name="token" autocomplete="current-password"; }
            button #sign-in type="submit" { "Sign in" }
        }
    })
}

/// `GET /login`.
pub(super) async fn login_page(page: Page) -> Response {
    login_form(&page, "/", None)
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
    back: Option<String>,
}

/// `POST /login`: a right token sets the session cookie and goes back.
pub(super) async fn login(
    State(state): State<DashboardState>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let back = safe_back(form.back.as_deref());
    if !csrf::verify(state.key(), &headers, &form.csrf) {
        return csrf_refused(&page);
    }
    let Some(cookie) = state.auth().login(state.key(), &form.token) else {
        let mut response = login_form(&page, &back, Some("That token is not right."));
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return response;
    };
    let set = cookies::set(cookies::SESSION, &cookie, None);
    ([(header::SET_COOKIE, set)], Redirect::to(&back)).into_response()
}

/// `POST /logout`: ends the cookie session.
pub(super) async fn logout(
    State(state): State<DashboardState>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !csrf::verify(state.key(), &headers, &form.csrf) {
        return csrf_refused(&page);
    }
    let gone = cookies::delete(cookies::SESSION);
    ([(header::SET_COOKIE, gone)], Redirect::to("/login")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn roles_follow_the_credential() {
        let key = [1; 32];
        let auth = DashboardAuth::open()
            .with_token(SecretString::from("admin-secret"))
            .with_readonly_token(SecretString::from("look-only"));
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            auth.resolve(&key, &headers).map(|a| a.role)
        };
        assert_eq!(with("Bearer admin-secret"), Some(Role::Admin));
        assert_eq!(with("bearer look-only"), Some(Role::ReadOnly));
        assert_eq!(with("Bearer wrong"), None);
        assert_eq!(auth.resolve(&key, &HeaderMap::new()), None);
        assert!(!format!("{auth:?}").contains("secret"));
        let loopback: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let anywhere: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(DashboardAuth::open().check_listen(loopback).is_ok());
        assert!(DashboardAuth::open().check_listen(anywhere).is_err());
        assert!(auth.check_listen(anywhere).is_ok());
    }
}
