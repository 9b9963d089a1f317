//! The glue suite (`suite/mod.rs`) in a browser: `cargo test --test browser` with chromedriver
//! on PATH or in `CHROMEDRIVER` (or `wasm-pack test --headless --chrome`). `webdriver.json`
//! in tests/wasm holds Chromium's path and flags.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod suite;
