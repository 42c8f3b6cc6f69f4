//! The fake's own conformance tests, over real HTTP on loopback: every
//! route's bodies validate against the response schemas of Asana's OpenAPI
//! spec (extracted into `spec/asana_schemas.json` by
//! `spec/extract_schemas.py`, so the tests never need the spec itself), and
//! the behaviours of `notes/asana-api.md` §10 hold: pagination, opt_fields,
//! rate limits, the events token flow, deletions, `GET /tasks` filters, and
//! the webhook routes and the events their deliveries carry.

#[path = "conformance/common.rs"]
mod common;
#[path = "conformance/deletion.rs"]
mod deletion;
#[path = "conformance/events.rs"]
mod events;
#[path = "conformance/filters.rs"]
mod filters;
#[path = "support/http.rs"]
mod http;
#[path = "conformance/limits.rs"]
mod limits;
#[path = "conformance/opt_fields.rs"]
mod opt_fields;
#[path = "conformance/paging.rs"]
mod paging;
#[path = "support/receiver.rs"]
mod receiver;
#[path = "conformance/schema.rs"]
mod schema;
#[path = "conformance/shapes.rs"]
mod shapes;
#[path = "conformance/webhooks.rs"]
mod webhooks;
