//! The one error type, with a stable code per kind of failure.

use std::fmt;

use crate::model::{Category, ErrorDetail, Map, PolicyName};

/// What kind of failure an error is. The string form is part of the public API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Client options are wrong.
    InvalidConfig,
    /// An argument to a call is wrong; nothing was sent.
    InvalidInput,
    /// HubSpot answered with an error status.
    HttpError,
    /// HubSpot answered 429 and it was not retried (or retries ran out).
    RateLimited,
    /// The request did not get an HTTP answer.
    NetworkError,
    /// An attempt took longer than `timeoutMs`.
    Timeout,
    /// A 200/207 body that is not a batch response.
    MalformedResponse,
    /// The caller's `AbortSignal` fired.
    Aborted,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::InvalidConfig,
        ErrorCode::InvalidInput,
        ErrorCode::HttpError,
        ErrorCode::RateLimited,
        ErrorCode::NetworkError,
        ErrorCode::Timeout,
        ErrorCode::MalformedResponse,
        ErrorCode::Aborted,
    ];

    /// The code for a code string, if it is one.
    pub fn parse(code: &str) -> Option<ErrorCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The stable code string, e.g. `"INVALID_INPUT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::HttpError => "HTTP_ERROR",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::NetworkError => "NETWORK_ERROR",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::MalformedResponse => "MALFORMED_RESPONSE",
            ErrorCode::Aborted => "ABORTED",
        }
    }
}

/// An error from this crate. Messages never contain the access token.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct HubSpotError {
    /// The kind of failure.
    pub code: Option<ErrorCode>,
    /// What went wrong, for people.
    pub message: String,
    /// HTTP status, when HubSpot answered.
    pub status: Option<u16>,
    /// HubSpot's category, e.g. `VALIDATION_ERROR`.
    pub category: Option<Category>,
    /// HubSpot's sub-category.
    pub sub_category: Option<String>,
    /// HubSpot's correlation id.
    pub correlation_id: Option<String>,
    /// For 429s: `TEN_SECONDLY_ROLLING`, `SECONDLY` or `DAILY`.
    pub policy_name: Option<PolicyName>,
    /// HubSpot's details (including those parsed out of validation messages).
    pub errors: Vec<ErrorDetail>,
    /// HubSpot's context.
    pub context: Option<Map<Vec<String>>>,
}

impl HubSpotError {
    /// A new error of `code` with `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        HubSpotError {
            code: Some(code),
            message: message.into(),
            ..HubSpotError::default()
        }
    }

    /// The code, `HTTP_ERROR` if unset.
    pub fn code(&self) -> ErrorCode {
        self.code.unwrap_or(ErrorCode::HttpError)
    }

    /// An `INVALID_INPUT` error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// An `INVALID_CONFIG` error.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidConfig, message)
    }
}

impl fmt::Display for HubSpotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HubSpotError {}
