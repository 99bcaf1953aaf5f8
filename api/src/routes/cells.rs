//! `/v1/models/{id}/sheets/{sheet}/cells`: what the cells of a model's sheet hold — values and
//! formulas of a range — for a client that shows the workbook (the web app's grid).

use actix_web::web::{self, Data, Query};
use actix_web::{HttpResponse, get};
use montecell_engine::Workbook;
use montecell_engine::address::{Area, SheetId, format_a1, parse_a1, quote_sheet_name};
use montecell_engine::value::Value;
use montecell_engine::workbook::CellContent;
use montecell_shared::problem::Problem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Tenant, model_workbook};
use crate::AppState;
use crate::error::ApiError;

/// Most cells (rows × columns) one request may span.
pub const MAX_RANGE_CELLS: u64 = 250_000;

/// Query of the cells endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CellsQuery {
    /// `A1:Z200` (or one cell, `B7`). Default: the sheet's used range. At most 250,000 cells.
    pub range: Option<String>,
}

/// One non-empty cell.
#[derive(Debug, Serialize, ToSchema)]
pub struct CellEntry {
    /// `B7`.
    pub cell: String,
    /// Zero-based row.
    pub row: u32,
    /// Zero-based column.
    pub col: u32,
    /// `number`, `text`, `bool`, `error` or `blank` (a formula whose cached value is empty).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The value: the constant, or the value Excel cached for a formula. A number, a string,
    /// a boolean, the error's text (`#DIV/0!`) or `null`.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    /// The formula with its `=` (for a cell of an array formula, the array's formula).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// The range of the array formula the cell belongs to (`B2:B9`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<String>,
}

/// The cells of a range of one sheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct SheetCells {
    /// The sheet's name.
    pub sheet: String,
    /// The sheet's name as a reference writes it (`'My Sheet'`): `{reference}!B7` names a cell
    /// in a simulation spec.
    pub reference: String,
    /// The range answered (`A1:Z200`).
    pub range: String,
    /// The sheet's used range, `null` when it is empty.
    pub dimension: Option<String>,
    /// The non-empty cells of the range, row by row.
    pub cells: Vec<CellEntry>,
}

/// `A1:Z200` or `B7` (with or without `$`) on `sheet`.
fn parse_range(sheet: SheetId, text: &str) -> Option<Area> {
    let text = text.trim();
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    let (r1, c1) = parse_a1(a.trim())?;
    let (r2, c2) = parse_a1(b.trim())?;
    Some(Area::new(sheet, r1, c1, r2, c2))
}

fn value_json(v: &Value) -> (&'static str, serde_json::Value) {
    match v {
        Value::Blank | Value::Array(_) => ("blank", serde_json::Value::Null),
        Value::Number(n) => ("number", serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, Into::into)),
        Value::Text(s) => ("text", serde_json::Value::String(s.to_string())),
        Value::Bool(b) => ("bool", serde_json::Value::Bool(*b)),
        Value::Error(e) => ("error", serde_json::Value::String(e.as_str().to_owned())),
    }
}

fn entry(wb: &Workbook, row: u32, col: u32, content: &CellContent) -> CellEntry {
    let (value, formula) = match content {
        CellContent::Value(v) => (v, None),
        CellContent::Formula(id) => (&wb.formula(*id).cached, Some(wb.formula(*id))),
        CellContent::ArrayMember { anchor, cached } => (cached, Some(wb.formula(*anchor))),
    };
    let (kind, value) = value_json(value);
    CellEntry {
        cell: format_a1(row, col),
        row,
        col,
        kind,
        value,
        formula: formula.map(|f| format!("={}", f.text)),
        array: formula.and_then(|f| f.array).map(|a| a.a1()),
    }
}

/// The values and formulas of a range of one sheet of a model, for showing the workbook.
/// Values are those the file holds (Excel's cached values for formulas); only non-empty
/// cells are listed.
#[utoipa::path(
    tag = "models",
    params(
        ("id" = String, Path, description = "Model id"),
        ("sheet" = String, Path, description = "Sheet name (any case)"),
        CellsQuery,
    ),
    responses(
        (status = 200, body = SheetCells),
        (status = 404, description = "No such model or sheet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The range cannot be read or is too large (`errors[0].field` is `range`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/models/{id}/sheets/{sheet}/cells")]
pub async fn cells(
    state: Data<AppState>,
    tenant: Tenant,
    path: web::Path<(String, String)>,
    q: Query<CellsQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, sheet_name) = path.into_inner();
    let model = state.db.model(&tenant.id, &id).await?.ok_or_else(|| ApiError::not_found("model", &id))?;
    let wb = model_workbook(&state, &model.sha256, &model.blob_key).await?;
    let index = wb
        .sheets()
        .iter()
        .position(|s| s.name.eq_ignore_ascii_case(&sheet_name))
        .ok_or_else(|| ApiError::not_found(&format!("sheet in model {id} named"), &sheet_name))?;
    let sheet_id = SheetId(index as u32);
    let sheet = &wb.sheets()[index];
    let dimension = sheet.used_bounds().map(|(t, l, b, r)| Area::new(sheet_id, t, l, b, r));
    let area = match q.range.as_deref() {
        Some(text) => parse_range(sheet_id, text)
            .ok_or_else(|| ApiError::invalid("range", format!("'{text}' is not a range such as A1:Z200")))?,
        // From A1, so that the answer's positions are the sheet's.
        None => dimension.map_or(Area::new(sheet_id, 0, 0, 0, 0), |d| Area::new(sheet_id, 0, 0, d.bottom, d.right)),
    };
    if area.len() > MAX_RANGE_CELLS {
        return Err(ApiError::invalid(
            "range",
            format!("{} spans {} cells; ask for at most {MAX_RANGE_CELLS} at a time", area.a1(), area.len()),
        ));
    }
    let cells = sheet.cells_in(&area).map(|((row, col), content)| entry(&wb, row, col, content)).collect();
    Ok(HttpResponse::Ok().json(SheetCells {
        sheet: sheet.name.clone(),
        reference: quote_sheet_name(&sheet.name),
        range: area.a1(),
        dimension: dimension.map(|d| d.a1()),
        cells,
    }))
}
