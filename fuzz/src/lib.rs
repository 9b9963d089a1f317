//! Helpers shared by the fuzz targets. Harness code: panics are the point.

pub mod engine;
