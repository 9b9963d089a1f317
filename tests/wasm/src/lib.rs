//! Nothing here: the suites are in `tests/`. See `Cargo.toml` for why this crate exists.
