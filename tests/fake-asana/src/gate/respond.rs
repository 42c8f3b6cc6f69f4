//! The responses the gate makes up itself: injected faults (HTML load
//! balancer pages, broken bodies, dropped connections) and the body wrapper
//! that keeps an in-flight slot until the body is sent or dropped.
//!
//! What a client sees (checked through reqwest in the gate's tests):
//! - `Truncated`: the real status and headers, `content-length` of the full
//!   body, then half the bytes and a closed connection: reading the body fails.
//! - `Malformed`: 200, `content-type: application/json`, a body cut inside a
//!   string: decoding fails.
//! - `Drop`: the body stream fails before hyper has flushed the head, so the
//!   connection is closed with no status line at all: sending the request
//!   fails ("connection closed before message completed").

use std::io;

use axum::{
    body::{Body, Bytes, HttpBody},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, stream};

use crate::{error::ApiError, faults::FaultKind};

/// The body of a `Malformed` fault: JSON cut in the middle of a string.
pub(super) const MALFORMED_BODY: &str = r#"{"data": [{"gid": "12"#;

/// A fault answered without running the handler.
pub(super) fn fault_response(fault: &FaultKind) -> Response {
    match fault {
        FaultKind::RateLimited { retry_after } => {
            ApiError::rate_limited(*retry_after).into_response()
        }
        FaultKind::ServerError => ApiError::server_error().into_response(),
        FaultKind::BadGatewayHtml => html(StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
        FaultKind::UnavailableHtml { retry_after } => {
            let mut response = html(
                StatusCode::SERVICE_UNAVAILABLE,
                "503 Service Temporarily Unavailable",
            );
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*secs));
            }
            response
        }
        FaultKind::GatewayTimeout => {
            ApiError::status(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout").into_response()
        }
        FaultKind::Status { code, message } => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            ApiError::status(status, message.clone()).into_response()
        }
        FaultKind::Malformed => {
            let mut response = (StatusCode::OK, MALFORMED_BODY).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        FaultKind::Drop => dropped(),
        // Handled around the real handler; never answered from here.
        FaultKind::Latency { .. } | FaultKind::Truncated => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// An nginx-style error page.
fn html(status: StatusCode, title: &str) -> Response {
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = (status, page).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

fn cut(reason: &str) -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, reason.to_owned())
}

/// A response whose body fails before any byte: hyper aborts the connection
/// before the head is flushed, so the client gets no response at all.
fn dropped() -> Response {
    let body = Body::from_stream(stream::once(async {
        Err::<Bytes, _>(cut("connection dropped by fault injection"))
    }));
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(1));
    response
}

/// The real response with its full `content-length` but only the first half
/// of its bytes, after which the body fails and hyper closes the connection.
pub(super) async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return dropped(),
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let half = bytes.slice(..bytes.len() / 2);
    let rest = stream::once(async {
        // Let hyper flush the first half before the failure aborts the connection.
        tokio::task::yield_now().await;
        Err::<Bytes, _>(cut("body truncated by fault injection"))
    });
    let body = Body::from_stream(stream::iter([Ok(half)]).chain(rest));
    Response::from_parts(parts, body)
}

/// The same response, its body now owning `held` until the body is fully
/// sent or dropped. Keeps `content-length` when the body's size was known.
pub(super) fn hold_until_sent<T: Send + Sync + 'static>(response: Response, held: T) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(len) = body.size_hint().exact() {
        parts
            .headers
            .entry(header::CONTENT_LENGTH)
            .or_insert(HeaderValue::from(len));
    }
    let stream = body.into_data_stream().map(move |chunk| {
        let _held = &held;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}
