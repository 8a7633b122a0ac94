//! laws tests.
