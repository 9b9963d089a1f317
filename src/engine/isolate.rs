//! Pinpointing the invalid inputs of a batch HubSpot rejected whole (400 `VALIDATION_ERROR`).
//!
//! HubSpot names the offending property in each detail of the array it embeds in the
//! message, and for a bad value the value itself (`x was not one of the allowed options:
//! [...]`). Its verdict on a value does not depend on the rest of the batch, so every input of
//! the batch whose property holds exactly a named value would be refused the same way, and an
//! input that sets a property HubSpot says does not exist or is read-only would be refused
//! whatever its value. Those inputs fail at once; the rest go again. Nothing else is judged
//! here: a detail this cannot tie to an input (a value-level verdict that depends on other
//! records, such as a unique value already taken, or a message in another shape) leaves the
//! batch to the halving fallback, so a valid input is never failed by a guess.

use crate::model::{ErrorDetail, SimplePublicObjectBatchInput};
use crate::schema::ViolationCode;

/// Which inputs of `batch` (positions in `inputs`) a detail of `details` condemns, each with
/// the detail that does; `None` when no detail names anything an input of the batch holds.
pub fn pinpoint<'a>(
    batch: &[usize],
    inputs: &[SimplePublicObjectBatchInput],
    details: &'a [ErrorDetail],
) -> Option<Vec<(usize, &'a ErrorDetail)>> {
    let mut condemned: Vec<(usize, &ErrorDetail)> = Vec::new();
    for detail in details {
        let (Some(property), Some(code)) = (
            detail.in_.as_deref(),
            detail.code.as_deref().and_then(ViolationCode::parse),
        ) else {
            continue;
        };
        let value = match code {
            // Refused whatever the value.
            ViolationCode::PropertyDoesntExist | ViolationCode::ReadOnlyValue => None,
            ViolationCode::InvalidOption
            | ViolationCode::InvalidDecimal
            | ViolationCode::InvalidDate => match named_value(&detail.message) {
                Some(v) => Some(v),
                None => continue,
            },
            ViolationCode::LeadingTrailingWhitespace => continue,
        };
        for &i in batch {
            let Some(held) = inputs.get(i).and_then(|x| x.properties.get(property)) else {
                continue;
            };
            let holds = match value {
                None => true,
                Some(v) => {
                    held == v
                        // A multi-select value is checked per `;` part, and named by the part.
                        || (code == ViolationCode::InvalidOption
                            && !v.contains(';')
                            && held.split(';').any(|part| part == v))
                }
            };
            if holds && !condemned.iter().any(|(c, _)| *c == i) {
                condemned.push((i, detail));
            }
        }
    }
    (!condemned.is_empty()).then_some(condemned)
}

/// The value a detail's message names: the text before ` was not ` (`x was not one of the
/// allowed options: [...]`, `x was not a valid number.`) or ` is at ` (`x is at 10:0:0.0 UTC,
/// not midnight!`).
fn named_value(message: &str) -> Option<&str> {
    [" was not ", " is at "]
        .iter()
        .filter_map(|marker| crate::text::find(message, marker))
        .min()
        .and_then(|at| message.get(..at))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Map;

    fn input(props: &[(&str, &str)]) -> SimplePublicObjectBatchInput {
        SimplePublicObjectBatchInput {
            id: "x".into(),
            properties: Map(props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()),
            id_property: None,
            object_write_trace_id: None,
        }
    }

    fn detail(code: &str, name: &str, message: &str) -> ErrorDetail {
        ErrorDetail {
            code: Some(code.into()),
            in_: Some(name.into()),
            message: message.into(),
            ..ErrorDetail::default()
        }
    }

    fn condemned(
        inputs: &[SimplePublicObjectBatchInput],
        details: &[ErrorDetail],
    ) -> Option<Vec<usize>> {
        let batch: Vec<usize> = (0..inputs.len()).collect();
        pinpoint(&batch, inputs, details).map(|v| v.into_iter().map(|(i, _)| i).collect())
    }

    #[test]
    fn fails_exactly_the_inputs_holding_the_named_value() {
        let inputs = [
            input(&[("dealstage", "closedwon")]),
            input(&[("dealstage", "bogus"), ("amount", "1")]),
            input(&[("amount", "2")]),
            input(&[("dealstage", "bogus")]),
            input(&[("dealstage", "bogus2")]),
        ];
        let d = detail(
            "INVALID_OPTION",
            "dealstage",
            "bogus was not one of the allowed options: [appointmentscheduled, closedwon]",
        );
        assert_eq!(condemned(&inputs, &[d]), Some(vec![1, 3]));
    }

    #[test]
    fn multi_select_parts_numbers_dates_and_property_level_codes() {
        let inputs = [
            input(&[("tags", "hot;nope")]),
            input(&[("tags", "hot")]),
            input(&[("amount", "12abc")]),
            input(&[("renewal_date", "1714557600000")]),
            input(&[("hs_object_id", "5")]),
            input(&[("nosuch", "")]),
        ];
        let details = [
            detail(
                "INVALID_OPTION",
                "tags",
                "nope was not one of the allowed options: [hot, cold]",
            ),
            detail("INVALID_DECIMAL", "amount", "12abc was not a valid number."),
            detail(
                "INVALID_DATE",
                "renewal_date",
                "1714557600000 is at 10:0:0.0 UTC, not midnight!",
            ),
            detail(
                "READ_ONLY_VALUE",
                "hs_object_id",
                "\"hs_object_id\" is a read only property; its value cannot be set.",
            ),
            detail(
                "PROPERTY_DOESNT_EXIST",
                "nosuch",
                "Property \"nosuch\" does not exist",
            ),
        ];
        assert_eq!(condemned(&inputs, &details), Some(vec![0, 2, 3, 4, 5]));
    }

    /// What cannot be tied to an input with certainty is left to the halving.
    #[test]
    fn names_nothing_usable() {
        let inputs = [
            input(&[("deal_external_id", "a")]),
            input(&[("dealstage", "x")]),
        ];
        for d in [
            // A unique value taken depends on other records: not this input's value alone.
            detail(
                "NOT_UNIQUE",
                "deal_external_id",
                "a is already used by another deal",
            ),
            // A value no input holds.
            detail(
                "INVALID_OPTION",
                "dealstage",
                "y was not one of the allowed options: [a]",
            ),
            // A message in another shape.
            detail("INVALID_OPTION", "dealstage", "Invalid option"),
            // No property named.
            ErrorDetail {
                code: Some("INVALID_OPTION".into()),
                message: "x was not one of the allowed options: [a]".into(),
                ..ErrorDetail::default()
            },
        ] {
            assert_eq!(condemned(&inputs, std::slice::from_ref(&d)), None, "{d:?}");
        }
        assert_eq!(named_value(" was not a valid number."), None);
    }
}
