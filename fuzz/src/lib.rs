//! The fuzz targets' logic: [`checks`] holds the properties (shared with the main
//! crate's tests), [`generate`] turns fuzz bytes into scenarios for the `apply` target.

pub mod checks;
pub mod generate;
