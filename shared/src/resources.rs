//! The resources of the API, as they travel over HTTP: models, simulations, pages.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::Problem;

/// Milliseconds since the Unix epoch, as stored.
pub type Millis = i64;

/// Now, in stored form.
pub fn now_millis() -> Millis {
    Utc::now().timestamp_millis()
}

/// A stored time as a UTC timestamp.
pub fn timestamp(ms: Millis) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// An uploaded workbook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelResource {
    /// Identifier (a UUIDv7: ordered by creation time).
    pub id: String,
    /// The uploaded file's name.
    pub filename: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the bytes, hex: the blob's identity (the same bytes twice → one blob).
    pub sha256: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// What the workbook holds.
    pub summary: ModelSummary,
}

/// What a workbook holds, as far as a simulation is concerned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelSummary {
    /// Its sheets, in order.
    pub sheets: Vec<SheetSummary>,
    /// Formula cells (every cell of an array formula counted).
    pub formula_count: u64,
    /// Distribution calls (`RiskNormal`, `PsiTriangular`, `RAND`…) found in formulas.
    pub inputs: Vec<DetectedCell>,
    /// Output markers (`RiskOutput`, `PsiOutput`) found in formulas.
    pub outputs: Vec<DetectedCell>,
    /// Functions the engine does not implement (cells calling them evaluate to `#NAME?`).
    pub unsupported_functions: Vec<String>,
    /// Formulas that could not be parsed, with the reason (at most 100 listed).
    pub formula_problems: Vec<String>,
}

/// A sheet of a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SheetSummary {
    /// Its name.
    pub name: String,
    /// Non-empty cells.
    pub cells: u64,
    /// Used range, `A1:F20` (absent for an empty sheet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
}

/// A cell found in a workbook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DetectedCell {
    /// `Sheet!B4`.
    pub cell: String,
    /// The function: `RISKNORMAL`, `RAND`, `RISKOUTPUT`…
    pub function: String,
}

/// Where a simulation is in its life (`docs/jobs.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a worker (first time, or after a failed attempt that will be retried).
    Queued,
    /// A worker runs it.
    Running,
    /// Finished; results are available.
    Succeeded,
    /// Finished without results; `error` says why.
    Failed,
    /// Stopped on request.
    Canceled,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 5] = [Status::Queued, Status::Running, Status::Succeeded, Status::Failed, Status::Canceled];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }

    /// From its stored form.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// A final status never changes again.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Canceled)
    }
}

/// A simulation's progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// Iterations computed by the current attempt.
    pub iterations_done: u64,
    /// Iterations asked.
    pub iterations_total: u64,
    /// `iterations_done / iterations_total`.
    pub fraction: f64,
}

/// Where the client wants the completion notice (delivered by the webhooks issue's outbox;
/// stored now).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// An `https://` (or, where allowed, `http://`) URL.
    pub url: String,
}

/// A simulation: its request, where it is, and when it succeeded its results.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SimulationResource {
    /// Identifier (a UUIDv7).
    pub id: String,
    /// The model it simulates.
    pub model_id: String,
    /// Where it is.
    pub status: Status,
    /// Iterations done of the total.
    pub progress: Progress,
    /// Runs started so far (1 on the first run).
    pub attempt: u32,
    /// Runs allowed before it ends `failed`.
    pub max_attempts: u32,
    /// Cancellation was asked.
    pub cancel_requested: bool,
    /// The simulation spec, as submitted (`docs/simulation-spec.md`).
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
    /// The completion webhook, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
    /// When its first run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The worker of the latest run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// Why it failed (or why the last attempt failed, while a retry is queued).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
    /// The results (`succeeded` only): statistics, percentiles, histogram and sensitivities
    /// per output, and the engine that ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub results: Option<Box<serde_json::value::RawValue>>,
}

/// A page of a list, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
