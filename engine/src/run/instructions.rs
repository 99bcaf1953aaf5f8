//! Which instruction set the hot loops of a run are compiled for, chosen at run time.
//!
//! A release build targets the x86-64 baseline (SSE2), so that one binary runs on any x86-64
//! machine. The loops of a batch — drawing uniforms (Philox, the Latin Hypercube permutation),
//! turning them into samples, and the tape's vector operations — are also compiled for AVX2
//! and for AVX-512, and a run uses the widest its processor has (measured on the benchmark
//! workbooks: `cargo bench -p montecell-engine --bench phases`, see `docs/benchmarks.md`).
//!
//! The results are bit-identical whichever is used: Rust never contracts `a * b + c` into a
//! fused multiply-add or reorders floating-point reductions on its own, so the wider
//! instructions compute the same operations on more lanes at once. A test runs every level the
//! machine has on the examples and compares every sample.

use std::sync::OnceLock;

/// The instructions a run may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Instructions {
    /// The x86-64 baseline (SSE2), or whatever the build targets on another architecture.
    Baseline,
    /// AVX2, FMA, BMI1/2 (x86-64-v3), where the processor has them.
    Avx2,
    /// AVX-512 F/DQ/VL/BW/CD and the above (x86-64-v4), where the processor has them.
    Avx512,
    /// The widest the processor has (the default).
    #[default]
    Best,
}

impl Instructions {
    /// What a run asking for `self` uses on this processor: at most what it has.
    pub fn resolve(self) -> Instructions {
        self.min(detected())
    }
}

/// The widest level this processor has (detected once per process).
pub fn detected() -> Instructions {
    static LEVEL: OnceLock<Instructions> = OnceLock::new();
    *LEVEL.get_or_init(detect)
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Instructions {
    let v3 = std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("bmi1")
        && std::arch::is_x86_feature_detected!("bmi2")
        && std::arch::is_x86_feature_detected!("lzcnt")
        && std::arch::is_x86_feature_detected!("movbe");
    let v4 = v3
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512cd");
    if v4 {
        Instructions::Avx512
    } else if v3 {
        Instructions::Avx2
    } else {
        Instructions::Baseline
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Instructions {
    Instructions::Baseline
}
