//! Helpers shared by the kernels tests: the examples, the host (g++) build of generated
//! kernels, NVRTC discovery.
#![allow(dead_code, clippy::expect_used, clippy::print_stderr, unreachable_pub)]

use std::path::PathBuf;
use std::process::Command;

use montecell_engine::compile::{Model, compile};
use montecell_engine::import::{Limits, read_file};
use montecell_engine::run::{RunOptions, Samples, run};
use montecell_engine::sampling::Sampler;
use montecell_engine::simulate::build_sampler;
use montecell_engine::spec::{ResolvedSpec, SimulationSpec};
use montecell_engine::workbook::Workbook;
use montecell_kernels::codegen::GeneratedKernel;

pub const EXAMPLES: [&str; 3] = ["cost-risk", "loan-portfolio", "npv"];

/// The checkout: the parent of the package folder that cargo names at run time
/// (`CARGO_MANIFEST_DIR`; `scripts/device-check` sets it too when it runs a test binary built on
/// another machine), else of the one the tests were built in.
pub fn repo_root() -> PathBuf {
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    package.join("..")
}

pub fn example(name: &str) -> (Workbook, SimulationSpec) {
    let dir = repo_root().join("examples");
    let wb = read_file(&dir.join(format!("{name}.xlsx")), &Limits::default()).expect("example workbook");
    let text = std::fs::read_to_string(dir.join(format!("{name}.spec.json"))).expect("example spec");
    (wb, SimulationSpec::from_json(&text).expect("example spec parses"))
}

/// Compiles a model and its sampler as the engine's `simulate` does.
pub fn prepare<'wb>(wb: &'wb Workbook, spec: &SimulationSpec) -> (ResolvedSpec, Model<'wb>, Sampler) {
    let resolved = spec.resolve(wb).expect("spec resolves");
    let model = compile(wb, &resolved.inputs, &resolved.outputs).expect("model compiles");
    let (sampler, _) = build_sampler(&model, &resolved).expect("sampler");
    (resolved, model, sampler)
}

/// The CPU engine's samples.
pub fn cpu_samples(model: &Model<'_>, sampler: &Sampler, iterations: u64) -> Samples {
    run(model, sampler, iterations, &RunOptions::default()).expect("CPU run")
}

/// A generated kernel's samples, computed by the same source compiled as C++ on the host.
pub struct HostSamples {
    pub outputs: Vec<Vec<f64>>,
    pub inputs: Vec<Vec<f64>>,
    pub strata: Vec<Vec<u32>>,
}

const HOST_MAIN: &str = r#"
// Host driver: runs the kernel for every iteration, one (block, thread) at a time.
int main(int argc, char** argv) {
    if (argc != 9) { std::fprintf(stderr, "usage: data seed strata_n first count n_out n_in n_strata\n"); return 2; }
    FILE* f = std::fopen(argv[1], "rb");
    if (!f) return 3;
    std::fseek(f, 0, SEEK_END);
    long bytes = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    double* data = (double*)std::malloc(bytes > 0 ? (size_t)bytes : 8);
    if (bytes > 0 && std::fread(data, 1, (size_t)bytes, f) != (size_t)bytes) return 4;
    std::fclose(f);
    mc_u64 seed = std::strtoull(argv[2], nullptr, 10), strata_n = std::strtoull(argv[3], nullptr, 10);
    mc_u64 first = std::strtoull(argv[4], nullptr, 10), count = std::strtoull(argv[5], nullptr, 10);
    mc_u64 n_out = std::strtoull(argv[6], nullptr, 10), n_in = std::strtoull(argv[7], nullptr, 10);
    mc_u64 n_strata = std::strtoull(argv[8], nullptr, 10);
    double* outputs = (double*)std::calloc(n_out * count + 1, 8);
    double* inputs = (double*)std::calloc(n_in * count + 1, 8);
    mc_u32* strata = (mc_u32*)std::calloc(n_strata * count + 1, 4);
    blockDim.x = 128;
    for (mc_u64 i = 0; i < count; i++) {
        blockIdx.x = (unsigned int)(i / 128);
        threadIdx.x = (unsigned int)(i % 128);
        mc_model(seed, strata_n, first, count, data, outputs, inputs, strata);
    }
    std::fwrite(outputs, 8, n_out * count, stdout);
    std::fwrite(inputs, 8, n_in * count, stdout);
    std::fwrite(strata, 4, n_strata * count, stdout);
    return 0;
}
"#;

/// Compiles the kernel's source with g++ (C++17, no contraction of a*b+c) and runs it for
/// iterations `first .. first + count`.
pub fn host_run(g: &GeneratedKernel, seed: u64, strata_n: u64, first: u64, count: u64) -> HostSamples {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("model.cpp");
    let exe = dir.path().join("model");
    let data = dir.path().join("data.bin");
    std::fs::write(&src, format!("{}\n{HOST_MAIN}", g.source)).expect("write source");
    let bytes: Vec<u8> = g.data.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&data, bytes).expect("write data");
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "g++".to_owned());
    let out = Command::new(&cxx)
        .args(["-std=c++17", "-O1", "-ffp-contract=off", "-fno-fast-math", "-w", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("run the C++ compiler (g++)");
    assert!(out.status.success(), "g++ failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let n_strata = g.stratified.len() as u64;
    let out = Command::new(&exe)
        .arg(&data)
        .args([seed, strata_n, first, count, g.outputs as u64, g.inputs as u64, n_strata].map(|x| x.to_string()))
        .output()
        .expect("run the host build");
    assert!(out.status.success(), "host build failed: {}", String::from_utf8_lossy(&out.stderr));
    split(&out.stdout, g.outputs, g.inputs, g.stratified.len(), count as usize)
}

/// Bits of two lanes: equal, or both the same number.
pub fn same_lane(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

/// Relative difference (0 when both are equal, NaN, or infinite alike).
pub fn rel(a: f64, b: f64) -> f64 {
    if a == b || (a.is_nan() && b.is_nan()) {
        return 0.0;
    }
    (a - b).abs() / a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

/// Where libnvrtc is: MONTECELL_NVRTC_LIB (read by the library), or the folder
/// `.ci/nvrtc-setup` installs into.
pub fn locate_nvrtc() {
    let default = repo_root().join("target/ci-tools/nvrtc/nvidia/cuda_nvrtc/lib/libnvrtc.so.12");
    if std::env::var_os(montecell_kernels::nvrtc::NVRTC_LIB_VAR).is_none() && default.exists() {
        montecell_kernels::nvrtc::preload(&default);
    }
}

/// NVRTC is there, or: in CI (CI=true) a failure, elsewhere a loud skip (returns false).
pub fn nvrtc_or_skip(test: &str) -> bool {
    locate_nvrtc();
    if montecell_kernels::nvrtc::available() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "NVRTC not found and CI=true: run `eval \"$(.ci/nvrtc-setup)\"` first ({test})");
    eprintln!("\n*** SKIPPED: NVRTC not found ({test}); run `eval \"$(.ci/nvrtc-setup)\"` to run it ***\n");
    false
}

const INTERPRETER_MAIN: &str = r#"
int main(int argc, char** argv) {
    if (argc != 8) { std::fprintf(stderr, "usage: code data seed strata_n count rows n_strata\n"); return 2; }
    auto slurp = [](const char* path, long* bytes) -> void* {
        FILE* f = std::fopen(path, "rb");
        if (!f) return nullptr;
        std::fseek(f, 0, SEEK_END);
        *bytes = std::ftell(f);
        std::fseek(f, 0, SEEK_SET);
        void* p = std::malloc(*bytes > 0 ? (size_t)*bytes : 8);
        if (*bytes > 0 && std::fread(p, 1, (size_t)*bytes, f) != (size_t)*bytes) return nullptr;
        std::fclose(f);
        return p;
    };
    long cb = 0, db = 0;
    mc_u32* code = (mc_u32*)slurp(argv[1], &cb);
    double* data = (double*)slurp(argv[2], &db);
    if (!code || !data) return 3;
    mc_u64 seed = std::strtoull(argv[3], nullptr, 10), strata_n = std::strtoull(argv[4], nullptr, 10);
    mc_u64 count = std::strtoull(argv[5], nullptr, 10), rows = std::strtoull(argv[6], nullptr, 10);
    mc_u64 n_strata = std::strtoull(argv[7], nullptr, 10);
    mc_u64 n_in = code[0], n_out = code[3];
    double* regs = (double*)std::calloc(rows * count + 1, 8);
    double* outputs = (double*)std::calloc(n_out * count + 1, 8);
    double* inputs = (double*)std::calloc(n_in * count + 1, 8);
    mc_u32* strata = (mc_u32*)std::calloc(n_strata * count + 1, 4);
    blockDim.x = 128;
    for (mc_u64 i = 0; i < count; i++) {
        blockIdx.x = (unsigned int)(i / 128);
        threadIdx.x = (unsigned int)(i % 128);
        mc_interpret(seed, strata_n, 0, count, code, data, regs, outputs, inputs, strata);
    }
    std::fwrite(outputs, 8, n_out * count, stdout);
    std::fwrite(inputs, 8, n_in * count, stdout);
    std::fwrite(strata, 4, n_strata * count, stdout);
    return 0;
}
"#;

/// The interpreter kernel compiled as C++ on the host, run over a program for iterations
/// `0 .. count`.
pub fn host_interpret(
    p: &montecell_kernels::interpreter::Program,
    seed: u64,
    strata_n: u64,
    count: u64,
) -> HostSamples {
    // The interpreter is one program for every model: compiled once per test process.
    static EXE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let exe = EXE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let src = dir.join("interpreter.cpp");
        let exe = dir.join("interpreter");
        let source = montecell_kernels::sources::kernel_source("interpreter.cu").expect("interpreter source");
        std::fs::write(&src, format!("{source}\n{INTERPRETER_MAIN}")).expect("write source");
        let cxx = std::env::var("CXX").unwrap_or_else(|_| "g++".to_owned());
        let out = Command::new(&cxx)
            .args(["-std=c++17", "-O1", "-ffp-contract=off", "-fno-fast-math", "-w", "-o"])
            .arg(&exe)
            .arg(&src)
            .output()
            .expect("run the C++ compiler (g++)");
        assert!(out.status.success(), "g++ failed:\n{}", String::from_utf8_lossy(&out.stderr));
        exe
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let code = dir.path().join("code.bin");
    let data = dir.path().join("data.bin");
    std::fs::write(&code, p.code.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()).expect("code");
    std::fs::write(&data, p.data.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()).expect("data");
    let out = Command::new(exe)
        .arg(&code)
        .arg(&data)
        .args([seed, strata_n, count, p.rows as u64, p.stratified.len() as u64].map(|x| x.to_string()))
        .output()
        .expect("run the host build");
    assert!(out.status.success(), "host interpreter failed: {}", String::from_utf8_lossy(&out.stderr));
    split(&out.stdout, p.outputs, p.inputs, p.stratified.len(), count as usize)
}

fn split(b: &[u8], n_out: usize, n_in: usize, n_strata: usize, n: usize) -> HostSamples {
    let f64_at = |k: usize| f64::from_le_bytes(b[8 * k..8 * k + 8].try_into().expect("8 bytes"));
    let outputs = (0..n_out).map(|o| (0..n).map(|i| f64_at(o * n + i)).collect()).collect();
    let base = n_out * n;
    let inputs = (0..n_in).map(|j| (0..n).map(|i| f64_at(base + j * n + i)).collect()).collect();
    let sbase = 8 * (n_out + n_in) * n;
    let strata = (0..n_strata)
        .map(|s| {
            (0..n)
                .map(|i| {
                    let k = sbase + 4 * (s * n + i);
                    u32::from_le_bytes(b[k..k + 4].try_into().expect("4 bytes"))
                })
                .collect()
        })
        .collect();
    HostSamples { outputs, inputs, strata }
}
