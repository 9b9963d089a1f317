//! # hubspot-batch
//!
//! Batch updates of HubSpot CRM records (`POST /crm/v3/objects/{objectType}/batch/update`)
//! that never lose track of a record: every input ends up either updated or listed as
//! failed with a reason.
//!
//! The crate is a sans-IO core: it validates and formats inputs ([`input`]), builds requests
//! as plain data ([`request`]), reads answers ([`response`]) and decides the run
//! ([`engine`]: pacing, retries, splitting rejected batches, the per-input ledger). It reads
//! no clock and performs no I/O, so it runs and is tested natively and can be driven by any
//! transport. The npm package adds a thin wasm-bindgen layer (feature `js`) that performs
//! the effects with the runtime's `fetch` and timers.
//!
//! ```
//! use hubspot_batch::config::ClientConfig;
//! use hubspot_batch::engine::{Action, Engine};
//! use hubspot_batch::input::{validate_inputs, RawInput, Value};
//!
//! let raw = vec![RawInput::Object {
//!     id: Value::Str("512".into()),
//!     properties: Ok(vec![("amount".into(), Value::Number(1500.0))]),
//!     id_property: Value::Undefined,
//!     object_write_trace_id: Value::Undefined,
//!     associations: Value::Undefined,
//!     unknown_fields: vec![],
//! }];
//! let inputs = validate_inputs(&raw, None).unwrap();
//! let mut engine: Engine = Engine::new(ClientConfig::default(), inputs, 0.0, 42);
//! let Action::Send(out) = engine.poll(0.0) else { panic!() };
//! assert!(out.request.body_json().contains("\"amount\":\"1500\""));
//! ```

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![warn(missing_docs)]
// Errors end a call or settle a batch, once; their size on the Err path costs nothing that
// matters, and boxing would make every match on them noisier.
#![allow(clippy::result_large_err)]

pub mod config;
pub mod engine;
pub mod error;
pub mod input;
pub mod model;
pub mod operation;
#[cfg(feature = "proxy")]
pub mod proxy;
pub mod report;
pub mod request;
pub mod response;
pub mod schema;
pub mod text;
pub mod time;

#[cfg(all(feature = "js", target_arch = "wasm32"))]
mod wasm;

pub use error::{ErrorCode, HubSpotError};
pub use report::{BatchUpdateResult, FailedInput, FailureReason, RunStats};
