//! The web app: `/` and `/assets/…`, plain HTML, CSS and JavaScript modules from `web/`,
//! embedded in the binary (nothing to build, nothing fetched from elsewhere at run time). The
//! page uses only the public HTTP API.
//!
//! Every answer carries a strong `ETag` (of the content) and `Cache-Control: no-cache`: a
//! browser revalidates and gets `304 Not Modified` until the binary changes.

// actix's route macros turn each handler into a unit struct of the same name, which the
// `unreachable_pub` lint misreads.
#![allow(unreachable_pub)]

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use montecell_shared::problem::Problem;
use sha2::{Digest, Sha256};

use crate::error::problem_response;

/// One embedded file.
#[derive(Debug)]
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../web/index.html"),
    },
    Asset { name: "style.css", content_type: "text/css; charset=utf-8", body: include_bytes!("../../web/style.css") },
    Asset { name: "app.js", content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../web/app.js") },
    Asset { name: "api.js", content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../web/api.js") },
    Asset {
        name: "grid.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/grid.js"),
    },
    Asset {
        name: "charts.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/charts.js"),
    },
    Asset {
        name: "distributions.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/distributions.js"),
    },
    Asset {
        name: "format.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../web/format.js"),
    },
    Asset { name: "favicon.svg", content_type: "image/svg+xml", body: include_bytes!("../../web/favicon.svg") },
];

/// The page's policy: its own scripts, styles and API only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `"<sha256 prefix>"` of each asset, in `ASSETS` order.
fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| ASSETS.iter().map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..32])).collect())
}

fn serve(req: &HttpRequest, name: &str) -> HttpResponse {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        let p = Problem::new(404, "not-found", "Not found").detail(format!("no asset {name}"));
        return problem_response(&p);
    };
    let found = &ASSETS[i];
    let etag = etags()[i].as_str();
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut r = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    r.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if found.name == "index.html" {
        r.insert_header((header::CONTENT_SECURITY_POLICY, CSP)).insert_header((header::REFERRER_POLICY, "no-referrer"));
    }
    if matches { r.finish() } else { r.content_type(found.content_type).body(found.body) }
}

/// The web app.
#[get("/")]
pub async fn index(req: HttpRequest) -> HttpResponse {
    serve(&req, "index.html")
}

/// The web app's scripts, styles and icons.
#[get("/assets/{name}")]
pub async fn asset(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    serve(&req, &name)
}
