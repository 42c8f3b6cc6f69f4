//! A small W3C WebDriver client over reqwest, and chromedriver as a child
//! process: enough to drive headless Chromium through the dashboard (new
//! session, navigate, find by CSS, click, text, type, screenshot, delete).
//!
//! chromedriver runs in a process group of its own, killed (with the
//! Chromium it started) when the [`Driver`] drops, even after a failed
//! assertion. A missing chromedriver fails the test with what to install.

use std::{path::Path, process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long [`Session::wait_for`] polls before failing (a fail-safe for a
/// test that would hang, not a timing assertion).
const PATIENCE: Duration = Duration::from_secs(60);

/// How often polling looks again.
const POLL: Duration = Duration::from_millis(50);

/// A running chromedriver.
pub struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl Driver {
    /// Starts chromedriver (`CHROMEDRIVER`, else `chromedriver` on the PATH
    /// or `/usr/bin/chromedriver`) on a free loopback port, and waits until
    /// it is ready.
    pub async fn start() -> Driver {
        let binary = find_chromedriver();
        let port = free_port();
        let mut command = Command::new(&binary);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {binary} failed: {e}"));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: plain_http().build().expect("an HTTP client"),
        };
        driver.ready().await;
        driver
    }

    async fn ready(&self) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let status = self.http.get(format!("{}/status", self.url)).send().await;
            if let Ok(response) = status
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver never became ready"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// A new headless Chromium session.
    pub async fn session(&self) -> Session {
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"]
        });
        if let Some(chrome) = find_chromium() {
            options["binary"] = json!(chrome);
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options
        }}});
        let url = format!("{}/session", self.url);
        let value = command(self.http.post(&url).json(&capabilities)).await;
        let id = value["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        Session {
            http: self.http.clone(),
            url: format!("{url}/{id}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the browsers it started.
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

/// A reqwest builder for plain-HTTP loopback use: reqwest is built here
/// without a TLS provider of its own, and no process-wide one is installed,
/// so it gets a ring configuration with no roots (it never speaks TLS).
pub fn plain_http() -> reqwest::ClientBuilder {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::Client::builder().tls_backend_preconfigured(tls)
}

fn find_chromedriver() -> String {
    let candidates = [
        std::env::var("CHROMEDRIVER").ok(),
        which("chromedriver"),
        Some("/usr/bin/chromedriver".into()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| Path::new(p).is_file())
        .unwrap_or_else(|| {
            panic!(
                "chromedriver is not installed: the dashboard's browser tests need it \
                 (Debian: apt-get install chromium chromium-driver; .ci/run installs both), \
                 or set CHROMEDRIVER to its path"
            )
        })
}

fn find_chromium() -> Option<String> {
    [
        std::env::var("CHROME").ok(),
        Some("/usr/bin/chromium".into()),
    ]
    .into_iter()
    .flatten()
    .find(|p| Path::new(p).is_file())
}

fn which(name: &str) -> Option<String> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
            .map(|p| p.display().to_string())
    })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Sends a WebDriver command; its `value`, or a panic with the error.
async fn command(request: reqwest::RequestBuilder) -> Value {
    try_command(request)
        .await
        .unwrap_or_else(|e| panic!("webdriver: {e}"))
}

async fn try_command(request: reqwest::RequestBuilder) -> Result<Value, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(body["value"].clone())
    } else {
        Err(format!("{status}: {}", body["value"]))
    }
}

/// One browser session.
pub struct Session {
    http: reqwest::Client,
    url: String,
}

/// An element of the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// Loads `url`.
    pub async fn goto(&self, url: &str) {
        command(
            self.http
                .post(format!("{}/url", self.url))
                .json(&json!({"url": url})),
        )
        .await;
    }

    /// The first element matching `css`, if there is one now.
    pub async fn find(&self, css: &str) -> Option<Element> {
        let body = json!({"using": "css selector", "value": css});
        let found = try_command(self.http.post(format!("{}/element", self.url)).json(&body)).await;
        found
            .ok()
            .and_then(|v| v[ELEMENT].as_str().map(|id| Element(id.to_owned())))
    }

    /// Polls until an element matches `css`; fails with the page's text.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(element) = self.find(css).await {
                return element;
            }
            if tokio::time::Instant::now() > deadline {
                let body = self.find("body").await;
                let text = match body {
                    Some(b) => self.text(&b).await,
                    None => String::new(),
                };
                panic!("no element matches {css:?}; the page says:\n{text}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls until the element matching `css` has a text containing `want`.
    pub async fn wait_for_text(&self, css: &str, want: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = match self.find(css).await {
                Some(e) => self.text(&e).await,
                None => String::new(),
            };
            if text.contains(want) {
                return text;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{css:?} never said {want:?}; it says {text:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Clicks `element`.
    pub async fn click(&self, element: &Element) {
        let url = format!("{}/element/{}/click", self.url, element.0);
        command(self.http.post(url).json(&json!({}))).await;
    }

    /// The rendered text of `element`.
    pub async fn text(&self, element: &Element) -> String {
        let url = format!("{}/element/{}/text", self.url, element.0);
        try_command(self.http.get(url))
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Types `text` into `element`.
    pub async fn send_keys(&self, element: &Element, text: &str) {
        let url = format!("{}/element/{}/value", self.url, element.0);
        command(self.http.post(url).json(&json!({"text": text}))).await;
    }

    /// Saves a PNG screenshot of the viewport at `path`.
    pub async fn screenshot(&self, path: &Path) {
        let value = command(self.http.get(format!("{}/screenshot", self.url))).await;
        let png = decode_base64(value.as_str().expect("a base64 screenshot"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot directory");
        }
        std::fs::write(path, png).expect("screenshot written");
    }

    /// Ends the session (closing its browser).
    pub async fn close(self) {
        let _ = try_command(self.http.delete(&self.url)).await;
    }
}

/// Standard base64 (what WebDriver's screenshot returns).
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | (u32::from(*d) << (18 - 6 * i)));
        out.extend(n.to_be_bytes()[1..chunk.len()].iter());
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(
        decode_base64("QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        b"Aladdin:open sesame"
    );
    assert_eq!(decode_base64("Zm8="), b"fo");
    assert_eq!(decode_base64("Zm9v"), b"foo");
}
