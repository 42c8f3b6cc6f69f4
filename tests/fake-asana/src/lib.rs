//! A stateful fake of the Asana REST API on loopback, built from Asana's
//! OpenAPI spec, for aegis's tests, benchmarks and demo.

pub mod error;
pub mod faults;
pub mod gate;
pub mod generate;
pub mod lookup;
pub mod mutate;
pub mod opt_fields;
pub mod paging;
pub mod render;
pub mod world;
