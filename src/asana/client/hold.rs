//! The client's side of the token's hold (see [`crate::asana`]'s `hold`):
//! what each answer tells the shared budget, the probe a held request sends
//! when it is due (`GET /users/me`, one per probe interval over the whole
//! fleet), the start-up check of the token, and the one line logged when
//! the hold is set, changed or lifted (by the one process whose report
//! changed it).

use std::time::Duration;

use tracing::{error, info};

use super::AsanaClient;
use crate::asana::{Error, HoldReason, Outcome, Reported, Result, Target};

impl AsanaClient {
    /// How long apart the probes of a held token are (the shared budget's
    /// setting; the default without one).
    pub fn probe_interval(&self) -> Duration {
        self.inner
            .limiter
            .shared()
            .map_or(self.inner.config.probe_interval, |s| s.probe_interval())
    }

    /// Checks the token with `GET /users/me`, even while the token's work
    /// is held (the probe is claimed at once), quietly: the caller reports.
    /// A success lifts a hold.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for a token Asana rejects; any other error
    /// of the chokepoint.
    pub async fn check_token(&self) -> Result<()> {
        if self.inner.limiter.shared().is_none() {
            return self.me().await.map(drop);
        }
        let target = Target::new("user", "me");
        self.probe(&target, (HoldReason::Unauthorized, Duration::ZERO), true)
            .await
    }

    /// Tells the shared budget about a failed request; returns the error
    /// the request ends with ([`Error::Held`] once the circuit is open).
    pub(super) async fn report_error(&self, target: &Target, error: Error) -> Error {
        let Some(shared) = self.inner.limiter.shared() else {
            return error;
        };
        let outcome = match &error {
            Error::Unauthorized { .. } => Outcome::Unauthorized,
            e if e.is_outage() => Outcome::Failure,
            _ => return error,
        };
        let reported = shared.report(outcome).await;
        self.log_hold(&reported, Some(&error));
        match reported.hold {
            Some(reason @ HoldReason::Outage) if outcome == Outcome::Failure => Error::Held {
                target: target.clone(),
                reason,
                retry_after: shared.probe_interval(),
                cause: Some(error.to_string()),
            },
            _ => error,
        }
    }

    /// Tells the shared budget a request succeeded after failures.
    pub(super) async fn report_success(&self) {
        if let Some(shared) = self.inner.limiter.shared() {
            let reported = shared.report(Outcome::Success).await;
            self.log_hold(&reported, None);
        }
    }

    /// For a request that met the token's hold (`reason`, the probe due in
    /// `retry_in`): sends the probe if it is this request's to send (or at
    /// once with `force`). `Ok` when the probe succeeded (the hold is
    /// lifted); otherwise the request ends with [`Error::Held`], or the
    /// probe's 401.
    pub(super) async fn probe(
        &self,
        target: &Target,
        (reason, retry_in): (HoldReason, Duration),
        force: bool,
    ) -> Result<()> {
        let held = |reason, retry_after| Error::Held {
            target: target.clone(),
            reason,
            retry_after,
            cause: None,
        };
        let Some(shared) = self.inner.limiter.shared() else {
            return Ok(());
        };
        let claimed = shared.claim_probe(force).await;
        let claimed = claimed.map_err(|source| Error::BudgetUnavailable {
            target: target.clone(),
            source,
        })?;
        let Some(wait) = claimed else {
            return Err(held(reason, retry_in));
        };
        tokio::time::sleep(wait).await;
        let me = Target::new("user", "me");
        let fields = [("opt_fields", crate::asana::USER_FIELDS.to_owned())];
        let url = self.url(&me, "/users/me", &fields)?;
        let permit = self.inner.limiter.permit().await;
        let permit = permit.map_err(|refused| super::refused_error(target, refused))?;
        self.stats.request();
        let exchanged = self.exchange(&me, &url, super::Verb::Get).await;
        drop(permit);
        let error = match exchanged {
            Ok((status, _, body)) if status.is_success() => {
                // The answer is the token's user: remember it (`me_once`).
                if let Ok(user) = super::decode::<super::Data<crate::asana::User>>(&me, &body) {
                    let _ = self.me_cell().set(user.data);
                }
                let reported = shared.report(Outcome::Success).await;
                self.log_hold(&reported, None);
                return Ok(());
            }
            Ok((status, headers, body)) => self.classify(&me, status, &headers, &body),
            Err(error) => error,
        };
        Err(self.probe_failed(target, reason, error, force).await)
    }

    /// The error a request ends with after its probe failed with `error`
    /// (the hold stays; a 401 is the probe's own, for the caller to report).
    async fn probe_failed(
        &self,
        target: &Target,
        reason: HoldReason,
        error: Error,
        quiet: bool,
    ) -> Error {
        let Some(shared) = self.inner.limiter.shared() else {
            return error;
        };
        let probed = error.to_string();
        let held = |reason| Error::Held {
            target: target.clone(),
            reason,
            retry_after: shared.probe_interval(),
            cause: Some(probed.clone()),
        };
        if let Some(wait) = error.retry_after() {
            self.inner.limiter.pause(wait).await;
        }
        let outcome = match &error {
            Error::Unauthorized { .. } => Outcome::Unauthorized,
            e if e.is_outage() => Outcome::Failure,
            // A start-up check wants Asana's own answer (a wrong base URL).
            _ if quiet => return error,
            _ => return held(reason),
        };
        let reported = shared.report(outcome).await;
        if !quiet {
            self.log_hold(&reported, Some(&error));
        }
        match (error, reported.hold) {
            (error @ Error::Unauthorized { .. }, _) => error,
            // A start-up check wants to know that Asana is not there at all.
            (error @ (Error::Transport { .. } | Error::Timeout { .. }), _) if quiet => error,
            (_, Some(now)) => held(now),
            (error, None) => error,
        }
    }

    /// One line when this process's report set, changed or lifted the hold.
    fn log_hold(&self, reported: &Reported, cause: Option<&Error>) {
        if !reported.changed {
            return;
        }
        let every = self.probe_interval().as_secs_f64();
        let cause = cause.map(ToString::to_string).unwrap_or_default();
        match reported.hold {
            Some(HoldReason::Unauthorized) => error!(
                asana.cause = %cause,
                "Asana rejected the token (401): every worker of this token holds its work (jobs \
                 wait, spending no attempt) and probes /users/me every {every}s until the token \
                 works again; check ASANA_ACCESS_TOKEN"
            ),
            Some(HoldReason::Outage) => error!(
                asana.cause = %cause,
                "Asana keeps failing (5xx or unreachable): the circuit is open for every worker \
                 of this token (jobs wait, spending no attempt); probing /users/me every {every}s"
            ),
            None => info!(
                hold.lasted_s = reported.lasted.map_or(0, |d| d.as_secs()),
                "Asana answers again: the token's hold is lifted and work resumes"
            ),
        }
    }
}
