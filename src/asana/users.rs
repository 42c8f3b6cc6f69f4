//! Users: `GET /users/me`, the token's own user (the default
//! `AEGIS_USER_GID`).

use serde::Deserialize;
use tracing::instrument;

use super::{AsanaClient, Gid, Result, Target};

/// Fields asked for a user: the gid (always sent) and the name for logs.
pub const USER_FIELDS: &str = "name";

/// An Asana user.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct User {
    /// The user's gid.
    pub gid: Gid,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
}

impl AsanaClient {
    /// The user who owns the token (`GET /users/me`).
    ///
    /// # Errors
    /// [`Error::Unauthorized`](super::Error::Unauthorized) for a bad token,
    /// and any other [`Error`](super::Error) of the chokepoint.
    #[instrument(skip_all)]
    pub async fn me(&self) -> Result<User> {
        let query = [("opt_fields", USER_FIELDS.to_owned())];
        self.get_data(&Target::new("user", "me"), "/users/me", &query)
            .await
    }

    /// [`me`](Self::me), asked once per client and remembered: every handle
    /// of the client shares the answer.
    ///
    /// # Errors
    /// As [`me`](Self::me); a failure is not remembered.
    pub async fn me_once(&self) -> Result<User> {
        let user = self.me_cell().get_or_try_init(|| self.me()).await?;
        Ok(user.clone())
    }
}
