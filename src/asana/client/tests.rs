//! Tests of the chokepoint.
