//! The fuzz targets' logic: [`checks`] holds the properties (shared with the main
//! crate's tests), [`generate`] turns fuzz bytes into scenarios for the `apply` target,
//! [`graph`] is the `sync_graph` target (random histories synced in different orders).

pub mod checks;
pub mod generate;
pub mod graph;
