//! montecell's service core, shared by the API and the workers. Read top-down:
//!
//! 1. [`settings`] — one typed settings struct: defaults file, `MONTECELL_CONFIG`, environment;
//! 2. [`problem`] — RFC 9457 problem details, the shape of every error;
//! 3. [`resources`] — models, simulations and pages as the API shows them;
//! 4. [`db`] — Postgres or SQLite: the rows and every state transition of a simulation;
//! 5. [`blob`] — a local folder or S3: workbooks and raw samples;
//! 6. [`samples`] — the raw samples' format;
//! 7. [`queue`] — apalis on Redis or SQLite: the jobs that say "run this simulation";
//! 8. [`workbooks`] — parsed workbooks by content hash, kept between requests and jobs;
//! 9. [`webhooks`] — signatures, secrets, retry delays and the private-address guard;
//! 10. [`tenants`] — tenants, their limits, and API keys (format, hash, rows).

pub mod blob;
pub mod db;
pub mod problem;
pub mod queue;
pub mod resources;
pub mod samples;
pub mod settings;
pub mod tenants;
pub mod webhooks;
pub mod workbooks;

/// The montecell version, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
