//! The CUDA C sources of `kernels/cuda`, embedded in the binary.
//!
//! The headers are concatenated in a fixed order ([`headers`]) in front of a kernel file or a
//! generated model: one translation unit, no include paths, no CUDA toolkit headers. The same
//! text compiles as C++17 on the host (the prelude maps the CUDA built-ins), which is how the
//! tests compare it with the Rust engine on a machine without a GPU.

use sha2::{Digest, Sha256};

/// The headers, in the order they are concatenated.
pub const HEADERS: [(&str, &str); 7] = [
    ("prelude.cuh", include_str!("../cuda/prelude.cuh")),
    ("philox.cuh", include_str!("../cuda/philox.cuh")),
    ("lhs.cuh", include_str!("../cuda/lhs.cuh")),
    ("special.cuh", include_str!("../cuda/special.cuh")),
    ("distributions.cuh", include_str!("../cuda/distributions.cuh")),
    ("copula.cuh", include_str!("../cuda/copula.cuh")),
    ("excel.cuh", include_str!("../cuda/excel.cuh")),
];

/// The hand-written kernel files: (file, source, kernels it defines).
pub const KERNEL_FILES: [(&str, &str, &[&str]); 3] = [
    (
        "sampling.cu",
        include_str!("../cuda/sampling.cu"),
        &["mc_uniforms", "mc_lhs_uniforms", "mc_normal_quantiles", "mc_copula", "mc_lhs_strata"],
    ),
    ("reduce.cu", include_str!("../cuda/reduce.cu"), &["mc_reduce_finite"]),
    ("interpreter.cu", include_str!("../cuda/interpreter.cu"), &["mc_interpret"]),
];

/// Every header, concatenated, each introduced by a `#line` directive naming its file (so
/// compiler messages point at `kernels/cuda/<file>`).
pub fn headers() -> String {
    let mut out = String::new();
    for (name, text) in HEADERS {
        out.push_str(&format!("#line 1 \"{name}\"\n"));
        out.push_str(text);
        out.push('\n');
    }
    out
}

/// The full translation unit of a hand-written kernel file (`"sampling.cu"`), or `None`.
pub fn kernel_source(file: &str) -> Option<String> {
    KERNEL_FILES.iter().find(|(name, _, _)| *name == file).map(|(name, text, _)| {
        let mut out = headers();
        out.push_str(&format!("#line 1 \"{name}\"\n"));
        out.push_str(text);
        out
    })
}

/// The cache key of a source: its SHA-256, hex.
pub fn source_hash(source: &str) -> String {
    hex::encode(Sha256::digest(source.as_bytes()))
}
