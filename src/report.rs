//! What a run returns: `BatchUpdateResult` and its parts.

use serde::Serialize;

use crate::error::HubSpotError;
use crate::model::{BatchStatus, Category, ErrorDetail, Map, SimplePublicObject, StandardError};

/// The outcome of `update()`: every input is either in `results` (updated) or in `failed`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[cfg_attr(feature = "js", tsify(type_params = "T = SimplePublicObject"))]
#[serde(rename_all = "camelCase")]
pub struct BatchUpdateResult<T = SimplePublicObject> {
    /// `COMPLETE`, or `CANCELED` when a 401, 403 or daily limit stopped the run part-way.
    pub status: BatchStatus,
    /// HubSpot's updated objects, in input order.
    pub results: Vec<T>,
    /// HubSpot's per-item errors from all batches.
    pub errors: Vec<StandardError>,
    /// `errors.length`.
    pub num_errors: usize,
    /// When the run started (ISO 8601).
    pub started_at: String,
    /// When it ended (ISO 8601).
    pub completed_at: String,
    /// When the call was made; the same as `startedAt` here, as no request is queued
    /// before the run starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub requested_at: Option<String>,
    /// Every input that was not updated, once each, in input order.
    pub failed: Vec<FailedInput>,
    /// What the run did.
    pub stats: RunStats,
}

/// An input that was not updated.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct FailedInput {
    /// Position in the inputs array.
    pub index: usize,
    /// The input's `id`.
    pub id: String,
    /// Why.
    pub error: FailureReason,
}

/// Why an input was not updated.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct FailureReason {
    /// HTTP status of the answer that settled it; `null` when there was none (network
    /// error, timeout, abort, or never sent).
    #[cfg_attr(feature = "js", tsify(type = "number | null"))]
    pub status: Option<u16>,
    /// HubSpot's category (`VALIDATION_ERROR`, `OBJECT_NOT_FOUND`, ...) or ours:
    /// `NOT_UPDATED` (left out of a 200), `NETWORK_ERROR`, `TIMEOUT`, `MALFORMED_RESPONSE`,
    /// `HTTP_ERROR`, `REDIRECT`, `ABORTED`.
    #[cfg_attr(feature = "js", tsify(type = "string"))]
    pub category: Category,
    /// What happened, for people.
    pub message: String,
    /// HubSpot's correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub correlation_id: Option<String>,
    /// HubSpot's sub-category.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub sub_category: Option<String>,
    /// HubSpot's context.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "js", tsify(optional, type = "Record<string, string[]>"))]
    pub context: Option<Map<Vec<String>>>,
    /// HubSpot's details, including those parsed out of `Property values were not valid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub errors: Vec<ErrorDetail>,
    /// `true` when HubSpot may have applied this input although the run could not see it
    /// (a create that timed out, got a 5xx or a malformed answer, or was aborted in flight):
    /// such a create is never sent again. See README.md on making such runs safe to repeat.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "js", tsify(optional))]
    pub may_have_applied: bool,
}

impl FailureReason {
    /// A reason of ours, with no HubSpot details.
    pub fn new(status: Option<u16>, category: Category, message: impl Into<String>) -> Self {
        FailureReason {
            status,
            category,
            message: message.into(),
            correlation_id: None,
            sub_category: None,
            context: None,
            errors: Vec::new(),
            may_have_applied: false,
        }
    }

    /// The reason a whole-request error gives each of its inputs.
    pub fn from_error(e: &HubSpotError) -> Self {
        FailureReason {
            status: e.status,
            category: e
                .category
                .clone()
                .unwrap_or_else(|| Category::parse(e.code().as_str())),
            message: e.message.clone(),
            correlation_id: e.correlation_id.clone(),
            sub_category: e.sub_category.clone(),
            context: e.context.clone(),
            errors: e.errors.clone(),
            may_have_applied: false,
        }
    }
}

/// Counters for a run.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
#[serde(rename_all = "camelCase")]
pub struct RunStats {
    /// HTTP requests sent, retries included.
    pub requests: u32,
    /// Requests that were retries of an earlier attempt.
    pub retries: u32,
    /// 429 answers received.
    pub rate_limited: u32,
    /// Answers with a status of 400 or more (429s included): HubSpot asks that these stay
    /// under 5% of an app's requests.
    pub error_responses: u32,
    /// Distinct batches, counting those made by splitting a rejected batch.
    pub batches: u32,
    /// Wall time of the run.
    pub duration_ms: f64,
}

/// Progress figures passed to `onProgress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "js", derive(tsify::Tsify))]
pub struct Progress {
    /// Inputs settled (updated or failed).
    pub done: usize,
    /// Of those, failed.
    pub failed: usize,
    /// All inputs.
    pub total: usize,
}
