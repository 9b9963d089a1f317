//! The run engine against an adversarial HubSpot: see `hubspot_batch_fuzz::engine`.

#![no_main]

use hubspot_batch_fuzz::engine::{run, Case};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|case: Case| run(&case));
