//! montecell on NVIDIA GPUs: the CUDA C sources of `kernels/cuda` (Philox4x32-10, the inverse
//! CDFs of every distribution the engine samples, Latin Hypercube permutation, Gaussian
//! copula, Excel semantics, reductions), the code generator that turns a compiled model's tape
//! into one fused kernel, NVRTC compilation with a per-process cache, and the GPU run.
//!
//! Everything CUDA is loaded at run time (cudarc's `dynamic-loading`): this crate builds, and
//! its CPU tests pass, on a machine without CUDA. [`nvrtc::available`] and
//! [`gpu::GpuEngine::open`] say whether NVRTC and a device are there; nothing panics when they
//! are not.
//!
//! - [`sources`]: the embedded sources and their concatenation;
//! - [`codegen`]: tape → CUDA C ([`codegen::generate`]) and the rule for what runs where
//!   ([`codegen::plan`]);
//! - [`interpreter`]: the tape as a program for the device-side interpreter (large models);
//! - [`nvrtc`]: compilation to PTX and its cache;
//! - [`gpu`]: [`gpu::GpuEngine`], which runs a model over the iterations in chunks and returns
//!   the engine's [`montecell_engine::run::Samples`] (and a full `SimulationResult`).

pub mod codegen;
pub mod error;
pub mod gpu;
pub mod interpreter;
pub mod nvrtc;
pub mod sources;

pub use error::GpuError;
