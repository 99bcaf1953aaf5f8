//! RFC 9457 problem details: the one shape of every error the API returns, and of a failed
//! simulation's `error`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A problem (RFC 9457 `application/problem+json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem: `/problems/<slug>` (listed in `docs/api.md`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What happened this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Per-field validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The field as a path: `inputs[2].distribution.max`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl Problem {
    /// A problem of kind `slug` with status and title.
    pub fn new(status: u16, slug: &str, title: &str) -> Problem {
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status,
            detail: None,
            instance: None,
            errors: Vec::new(),
        }
    }

    /// With a detail.
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    /// With a field error.
    #[must_use]
    pub fn field(mut self, field: impl Into<String>, message: impl Into<String>) -> Problem {
        self.errors.push(FieldError { field: field.into(), message: message.into() });
        self
    }

    /// The slug of the kind (`validation`, `not-found`…).
    pub fn slug(&self) -> &str {
        self.kind.rsplit('/').next().unwrap_or(&self.kind)
    }
}
