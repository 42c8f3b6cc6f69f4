//! aegis keeps a local PostgreSQL copy of an Asana portfolio.
pub mod asana;
pub mod cli;
pub mod config;
pub mod queue;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod worker;
pub mod budget;
