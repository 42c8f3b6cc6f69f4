//! A tiny webhook receiver on loopback for the tests: it answers handshakes
//! (echoing `X-Hook-Secret`, or not), answers deliveries with a chosen
//! status, and hands every request it gets (headers and raw body) to the
//! test through a channel.

#![allow(dead_code)]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
pub struct Behaviour {
    /// Echo `X-Hook-Secret` on handshakes.
    pub echo: bool,
    /// The status for deliveries (requests without `X-Hook-Secret`).
    pub status: u16,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn secret(&self) -> Option<&str> {
        self.headers.get("x-hook-secret")?.to_str().ok()
    }

    pub fn signature(&self) -> Option<&str> {
        self.headers.get("x-hook-signature")?.to_str().ok()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON delivery")
    }

    /// The events of a delivery (empty for a heartbeat).
    pub fn events(&self) -> Vec<Value> {
        self.json()["events"].as_array().cloned().expect("events")
    }
}

#[derive(Clone)]
struct Shared {
    behaviour: Arc<Mutex<Behaviour>>,
    tx: mpsc::UnboundedSender<Received>,
}

pub struct Receiver {
    pub url: String,
    behaviour: Arc<Mutex<Behaviour>>,
    rx: mpsc::UnboundedReceiver<Received>,
}

async fn receive(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let behaviour = *s.behaviour.lock().unwrap();
    let secret = headers.get("x-hook-secret").cloned();
    let _ = s.tx.send(Received { headers, body });
    match secret {
        Some(secret) if behaviour.echo => {
            (StatusCode::OK, [("x-hook-secret", secret)]).into_response()
        }
        Some(_) => StatusCode::OK.into_response(),
        None => StatusCode::from_u16(behaviour.status)
            .unwrap()
            .into_response(),
    }
}

impl Receiver {
    pub async fn start(behaviour: Behaviour) -> Receiver {
        let (tx, rx) = mpsc::unbounded_channel();
        let behaviour = Arc::new(Mutex::new(behaviour));
        let shared = Shared {
            behaviour: behaviour.clone(),
            tx,
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, behaviour, rx }
    }

    /// Echoes handshakes and answers deliveries 200.
    pub async fn ok() -> Receiver {
        Receiver::start(Behaviour {
            echo: true,
            status: 200,
        })
        .await
    }

    pub fn set_status(&self, status: u16) {
        self.behaviour.lock().unwrap().status = status;
    }

    /// The next request, within a generous deadline.
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
            .await
            .expect("a request to the receiver within 20 s")
            .expect("the receiver is running")
    }

    /// The next request `keep` accepts (others are skipped).
    pub async fn next_where(&mut self, keep: impl Fn(&Received) -> bool) -> Received {
        loop {
            let received = self.next().await;
            if keep(&received) {
                return received;
            }
        }
    }

    /// The next delivery carrying events (handshakes, heartbeats skipped).
    pub async fn next_events(&mut self) -> Received {
        self.next_where(|r| r.secret().is_none() && !r.events().is_empty())
            .await
    }

    /// Requests received so far and not yet read.
    pub fn drain(&mut self) -> Vec<Received> {
        std::iter::from_fn(|| self.rx.try_recv().ok()).collect()
    }
}

/// Lowercase hex HMAC-SHA256, computed independently of the fake.
pub fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
