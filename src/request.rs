//! Requests as plain data: chunking, URL, headers and body.
//!
//! A body is a model value ([`BatchInput`]); whoever sends it writes it as JSON text with the
//! JSON writer it has: serde_json natively ([`HttpRequest::body_json`]), `JSON.stringify` in
//! the npm build.

use std::fmt;

use serde::Serialize;

use crate::config::ClientConfig;
use crate::model::{
    BatchInput, BatchReadInputSimplePublicObjectId, PublicAssociationsForObject,
    SimplePublicObjectBatchInput, SimplePublicObjectId, SimplePublicObjectInputForCreate,
};
use crate::operation::{self, Operation, MAX_READ_WITH_HISTORY};

/// What a run does with its inputs: the operation and what it takes besides the inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The batch endpoint.
    pub operation: Operation,
    /// Read: properties to return.
    pub properties: Vec<String>,
    /// Read: properties to return with their history (50 inputs per request at most).
    pub properties_with_history: Vec<String>,
    /// Read: `?archived=`.
    pub archived: Option<bool>,
    /// Read: the unique property the ids are values of.
    pub id_property: Option<String>,
    /// Create: each input's associations, by input position (empty for other operations).
    pub associations: Vec<Vec<PublicAssociationsForObject>>,
}

impl Plan {
    /// A plan for `operation` with nothing besides the inputs.
    pub fn new(operation: Operation) -> Plan {
        Plan {
            operation,
            properties: Vec::new(),
            properties_with_history: Vec::new(),
            archived: None,
            id_property: None,
            associations: Vec::new(),
        }
    }

    /// Inputs per request: the configured batch size, at most 50 for a read with history.
    pub fn batch_size(&self, config: &ClientConfig) -> usize {
        if self.operation == Operation::Read && !self.properties_with_history.is_empty() {
            config.batch_size.min(MAX_READ_WITH_HISTORY)
        } else {
            config.batch_size
        }
    }
}

/// A request body, as the operation's schema shapes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RequestBody {
    /// update and upsert: `BatchInputSimplePublicObjectBatchInput(Upsert)`.
    Write(BatchInput<SimplePublicObjectBatchInput>),
    /// create: `BatchInputSimplePublicObjectInputForCreate`.
    Create(BatchInput<SimplePublicObjectInputForCreate>),
    /// read: `BatchReadInputSimplePublicObjectId`.
    Read(BatchReadInputSimplePublicObjectId),
    /// archive: `BatchInputSimplePublicObjectId`.
    Ids(BatchInput<SimplePublicObjectId>),
}

/// One HTTP request to send.
#[derive(Clone, PartialEq)]
pub struct HttpRequest<B = RequestBody> {
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
    url(config, &Plan::new(Operation::Update))
}

/// `{baseUrl}{path}[?archived=…]`: the path of the plan's operation under the configured
/// API version (see [`operation::path`]).
pub fn url(config: &ClientConfig, plan: &Plan) -> String {
    let mut url = config.base_url.clone();
    url.push_str(&operation::path(
        config.api_version.as_deref(),
        &config.object_type,
        plan.operation,
    ));
    if let Some(archived) = plan.archived {
        url.push_str(if archived {
            "?archived=true"
        } else {
            "?archived=false"
        });
    }
    url
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

/// The body carrying `indexes` of `inputs` for the plan's operation.
pub fn body_of(
    plan: &Plan,
    inputs: &[SimplePublicObjectBatchInput],
    indexes: &[usize],
) -> RequestBody {
    // Loops, not one iterator chain per variant: each chain is its own code in the wasm.
    let mut writes = Vec::new();
    let mut creates = Vec::new();
    let mut ids = Vec::new();
    for &i in indexes {
        let Some(x) = inputs.get(i) else { continue };
        match plan.operation {
            Operation::Update | Operation::Upsert => writes.push(x.clone()),
            Operation::Create => creates.push(SimplePublicObjectInputForCreate {
                associations: plan.associations.get(i).cloned().unwrap_or_default(),
                object_write_trace_id: x.object_write_trace_id.clone(),
                properties: x.properties.clone(),
            }),
            Operation::Read | Operation::Archive => {
                ids.push(SimplePublicObjectId { id: x.id.clone() })
            }
        }
    }
    match plan.operation {
        Operation::Update | Operation::Upsert => RequestBody::Write(BatchInput { inputs: writes }),
        Operation::Create => RequestBody::Create(BatchInput { inputs: creates }),
        Operation::Read => RequestBody::Read(BatchReadInputSimplePublicObjectId {
            id_property: plan.id_property.clone(),
            inputs: ids,
            properties: read_properties(plan),
            properties_with_history: plan.properties_with_history.clone(),
        }),
        Operation::Archive => RequestBody::Ids(BatchInput { inputs: ids }),
    }
}

/// The properties a read asks for: the caller's, and the id property, so that each result
/// can be tied to its input by that property's value.
fn read_properties(plan: &Plan) -> Vec<String> {
    let mut properties = plan.properties.clone();
    if let Some(p) = &plan.id_property {
        if !properties.contains(p) {
            properties.push(p.clone());
        }
    }
    properties
}

/// The requests of a run of `plan` over validated `inputs`, in order (`buildBatchRequests`).
pub fn build_batch_requests(
    plan: &Plan,
    inputs: &[SimplePublicObjectBatchInput],
    config: &ClientConfig,
) -> Vec<HttpRequest> {
    let url = url(config, plan);
    let headers = headers(config);
    chunk_indexes(inputs.len(), plan.batch_size(config))
        .into_iter()
        .map(|indexes| HttpRequest {
            url: url.clone(),
            method: "POST",
            headers: headers.clone(),
            body: body_of(plan, inputs, &indexes),
            input_indexes: indexes,
        })
        .collect()
}

/// The requests of a batch update over validated `inputs`, in order (`buildBatchUpdateRequests`).
pub fn build_batch_update_requests(
    inputs: &[SimplePublicObjectBatchInput],
    config: &ClientConfig,
) -> Vec<HttpRequest> {
    build_batch_requests(&Plan::new(Operation::Update), inputs, config)
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
