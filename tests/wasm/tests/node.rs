//! The glue suite (`suite/mod.rs`) in Node: `cargo test --test node` (or `wasm-pack test --node`).
#![cfg(target_arch = "wasm32")]

mod suite;
