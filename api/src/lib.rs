//! The montecell HTTP API (actix-web). Built by the service issue; nothing is exposed yet.
