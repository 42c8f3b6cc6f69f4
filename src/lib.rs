//! aegis keeps a local PostgreSQL copy of an Asana portfolio.
pub mod asana;
pub mod store;
pub mod sync;
