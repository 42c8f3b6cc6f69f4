//! The `/events` sync tokens: issuing `<32 hex>:<position>` tokens bound to
//! a resource, checking them (unknown, foreign, expired → 412 with a fresh
//! token) and cutting the next ≤100 events of the resource's stream.
//!
//! A token names a position in the event log; the next token is derived
//! from (resource, position) only, so replaying a token gives the same answer.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};

use crate::{
    error::ApiError,
    world::{Event, Gid, World},
};

/// Most events one call returns.
pub const PAGE: usize = 100;

/// One answer of `/events`.
#[derive(Debug, Clone)]
pub struct EventsPage {
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// The token for the next call.
    pub sync: String,
    /// Whether more events wait after these.
    pub has_more: bool,
}

#[derive(Debug, Clone)]
struct Issued {
    resource: Gid,
    position: u64,
    at: Instant,
}

/// Every token handed out, with its resource, position and issue time.
#[derive(Debug)]
pub struct SyncStore {
    secret: [u8; 32],
    ttl: Duration,
    issued: HashMap<String, Issued>,
    /// Bumped by `expire_all`, and part of every token: tokens issued after
    /// an expiry differ from those before it.
    generation: u64,
}

impl SyncStore {
    /// A store whose tokens are derived with `secret` and live for `ttl`.
    pub fn new(secret: [u8; 32], ttl: Duration) -> SyncStore {
        SyncStore {
            secret,
            ttl,
            issued: HashMap::new(),
            generation: 0,
        }
    }

    /// Changes the lifetime of tokens (applies to those already issued).
    pub fn set_ttl(&mut self, ttl: Duration) {
        self.ttl = ttl;
    }

    /// Forgets every token: the next call with any of them gets 412.
    pub fn expire_all(&mut self) {
        self.issued.clear();
        self.generation += 1;
    }

    fn token(&self, resource: &str, position: u64) -> String {
        let mut hash = Sha256::new();
        hash.update(self.secret);
        hash.update(resource.as_bytes());
        hash.update(position.to_be_bytes());
        hash.update(self.generation.to_be_bytes());
        let hex: String = hash
            .finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{hex}:{position}")
    }

    fn issue(&mut self, resource: &str, position: u64, now: Instant) -> String {
        let token = self.token(resource, position);
        let issued = Issued {
            resource: resource.to_owned(),
            position,
            at: now,
        };
        // A replayed token hands out the same next token; its lifetime
        // still counts from when it was first issued.
        self.issued.entry(token.clone()).or_insert(issued);
        token
    }

    /// The 412 for a resource: a fresh token at the end of the log.
    pub fn invalid(&mut self, world: &World, resource: &str, now: Instant) -> ApiError {
        ApiError::sync_invalid(self.issue(resource, world.last_event_seq(), now))
    }

    /// Answers `GET /events?resource=…&sync=…` for an existing resource.
    pub fn poll(
        &mut self,
        world: &World,
        resource: &str,
        sync: Option<&str>,
        now: Instant,
    ) -> Result<EventsPage, ApiError> {
        let known = sync.and_then(|s| self.issued.get(s));
        let valid = known
            .filter(|i| i.resource == resource && now.saturating_duration_since(i.at) <= self.ttl);
        let Some(position) = valid.map(|i| i.position) else {
            return Err(self.invalid(world, resource, now));
        };
        let stream = world
            .events
            .iter()
            .filter(|e| e.seq > position && e.audience.iter().any(|a| a == resource));
        let mut events: Vec<Event> = stream.take(PAGE + 1).cloned().collect();
        let has_more = events.len() > PAGE;
        events.truncate(PAGE);
        let next = events.last().map_or(position, |e| e.seq);
        let sync = self.issue(resource, next, now);
        Ok(EventsPage {
            events,
            sync,
            has_more,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutate::{NewTask, TaskPatch};

    fn world_with_events(n: usize) -> (World, Gid) {
        let mut w = crate::mutate::tests::small_world();
        let t0 = crate::mutate::tests::t0();
        let new = NewTask {
            project: Some("100".into()),
            name: "t".into(),
            ..NewTask::default()
        };
        let gid = w.create_task(&new, t0).unwrap();
        for i in 1..n {
            w.modify_task(&gid, &TaskPatch::name(format!("n{i}")), t0)
                .unwrap();
        }
        (w, gid)
    }

    #[test]
    fn first_call_is_412_then_pages_of_100() {
        let (mut w, gid) = world_with_events(0);
        let mut store = SyncStore::new([7; 32], Duration::from_secs(60));
        let now = Instant::now();
        let err = store.poll(&w, "100", None, now).unwrap_err();
        assert_eq!(err.status.as_u16(), 412);
        let token = err.sync.unwrap();
        assert!(token.ends_with(":1") && token.len() == 34, "{token}");
        for i in 0..150 {
            w.modify_task(
                &gid,
                &TaskPatch::name(format!("x{i}")),
                crate::mutate::tests::t0(),
            )
            .unwrap();
        }
        let first = store.poll(&w, "100", Some(&token), now).unwrap();
        assert_eq!((first.events.len(), first.has_more), (100, true));
        let again = store.poll(&w, "100", Some(&token), now).unwrap();
        assert_eq!(again.sync, first.sync, "replays answer the same");
        let second = store.poll(&w, "100", Some(&first.sync), now).unwrap();
        assert_eq!((second.events.len(), second.has_more), (50, false));
        let idle = store.poll(&w, "100", Some(&second.sync), now).unwrap();
        assert!(idle.events.is_empty());
        assert_eq!(idle.sync, second.sync);
    }

    #[test]
    fn expired_foreign_and_forgotten_tokens_are_412() {
        let (w, gid) = world_with_events(3);
        let mut store = SyncStore::new([7; 32], Duration::from_secs(60));
        let now = Instant::now();
        let token = store.poll(&w, "100", None, now).unwrap_err().sync.unwrap();
        assert_eq!(
            store
                .poll(&w, &gid, Some(&token), now)
                .unwrap_err()
                .status
                .as_u16(),
            412
        );
        let late = now + Duration::from_secs(61);
        assert_eq!(
            store
                .poll(&w, "100", Some(&token), late)
                .unwrap_err()
                .status
                .as_u16(),
            412
        );
        assert!(store.poll(&w, "100", Some(&token), now).is_ok());
        store.expire_all();
        assert!(store.poll(&w, "100", Some(&token), now).is_err());
        assert!(store.poll(&w, "100", Some("deadbeef:0"), now).is_err());
    }
}
