//! A request's access: its [`Role`] and how it got it ([`Via`]), which
//! [`super::auth`] decides and the pages and actions read.

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// See and act.
    Admin,
    /// See only.
    ReadOnly,
}

/// How a request was let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// No credentials are configured.
    Open,
    /// An `Authorization: Bearer` header.
    Bearer,
    /// Basic auth.
    Basic,
    /// The login form's session cookie.
    Cookie,
}

/// A request's role and how it got it (a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Access {
    pub(super) role: Role,
    pub(super) via: Via,
}
