//! Inputs as the engine keeps them through a run.
//!
//! A [`SimplePublicObjectBatchInput`] holds every property name and value as its own
//! `String`: for 20,000 three-property inputs that is 140,000 allocations before the first
//! request may leave (every input is validated first), and each body then escapes them all
//! again. The engine needs the keys (id, id property, trace id) as strings, to match answers
//! to inputs, but the properties only as the body's text. So they are kept as that text,
//! ready to paste, and a body is a concatenation. Measured in fresh Node processes, from the
//! `update()` call to its first `fetch()`: 124 -> 93 ms for 20,000 inputs, 206 -> 154 ms for
//! 38,000 (BENCHMARKS.md section 3 prints the current figure).

use crate::model::SimplePublicObjectBatchInput;
use crate::request::{open_input, write_batch, write_members};

/// A validated input: its keys, and its properties as the members of a JSON object.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedInput {
    /// The internal id, or the value of `id_property`.
    pub id: String,
    /// A unique property whose value `id` is.
    pub id_property: Option<String>,
    /// Echoed by HubSpot on the matching result or error.
    pub object_write_trace_id: Option<String>,
    /// `"name":"value",...`, each string as [`crate::json::write_string`] writes it, in
    /// input order.
    pub properties: String,
}

impl PreparedInput {
    /// The input `model`, its properties written out.
    pub fn from_model(model: &SimplePublicObjectBatchInput) -> Self {
        let mut properties = String::new();
        write_members(&mut properties, &model.properties);
        PreparedInput {
            id: model.id.clone(),
            id_property: model.id_property.clone(),
            object_write_trace_id: model.object_write_trace_id.clone(),
            properties,
        }
    }

    /// The property `id` names: `""` for HubSpot's own id (no `idProperty`, or
    /// `hs_object_id`).
    pub fn id_key(&self) -> &str {
        crate::input::id_key_of(self.id_property.as_deref())
    }

    /// Whether the input sets any of the properties `names`. If its text cannot be read
    /// (it always can: it was written by `write_string` or checked by `json_inputs`), it
    /// counts as setting them: the caller only routes suspects apart, so that is safe.
    pub fn sets_any(&self, names: &[&str]) -> bool {
        match crate::json_inputs::members(&self.properties) {
            Some(members) => members.0.iter().any(|(k, _)| names.contains(&k.as_str())),
            None => true,
        }
    }

    /// Appends this input as an element of a batch body's `inputs` array, as
    /// [`crate::request::encode_body`] writes it.
    pub fn write_body(&self, out: &mut String) {
        open_input(
            out,
            &self.id,
            self.id_property.as_deref(),
            self.object_write_trace_id.as_deref(),
        );
        out.push_str(&self.properties);
        out.push_str("}}");
    }
}

/// A batch body for `inputs`.
pub fn encode_body<'a>(inputs: impl Iterator<Item = &'a PreparedInput>) -> String {
    write_batch(inputs, |out, input| input.write_body(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Map;

    fn model(
        id: &str,
        props: &[(&str, &str)],
        idp: Option<&str>,
        trace: Option<&str>,
    ) -> SimplePublicObjectBatchInput {
        SimplePublicObjectBatchInput {
            id: id.to_owned(),
            properties: Map(props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()),
            id_property: idp.map(str::to_owned),
            object_write_trace_id: trace.map(str::to_owned),
        }
    }

    /// The bodies are those of the model, byte for byte, escapes and all.
    #[test]
    fn bodies_match_the_models() {
        let models = [
            model(
                "1",
                &[("amount", "10"), ("dealname", "a \"quoted\" \\ name\n")],
                None,
                None,
            ),
            model("x@y.z", &[], Some("email"), Some("t-1")),
            model(
                "é\u{1}",
                &[("k\t", "ü€😀"), ("empty", "")],
                Some("hs_object_id"),
                None,
            ),
        ];
        let prepared: Vec<PreparedInput> = models.iter().map(PreparedInput::from_model).collect();
        for k in 0..=models.len() {
            assert_eq!(
                encode_body(prepared.iter().take(k)),
                crate::request::encode_body(models.iter().take(k)),
            );
        }
    }

    #[test]
    fn keys_and_property_names() {
        let p = PreparedInput::from_model(&model(
            "1",
            &[("a\"b", "x"), ("amount", "dealname")],
            Some("hs_object_id"),
            None,
        ));
        assert_eq!(p.id_key(), "");
        assert!(p.sets_any(&["a\"b"]));
        assert!(p.sets_any(&["zz", "amount"]));
        assert!(!p.sets_any(&["dealname", "a"]));
        assert!(!p.sets_any(&[]));
        let q = PreparedInput::from_model(&model("e", &[], Some("email"), None));
        assert_eq!(q.id_key(), "email");
        assert!(!q.sets_any(&["email"]));
    }
}
