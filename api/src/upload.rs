//! Receiving a workbook: a raw body or a multipart form's `file` field, spooled to a temporary
//! file while counting bytes, so the size limit holds before anything is buffered (a declared
//! `Content-Length` over the limit is refused before a byte is read).

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::web::Payload;
use futures::StreamExt;
use montecell_shared::problem::Problem;
use tempfile::NamedTempFile;

use crate::error::ApiError;

/// An upload on disk.
#[derive(Debug)]
pub struct Upload {
    /// The spooled bytes.
    pub file: NamedTempFile,
    /// Its size.
    pub size: u64,
    /// The client's file name.
    pub filename: String,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::Problem(
        Problem::new(413, "payload-too-large", "Upload too large")
            .detail(format!("the upload is larger than the limit of {limit} bytes (max_upload_bytes)")),
    )
}

fn io(e: std::io::Error) -> ApiError {
    ApiError::Problem(Problem::new(500, "internal", "Upload could not be stored").detail(e.to_string()))
}

/// Reads the upload of `POST /v1/models`.
pub async fn receive(req: &HttpRequest, payload: Payload, limit: u64) -> Result<Upload, ApiError> {
    if let Some(len) =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
    {
        // A multipart body carries a little framing around the file.
        if len > limit + 64 * 1024 {
            return Err(too_large(limit));
        }
    }
    let content_type =
        req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::new(req.headers(), payload);
        while let Some(field) = form.next().await {
            let mut field = field.map_err(|e| ApiError::bad_request(format!("multipart: {e}")))?;
            if field.name() != Some("file") {
                continue;
            }
            let filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(str::to_owned)
                .unwrap_or_else(|| "model.xlsx".into());
            let mut file = NamedTempFile::new().map_err(io)?;
            let mut size = 0u64;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| ApiError::bad_request(format!("multipart: {e}")))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(too_large(limit));
                }
                file.write_all(&chunk).map_err(io)?;
            }
            return Ok(Upload { file, size, filename });
        }
        return Err(ApiError::invalid("file", "the multipart form has no field named 'file'"));
    }
    let filename = query_filename(req).unwrap_or_else(|| "model.xlsx".into());
    let mut payload = payload;
    let mut file = NamedTempFile::new().map_err(io)?;
    let mut size = 0u64;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("body: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large(limit));
        }
        file.write_all(&chunk).map_err(io)?;
    }
    Ok(Upload { file, size, filename })
}

/// `?filename=` of a raw upload.
fn query_filename(req: &HttpRequest) -> Option<String> {
    req.query_string().split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "filename" && !v.is_empty()).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_names() {
        assert_eq!(percent_decode("my%20model.xlsx"), "my model.xlsx");
        assert_eq!(percent_decode("a+b%2"), "a b%2");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%é%zz"), "%é%zz");
    }
}
