//! The `montecell` application: the command line over the engine (and, later, the service).

pub mod cli;
mod corpus;
mod output;
mod simulate;
