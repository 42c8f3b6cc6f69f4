//! The check an inline sync makes before it starts: one `GET /users/me`
//! (its answer is remembered, so the sync asks for nothing more). A token
//! Asana rejects, or an Asana that cannot be reached at all (a wrong
//! `ASANA_BASE_URL`, no network, no Asana API there), is configuration: exit 2 in
//! milliseconds, naming the URL and the cause, instead of a sync that
//! retries for half a minute. An Asana that answers but fails (5xx) is left
//! to the sync's own retries.

use tracing::debug;

use crate::{
    asana::{AsanaClient, Error},
    config::ConfigError,
};

/// Checks that Asana is there and takes the token.
///
/// # Errors
/// [`ConfigError`] for a rejected token or an unreachable Asana; the held
/// token's error (exit 1) when its circuit is open and Asana still fails.
pub(super) async fn check_asana(asana: &AsanaClient) -> anyhow::Result<()> {
    match asana.check_token().await {
        Ok(()) => Ok(()),
        Err(
            error @ (Error::Unauthorized { .. } | Error::Transport { .. } | Error::Timeout { .. }),
        ) => Err(ConfigError(error.to_string()).into()),
        Err(error @ Error::Held { .. }) => Err(error.into()),
        // Asana's own refusal (a base URL that is no Asana API, say).
        Err(error) if !error.is_retryable() => Err(ConfigError(error.to_string()).into()),
        Err(error) => {
            debug!(error.message = %error, "Asana's check failed; the sync retries");
            Ok(())
        }
    }
}
