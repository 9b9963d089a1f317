//! Requests as plain data: chunking, URL, headers and body.
//!
//! A body is a model value ([`BatchInput`]); whoever sends it writes it as JSON text with the
//! JSON writer it has: serde_json natively ([`HttpRequest::body_json`]), `JSON.stringify` in
//! the npm build.

use std::fmt;

use crate::config::ClientConfig;
use crate::model::{BatchInput, SimplePublicObjectBatchInput};

/// One HTTP request to send.
#[derive(Clone, PartialEq)]
pub struct HttpRequest<B = BatchInput<SimplePublicObjectBatchInput>> {
    /// Absolute URL.
    pub url: String,
    /// Always `POST` for batch calls.
    pub method: &'static str,
    /// Header (name, value) pairs, `Authorization` among them when a token was given.
    pub headers: Vec<(String, String)>,
    /// The body, as a model value.
    pub body: B,
    /// Positions in the caller's inputs of the inputs this request carries.
    pub input_indexes: Vec<usize>,
}

impl<B> fmt::Debug for HttpRequest<B> {
    // Never the Authorization header's value, nor the body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                if k.eq_ignore_ascii_case("authorization") {
                    (k.as_str(), "***")
                } else {
                    (k.as_str(), v.as_str())
                }
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("headers", &headers)
            .field("input_indexes", &self.input_indexes)
            .finish()
    }
}

#[cfg(feature = "json")]
impl<B: serde::Serialize> HttpRequest<B> {
    /// The body as JSON text.
    pub fn body_json(&self) -> String {
        // A body of strings and lists cannot fail to serialize.
        serde_json::to_string(&self.body).unwrap_or_default()
    }
}

/// `{baseUrl}/crm/v3/objects/{objectType}/batch/update`
pub fn batch_update_url(config: &ClientConfig) -> String {
    format!(
        "{}/crm/v3/objects/{}/batch/update",
        config.base_url, config.object_type
    )
}

/// The headers of every request: JSON, and the token when there is one.
pub fn headers(config: &ClientConfig) -> Vec<(String, String)> {
    let mut h = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if let Some(token) = &config.access_token {
        h.push((
            "Authorization".to_owned(),
            format!("Bearer {}", token.expose()),
        ));
    }
    h
}

/// Splits `0..len` into runs of `batch_size` (at least 1), in order; the last holds the rest.
pub fn chunk_indexes(len: usize, batch_size: usize) -> Vec<Vec<usize>> {
    let size = batch_size.max(1);
    (0..len)
        .step_by(size)
        .map(|start| (start..len.min(start.saturating_add(size))).collect())
        .collect()
}

/// The body carrying `indexes` of `inputs`.
pub fn body_of(
    inputs: &[SimplePublicObjectBatchInput],
    indexes: &[usize],
) -> BatchInput<SimplePublicObjectBatchInput> {
    BatchInput {
        inputs: indexes
            .iter()
            .filter_map(|&i| inputs.get(i).cloned())
            .collect(),
    }
}

/// The requests of a batch update over validated `inputs`, in order (`buildBatchUpdateRequests`).
pub fn build_batch_update_requests(
    inputs: &[SimplePublicObjectBatchInput],
    config: &ClientConfig,
) -> Vec<HttpRequest> {
    let url = batch_update_url(config);
    let headers = headers(config);
    chunk_indexes(inputs.len(), config.batch_size)
        .into_iter()
        .map(|indexes| HttpRequest {
            url: url.clone(),
            method: "POST",
            headers: headers.clone(),
            body: body_of(inputs, &indexes),
            input_indexes: indexes,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::model::{BatchInputSimplePublicObjectBatchInput, Map};

    fn input(id: &str) -> SimplePublicObjectBatchInput {
        SimplePublicObjectBatchInput {
            id: id.into(),
            properties: Map(vec![("dealname".into(), format!("Deal \"{id}\"\n"))]),
            id_property: None,
            object_write_trace_id: None,
        }
    }

    #[test]
    fn chunks_in_order_with_the_rest_last() {
        assert_eq!(chunk_indexes(0, 100), Vec::<Vec<usize>>::new());
        assert_eq!(chunk_indexes(5, 2), vec![vec![0, 1], vec![2, 3], vec![4]]);
        let c = chunk_indexes(250, 100);
        assert_eq!(
            c.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![100, 100, 50]
        );
        // Against the iterator version it replaced, batch size 0 (read as 1) included.
        for len in 0..40 {
            for batch_size in 0..12 {
                let size = batch_size.max(1);
                let reference: Vec<Vec<usize>> = (0..len)
                    .step_by(size)
                    .map(|start| (start..(start + size).min(len)).collect())
                    .collect();
                assert_eq!(
                    chunk_indexes(len, batch_size),
                    reference,
                    "{len} {batch_size}"
                );
            }
        }
        assert_eq!(chunk_indexes(3, usize::MAX), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn bodies_round_trip_through_serde_json() {
        let mut inputs = vec![input("1"), input("2")];
        inputs[1].id_property = Some("deal_external_id".into());
        inputs[1].object_write_trace_id = Some("t-2".into());
        let reqs = build_batch_update_requests(&inputs, &ClientConfig::default());
        let text = reqs[0].body_json();
        assert!(
            text.starts_with(r#"{"inputs":[{"id":"1","properties":{"dealname":"Deal \"1\"\n"}}"#),
            "{text}"
        );
        let parsed: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.inputs, inputs);
    }

    #[test]
    fn builds_url_headers_and_hides_token_in_debug() {
        let config = ClientConfig {
            access_token: Some(Secret::new("pat-secret")),
            batch_size: 2,
            ..ClientConfig::default()
        };
        let reqs = build_batch_update_requests(&[input("1"), input("2"), input("3")], &config);
        assert_eq!(reqs.len(), 2);
        assert_eq!(
            reqs[0].url,
            "https://api.hubapi.com/crm/v3/objects/0-3/batch/update"
        );
        assert_eq!(reqs[1].input_indexes, vec![2]);
        assert!(reqs[0]
            .headers
            .contains(&("Authorization".into(), "Bearer pat-secret".into())));
        assert!(!format!("{:?}", reqs[0]).contains("pat-secret"));
    }
}
