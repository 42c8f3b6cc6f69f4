//! The Asana webhook receiver: `POST /webhooks/asana/{id}` (a router a
//! host may mount, and what `aegis serve` serves). It answers within
//! milliseconds and never calls Asana; the work is in
//! [`crate::webhooks::deliver`].
//!
//! - With `X-Hook-Secret` (the handshake): 200 echoing it when `id` is an
//!   establishment this aegis started less than two minutes ago, which
//!   stores the secret sealed; 404 for an unknown id, 409 for a row that
//!   is not establishing; nothing stored then.
//! - With `X-Hook-Signature` (a delivery): 404 for an unknown id; 401 for
//!   a missing or wrong signature (the hex HMAC-SHA256 of the raw body);
//!   413 for a body over [`MAX_BODY`]; 400 for a verified body that is not
//!   `{"events": [...]}`; otherwise 200: a heartbeat is recorded, task
//!   events enqueue one coalesced project job naming them.
//! - A failure of aegis's own (the database) is a 500, so Asana retries.

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use secrecy::SecretString;
use tracing::{error, warn};
use uuid::Uuid;

use crate::webhooks::{
    Delivered, Handshake, MAX_BODY, Refused, WebhookContext,
    deliver::{deliver, handshake},
};

const SECRET: &str = "x-hook-secret";
const SIGNATURE: &str = "x-hook-signature";

/// The receiver's router: `POST /webhooks/asana/{id}`.
pub fn router(state: WebhookContext) -> Router {
    Router::new()
        .route("/webhooks/asana/{id}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

async fn receive(
    State(ctx): State<WebhookContext>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(secret) = headers.get(SECRET) {
        return answer_handshake(&ctx, id, secret).await;
    }
    let signature = headers.get(SIGNATURE).and_then(|v| v.to_str().ok());
    match deliver(&ctx, id, signature, &body).await {
        Ok(Ok(Delivered::Heartbeat | Delivered::NoTasks | Delivered::Enqueued { .. })) => {
            StatusCode::OK.into_response()
        }
        Ok(Err(refused)) => {
            warn!(webhook.id = %id, refused = ?refused, "webhook delivery refused");
            match refused {
                Refused::Unknown => StatusCode::NOT_FOUND,
                Refused::BadSignature => StatusCode::UNAUTHORIZED,
                Refused::Malformed => StatusCode::BAD_REQUEST,
            }
            .into_response()
        }
        Err(e) => internal(id, &e),
    }
}

async fn answer_handshake(ctx: &WebhookContext, id: Uuid, value: &HeaderValue) -> Response {
    let Ok(text) = value.to_str() else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let secret = SecretString::from(text.to_owned());
    match handshake(ctx, id, &secret).await {
        Ok(Handshake::Accepted) => {
            let mut echo = value.clone();
            echo.set_sensitive(true);
            (StatusCode::OK, [(SECRET, echo)]).into_response()
        }
        Ok(Handshake::Unknown) => StatusCode::NOT_FOUND.into_response(),
        Ok(Handshake::NotEstablishing) => {
            warn!(webhook.id = %id, "handshake refused: no establishment in progress");
            StatusCode::CONFLICT.into_response()
        }
        Err(e) => internal(id, &e),
    }
}

fn internal(id: Uuid, e: &crate::webhooks::Error) -> Response {
    error!(webhook.id = %id, error.message = %e, error.cause_chain = ?e, "webhook request failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
