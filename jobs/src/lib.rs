//! The durable job contract of aegis.
//!
//! This crate owns what is stored in the queue and must stay compatible across
//! deploys: job payloads, queue names and typed enqueue helpers. It holds no
//! HTTP and no sync logic, so another service can depend on it alone to
//! enqueue aegis work. The payloads arrive with the durable-jobs work.
#![warn(missing_docs)]
