//! Types shared by the montecell API and workers: the simulation request, job states and the
//! typed settings. The HTTP service (issue 4) fills this crate; today it holds the version.

/// The montecell version, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
