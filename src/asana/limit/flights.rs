//! The in-flight gate: how many of this client's requests may be in flight
//! at once. With a local budget it is a fixed cap (`max_in_flight`). With a
//! shared budget that shares the token's cap ([`SharedBudget::in_flight_lease`]),
//! the capacity is this process's share, renewed in the background every
//! renewal interval (a task started by the first request, ended when the
//! client is dropped). The capacity may fall below the requests in flight:
//! new ones then wait until enough have finished. A share not renewed
//! within its lease (the budget unreachable) lapses: requests that find no
//! capacity then fail as with an unreachable budget instead of waiting.

use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio::{sync::Notify, task::JoinHandle, time::Instant};

use super::SharedBudget;
use crate::asana::BoxError;

/// The gate's counters.
#[derive(Debug)]
struct State {
    /// Requests that may be in flight now.
    capacity: usize,
    /// Requests in flight now.
    in_use: usize,
    /// Why the share lapsed, while it has.
    lapsed: Option<String>,
}

/// The in-flight gate of one client (shared by its clones).
pub(crate) struct Flights {
    /// What this process wants: its own `max_in_flight`.
    want: usize,
    state: Mutex<State>,
    changed: Notify,
    /// The shared budget whose cap this gate shares, if any.
    shared: Option<Arc<dyn SharedBudget>>,
    renewer: OnceLock<Renewer>,
}

/// The renewal task, aborted with the gate.
struct Renewer(JoinHandle<()>);

impl Drop for Renewer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One request's place in flight; dropping it frees the place.
pub(crate) struct Flight<'a> {
    flights: &'a Flights,
}

impl std::fmt::Debug for Flight<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Flight")
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.flights.lock().in_use -= 1;
        self.flights.changed.notify_waiters();
    }
}

impl Flights {
    /// A gate for `want` requests in flight, shared through `budget` when
    /// it shares the token's cap.
    pub(crate) fn new(want: usize, budget: Option<&Arc<dyn SharedBudget>>) -> Arc<Self> {
        let want = want.max(1);
        let shared = budget.filter(|b| b.in_flight_lease().is_some()).cloned();
        let capacity = if shared.is_some() { 0 } else { want };
        Arc::new(Self {
            want,
            state: Mutex::new(State {
                capacity,
                in_use: 0,
                lapsed: None,
            }),
            changed: Notify::new(),
            shared,
            renewer: OnceLock::new(),
        })
    }

    /// Waits for a place in flight.
    ///
    /// # Errors
    /// When the shared share lapsed (its budget unreachable) and there is
    /// no place.
    pub(crate) async fn enter(self: &Arc<Self>) -> Result<Flight<'_>, BoxError> {
        self.start_renewer();
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.lock();
                if state.in_use < state.capacity {
                    state.in_use += 1;
                    return Ok(Flight { flights: self });
                }
                if let Some(why) = &state.lapsed {
                    return Err(why.clone().into());
                }
            }
            changed.await;
        }
    }

    fn start_renewer(self: &Arc<Self>) {
        let Some(shared) = &self.shared else { return };
        self.renewer.get_or_init(|| {
            let (weak, shared) = (Arc::downgrade(self), Arc::clone(shared));
            Renewer(tokio::spawn(renew(weak, shared)))
        });
    }

    fn set(&self, capacity: usize, lapsed: Option<String>) {
        {
            let mut state = self.lock();
            state.capacity = capacity;
            state.lapsed = lapsed;
        }
        self.changed.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain counters: a poisoned lock still holds valid ones.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Flights {
    fn drop(&mut self) {
        // Give the share back now rather than when its lease lapses.
        if let (Some(shared), Some(_), Ok(runtime)) = (
            self.shared.take(),
            self.renewer.get(),
            tokio::runtime::Handle::try_current(),
        ) {
            runtime.spawn(async move { shared.leave_in_flight().await });
        }
    }
}

/// Renews the gate's share until the gate is dropped.
async fn renew(weak: Weak<Flights>, shared: Arc<dyn SharedBudget>) {
    let Some((every, lease)) = shared.in_flight_lease() else {
        return;
    };
    let mut renewed: Option<Instant> = None;
    loop {
        let Some(flights) = weak.upgrade() else {
            return;
        };
        let in_use = flights.lock().in_use;
        match shared.renew_in_flight(flights.want, in_use).await {
            Ok(share) => {
                renewed = Some(Instant::now());
                flights.set(share, None);
            }
            Err(error) if renewed.is_none_or(|at| at.elapsed() >= lease) => {
                let why = format!("the token's shared in-flight cap is unreachable: {error}");
                flights.set(0, Some(why));
            }
            Err(error) => {
                tracing::debug!(%error, "could not renew this process's in-flight share");
            }
        }
        drop(flights);
        tokio::time::sleep(every).await;
    }
}
