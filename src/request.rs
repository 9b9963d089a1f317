//! Requests as plain data: chunking, URL, headers and body.

use std::fmt;

use crate::config::ClientConfig;
use crate::json::write_string;
use crate::model::{Map, SimplePublicObjectBatchInput};

/// One HTTP request to send. `Debug` hides the Authorization header.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// Absolute URL.
    pub url: String,
    /// Always `POST`.
    pub method: &'static str,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: String,
    /// Which inputs (positions in the call's input list) this request carries.
    pub input_indexes: Vec<usize>,
}

impl fmt::Debug for HttpRequest {
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
            .field("body_len", &self.body.len())
            .field("input_indexes", &self.input_indexes)
            .finish()
    }
}

/// The batch-update URL for a configuration.
pub fn batch_update_url(config: &ClientConfig) -> String {
    format!(
        "{}/crm/v3/objects/{}/batch/update",
        config.base_url, config.object_type
    )
}

/// The headers every request carries.
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

/// The JSON body for the inputs at `indexes`: `{"inputs":[...]}`, keys in schema order.
///
/// Written by hand rather than through serde_json so the wasm build needs no JSON library;
/// tests check it against serde_json.
pub fn encode_body<'a>(
    inputs: impl IntoIterator<Item = &'a SimplePublicObjectBatchInput>,
) -> String {
    write_batch(inputs, |out, input| {
        open_input(
            out,
            &input.id,
            input.id_property.as_deref(),
            input.object_write_trace_id.as_deref(),
        );
        write_members(out, &input.properties);
        out.push_str("}}");
    })
}

/// `{"inputs":[...]}` with each of `inputs` written by `write`. Shared with the engine's
/// prepared inputs.
pub(crate) fn write_batch<T>(
    inputs: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut String, T),
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\"inputs\":[");
    for (n, input) in inputs.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        write(&mut out, input);
    }
    out.push_str("]}");
    out
}

/// Writes an element of a body's `inputs` up to its properties' members (`{"id":...,
/// "properties":{`); the caller writes them and `}}`. Shared with the engine's prepared
/// inputs, whose members are text already.
pub(crate) fn open_input(
    out: &mut String,
    id: &str,
    id_property: Option<&str>,
    trace: Option<&str>,
) {
    out.push_str("{\"id\":");
    write_string(out, id);
    if let Some(p) = id_property {
        out.push_str(",\"idProperty\":");
        write_string(out, p);
    }
    if let Some(t) = trace {
        out.push_str(",\"objectWriteTraceId\":");
        write_string(out, t);
    }
    out.push_str(",\"properties\":{");
}

/// Writes `properties` as the members of a JSON object: `"name":"value",...`.
pub(crate) fn write_members(out: &mut String, properties: &Map<String>) {
    for (i, (k, v)) in properties.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, k);
        out.push(':');
        write_string(out, v);
    }
}

/// Splits `0..len` into consecutive chunks of `batch_size` (the last holds the rest).
pub fn chunk_indexes(len: usize, batch_size: usize) -> Vec<Vec<usize>> {
    // Loops rather than step_by().map().collect(): fewer generic iterator instances in the
    // wasm.
    let size = batch_size.max(1);
    let mut out = Vec::with_capacity(len.div_ceil(size));
    let mut start = 0;
    while start < len {
        let end = len.min(start.saturating_add(size));
        let mut chunk = Vec::with_capacity(end - start);
        for i in start..end {
            chunk.push(i);
        }
        out.push(chunk);
        start = end;
    }
    out
}

/// Builds the requests for `inputs` in input order, `config.batch_size` per request.
pub fn build_batch_update_requests(
    inputs: &[SimplePublicObjectBatchInput],
    config: &ClientConfig,
) -> Vec<HttpRequest> {
    let url = batch_update_url(config);
    let headers = headers(config);
    let mut chunks = chunk_indexes(inputs.len(), config.batch_size);
    let mut out = Vec::with_capacity(chunks.len());
    for indexes in chunks.iter_mut() {
        let indexes = std::mem::take(indexes);
        out.push(HttpRequest {
            url: url.clone(),
            method: "POST",
            headers: headers.clone(),
            body: encode_body(indexes.iter().filter_map(|&i| inputs.get(i))),
            input_indexes: indexes,
        });
    }
    out
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
    fn body_matches_serde_json() {
        let mut inputs = vec![input("1"), input("2")];
        inputs[1].id_property = Some("deal_external_id".into());
        inputs[1].object_write_trace_id = Some("t-2".into());
        let body = encode_body(&inputs);
        let parsed: BatchInputSimplePublicObjectBatchInput = serde_json::from_str(&body).unwrap();
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
