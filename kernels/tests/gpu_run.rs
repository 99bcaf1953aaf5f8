//! GPU execution tests: they need an NVIDIA driver, a device and NVRTC, and run only with
//! `--features cuda` (`cargo test -p montecell-kernels --features cuda --test gpu_run`), where a
//! missing device is a failure. Without the feature they are reported as ignored, never as
//! passed. (This repository's CI has no GPU.)
#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use cudarc::driver::{CudaContext, LaunchConfig, PushKernelArg};
use montecell_engine::rng;
use montecell_engine::simulate::simulate;
use montecell_kernels::codegen::check_supported;
use montecell_kernels::gpu::{GpuEngine, GpuRunOptions, device_count};
use montecell_kernels::nvrtc;

fn device_or_skip(test: &str) -> Option<GpuEngine> {
    common::locate_nvrtc();
    let required = cfg!(feature = "cuda");
    if device_count() == 0 || !nvrtc::available() {
        assert!(!required, "{test}: --features cuda but no CUDA device or no NVRTC");
        eprintln!("\n*** SKIPPED: no CUDA device or no NVRTC ({test}) ***\n");
        return None;
    }
    Some(GpuEngine::open(0).expect("open device 0"))
}

/// Philox on the device: the uniforms of the hand-written kernel equal rng::uniform bit for bit
/// (integer arithmetic and exact conversions only).
#[test]
#[cfg_attr(not(feature = "cuda"), ignore = "needs a CUDA device: --features cuda")]
fn device_philox_matches_the_engine_bit_for_bit() {
    if device_or_skip("device_philox_matches_the_engine_bit_for_bit").is_none() {
        return;
    }
    let ctx = CudaContext::new(0).expect("context");
    let stream = ctx.default_stream();
    let c = nvrtc::compile_kernel_file("sampling.cu", None).expect("compiles");
    let module = ctx.load_module(c.ptx).expect("loads");
    let f = module.load_function("mc_uniforms").expect("function");
    let (seed, stream_id, first, count) = (42u64, rng::stream_id("Model!B4"), 1u64 << 33, 1u64 << 20);
    let mut out = stream.alloc_zeros::<f64>(count as usize).expect("alloc");
    let mut b = stream.launch_builder(&f);
    b.arg(&seed).arg(&stream_id).arg(&first).arg(&count).arg(&mut out);
    let cfg = LaunchConfig { grid_dim: ((count / 256) as u32, 1, 1), block_dim: (256, 1, 1), shared_mem_bytes: 0 };
    #[allow(unsafe_code)]
    // SAFETY: mc_uniforms(u64, u64, u64, u64, double*) with `count` doubles.
    unsafe { b.launch(cfg) }.expect("launch");
    let host = stream.clone_dtoh(&out).expect("copy");
    for (i, x) in host.iter().enumerate() {
        assert_eq!(x.to_bits(), rng::uniform(seed, stream_id, first + i as u64).to_bits(), "iteration {i}");
    }
}

/// Every example that runs on the GPU: the same statistics as the CPU engine (1e-9 relative),
/// and how many draws and outputs are identical to the bit (transcendentals of libdevice may
/// differ from glibc's in the last place).
#[test]
#[cfg_attr(not(feature = "cuda"), ignore = "needs a CUDA device: --features cuda")]
fn examples_on_the_device_match_the_cpu_engine() {
    let Some(gpu) = device_or_skip("examples_on_the_device_match_the_cpu_engine") else { return };
    for name in common::EXAMPLES {
        let (wb, spec) = common::example(name);
        let (_, model, _) = common::prepare(&wb, &spec);
        if let Err(why) = check_supported(&model) {
            eprintln!("{name}: CPU engine ({why})");
            continue;
        }
        let g = gpu.simulate(&wb, &spec, &GpuRunOptions::default()).expect("GPU simulation");
        let c = simulate(&wb, &spec, &Default::default()).expect("CPU simulation");
        let mut identical = 0usize;
        let mut total = 0usize;
        let mut worst = 0.0f64;
        for (a, b) in
            g.samples.inputs.iter().chain(&g.samples.outputs).zip(c.samples.inputs.iter().chain(&c.samples.outputs))
        {
            for (x, y) in a.iter().zip(b) {
                total += 1;
                identical += usize::from(x.to_bits() == y.to_bits());
                worst = worst.max(common::rel(*x, *y));
            }
        }
        let mut stats = 0.0f64;
        for (x, y) in g.result.outputs.iter().zip(&c.result.outputs) {
            for (u, v) in [(x.mean, y.mean), (x.std, y.std), (x.min, y.min), (x.max, y.max)] {
                stats = stats.max(common::rel(u, v));
            }
            for (p, q) in x.percentiles.iter().zip(&y.percentiles) {
                stats = stats.max(common::rel(p.value, q.value));
            }
        }
        eprintln!(
            "{name} on {}: {identical}/{total} lanes identical, max lane rel. diff {worst:e}, statistics max rel. diff {stats:e}, {:?} ms",
            gpu.device(),
            g.result.engine.timing_ms
        );
        assert!(stats <= 1e-9, "{name}: statistics differ by {stats:e}");
    }
}
