//! The fake's routes over HTTP: shapes and Asana semantics (filters,
//! `completed_since=now`, inclusive `modified_since`, deletion and removal,
//! subtasks, nested portfolio items, bubbling events) and the control API.

#[path = "routes/binary.rs"]
mod binary;
#[path = "routes/control.rs"]
mod control;
#[path = "routes/events.rs"]
mod events;
#[path = "routes/harness.rs"]
mod harness;
#[path = "support/http.rs"]
mod http;
#[path = "routes/reads.rs"]
mod reads;
#[path = "support/receiver.rs"]
mod receiver;
#[path = "routes/semantics.rs"]
mod semantics;
#[path = "routes/webhook_deliveries.rs"]
mod webhook_deliveries;
#[path = "routes/webhooks.rs"]
mod webhooks;
