//! `/v1/models`: upload a workbook, read its summary, list.

use actix_web::web::{self, Data, Payload, Query};
use actix_web::{HttpRequest, HttpResponse, get, post};
use montecell_engine::Workbook;
use montecell_engine::compile::detect;
use montecell_engine::import::{self, Limits};
use montecell_shared::db::ModelRow;
use montecell_shared::problem::Problem;
use montecell_shared::resources::{DetectedCell, ModelResource, ModelSummary, Page, SheetSummary, now_millis};
use sha2::{Digest, Sha256};

use super::{ListQuery, Tenant, location, page_limit};
use crate::AppState;
use crate::error::ApiError;
use crate::upload;

/// What a workbook holds, for the model resource.
pub fn summarise(wb: &Workbook) -> ModelSummary {
    let (inputs, outputs) = detect(wb);
    let cell = |d: montecell_engine::compile::Detected| DetectedCell { cell: d.cell, function: d.function };
    ModelSummary {
        sheets: wb
            .sheets()
            .iter()
            .map(|s| SheetSummary {
                name: s.name.clone(),
                cells: s.len() as u64,
                dimension: s.used_bounds().map(|(t, l, b, r)| {
                    format!(
                        "{}:{}",
                        montecell_engine::address::format_a1(t, l),
                        montecell_engine::address::format_a1(b, r)
                    )
                }),
            })
            .collect(),
        formula_count: wb.formula_cell_count() as u64,
        inputs: inputs.into_iter().map(cell).collect(),
        outputs: outputs.into_iter().map(cell).collect(),
        unsupported_functions: wb.unsupported_functions(),
        formula_problems: wb
            .problems()
            .iter()
            .take(100)
            .map(|p| format!("{}: {} ({})", p.cell, p.formula, p.error))
            .collect(),
    }
}

/// Upload a workbook (`.xlsx`): a raw body (`?filename=` names it) or a multipart form with a
/// `file` field. The same bytes uploaded twice are stored once.
#[utoipa::path(
    tag = "models",
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The workbook (or multipart/form-data with a `file` field)"),
    params(("filename" = Option<String>, Query, description = "The file name of a raw upload")),
    responses(
        (status = 201, description = "Stored", body = ModelResource),
        (status = 413, description = "Larger than max_upload_bytes", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a readable workbook", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/models")]
pub async fn create(
    state: Data<AppState>,
    tenant: Tenant,
    req: HttpRequest,
    payload: Payload,
) -> Result<HttpResponse, ApiError> {
    let upload = upload::receive(&req, payload, tenant.max_upload_bytes(&state.settings)).await?;
    if upload.size == 0 {
        return Err(ApiError::invalid("file", "the upload is empty"));
    }
    let path = upload.file.path().to_owned();
    let (sha256, wb) = web::block(move || -> Result<(String, Workbook), Problem> {
        let bytes = std::fs::read(&path)
            .map_err(|e| Problem::new(500, "internal", "Upload unreadable").detail(e.to_string()))?;
        let sha = hex::encode(Sha256::digest(&bytes));
        let wb = import::read_bytes(&bytes, &Limits::default())
            .map_err(|e| Problem::new(422, "invalid-workbook", "Not a readable workbook").detail(e.to_string()))?;
        Ok((sha, wb))
    })
    .await
    .map_err(|e| ApiError::Problem(Problem::new(500, "internal", "Upload check failed").detail(e.to_string())))??;
    let summary = summarise(&wb);
    let blob_key = format!("models/{sha256}.xlsx");
    if !state.blobs.exists(&blob_key).await? {
        state.blobs.put_file(&blob_key, upload.file.path()).await?;
    }
    state.workbooks.insert(&sha256, std::sync::Arc::new(wb));
    let row = ModelRow {
        id: uuid::Uuid::now_v7().to_string(),
        tenant_id: tenant.id.clone(),
        filename: upload.filename,
        size_bytes: upload.size as i64,
        sha256,
        blob_key,
        summary: serde_json::to_string(&summary).map_err(|e| ApiError::bad_request(e.to_string()))?,
        created_at: now_millis(),
    };
    state.db.insert_model(&row).await?;
    metrics::counter!("montecell_models_uploaded_total").increment(1);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location(&state, &req, &format!("/v1/models/{}", row.id))))
        .json(row.resource()?))
}

/// A model.
#[utoipa::path(
    tag = "models",
    params(("id" = String, Path, description = "Model id")),
    responses(
        (status = 200, body = ModelResource),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/models/{id}")]
pub async fn show(state: Data<AppState>, tenant: Tenant, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let row = state.db.model(&tenant.id, &id).await?.ok_or_else(|| ApiError::not_found("model", &id))?;
    Ok(HttpResponse::Ok().json(row.resource()?))
}

/// The tenant's models, newest first.
#[utoipa::path(
    tag = "models",
    params(ListQuery),
    responses((status = 200, body = Page<ModelResource>))
)]
#[get("/v1/models")]
pub async fn list(state: Data<AppState>, tenant: Tenant, q: Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let limit = page_limit(&state, q.limit)?;
    let rows = state.db.models(&tenant.id, q.cursor.as_deref(), limit + 1).await?;
    let next = (rows.len() > limit as usize).then(|| rows[limit as usize - 1].id.clone());
    let items = rows.iter().take(limit as usize).map(|r| r.resource()).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page { items, next_cursor: next }))
}
