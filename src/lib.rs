//! The `montecell` application: the command line over the engine, and the service processes
//! (embedded, API, worker) over the `api` and `worker` crates.

mod admin;
pub mod cli;
mod corpus;
mod output;
pub mod service;
mod simulate;
