//! HubSpot's five batch operations and what sets each apart: its path word, how many inputs
//! one request may carry, whether a request may be sent twice, what an input HubSpot leaves
//! out of a successful answer means, and the path for an API version.

/// A batch endpoint: `POST …/{objectType}/batch/{operation}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Change existing records (by id or a unique property).
    Update,
    /// Create or update, keyed by a unique property (`idProperty`).
    Upsert,
    /// Create new records. Not idempotent: see [`Operation::resend_is_safe`].
    Create,
    /// Read records by id or a unique property.
    Read,
    /// Archive (soft-delete) records by id.
    Archive,
}

/// Every operation, in the order the documentation lists them.
pub const OPERATIONS: [Operation; 5] = [
    Operation::Update,
    Operation::Upsert,
    Operation::Create,
    Operation::Read,
    Operation::Archive,
];

impl Operation {
    /// The path word: `update`, `upsert`, `create`, `read`, `archive`.
    pub fn word(self) -> &'static str {
        match self {
            Operation::Update => "update",
            Operation::Upsert => "upsert",
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Archive => "archive",
        }
    }

    /// The operation a path word names.
    pub fn parse(word: &str) -> Option<Operation> {
        OPERATIONS.into_iter().find(|o| o.word() == word)
    }

    /// Whether a request that may have reached HubSpot can be sent again without changing
    /// the outcome. Everything but create is keyed by ids, so a second attempt writes the
    /// same values; a second create makes a second record.
    pub fn resend_is_safe(self) -> bool {
        self != Operation::Create
    }

    /// Whether inputs carry property values (and so can be validated and isolated by them).
    pub fn writes_properties(self) -> bool {
        matches!(
            self,
            Operation::Update | Operation::Upsert | Operation::Create
        )
    }

    /// Whether an input is an id (`read`, `archive`), not an object with properties.
    pub fn takes_ids(self) -> bool {
        matches!(self, Operation::Read | Operation::Archive)
    }
}

/// HubSpot's most inputs per request for a read that asks for property history.
pub const MAX_READ_WITH_HISTORY: usize = 50;

/// The path of `operation` on `object_type` under `api_version` (`None` or `"v3"` for
/// `/crm/v3/objects/…`, a `YYYY-MM` date for `/crm/objects/YYYY-MM/…`).
pub fn path(api_version: Option<&str>, object_type: &str, operation: Operation) -> String {
    let word = operation.word();
    match api_version {
        None | Some("v3") => format!("/crm/v3/objects/{object_type}/batch/{word}"),
        Some(date) => format!("/crm/objects/{date}/{object_type}/batch/{word}"),
    }
}

/// Whether `text` is an API version the client accepts: `v3` or a `YYYY-MM` date.
pub fn is_api_version(text: &str) -> bool {
    let b = text.as_bytes();
    text == "v3"
        || (b.len() == 7
            && b.iter().enumerate().all(|(i, c)| {
                if i == 4 {
                    *c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
            && matches!(text.get(5..), Some(m) if ("01"..="12").contains(&m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for o in OPERATIONS {
            assert_eq!(Operation::parse(o.word()), Some(o));
        }
        assert_eq!(Operation::parse("delete"), None);
        assert_eq!(Operation::parse("Update"), None);
    }

    #[test]
    fn paths_follow_the_version() {
        assert_eq!(
            path(None, "0-3", Operation::Update),
            "/crm/v3/objects/0-3/batch/update"
        );
        assert_eq!(
            path(Some("v3"), "contacts", Operation::Read),
            "/crm/v3/objects/contacts/batch/read"
        );
        assert_eq!(
            path(Some("2026-03"), "0-3", Operation::Upsert),
            "/crm/objects/2026-03/0-3/batch/upsert"
        );
    }

    #[test]
    fn api_versions() {
        for ok in ["v3", "2026-03", "2025-09", "1999-12"] {
            assert!(is_api_version(ok), "{ok}");
        }
        for bad in [
            "", "v4", "2026-3", "2026-13", "2026-00", "2026/03", "26-03", "2026-03x", "v3 ",
        ] {
            assert!(!is_api_version(bad), "{bad}");
        }
    }

    #[test]
    fn only_create_is_unsafe_to_resend() {
        let unsafe_ops: Vec<_> = OPERATIONS
            .into_iter()
            .filter(|o| !o.resend_is_safe())
            .collect();
        assert_eq!(unsafe_ops, vec![Operation::Create]);
    }
}
