//! The montecell worker (apalis): pulls simulation jobs and runs the engine. Built by the
//! service issue; nothing is exposed yet.
