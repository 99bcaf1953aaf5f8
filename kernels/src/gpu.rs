//! Running a compiled model on an NVIDIA GPU.
//!
//! [`GpuEngine::open`] binds one device (one CUDA context and its own stream). A run
//! generates the model's kernel ([`crate::codegen`]) — or, for a tape too long for
//! straight-line code, encodes it for the interpreter ([`crate::interpreter`]) — compiles it
//! once per process ([`crate::nvrtc`]), loads it once per engine, and launches it over the iterations in
//! chunks sized from the device's free memory; each chunk's outputs, input samples and strata
//! are copied back into the engine's [`Samples`], whose statistics the engine computes
//! exactly as for a CPU run. Cancellation and progress are checked between chunks.
//!
//! Nothing here has run on a device in this repository's CI: it needs a driver and a GPU
//! (`--features cuda` tests, or the device machine).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cudarc::driver::sys::CUevent_flags;
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream, LaunchConfig, PushKernelArg};
use montecell_engine::compile::{Model, compile};
use montecell_engine::result::Timing;
use montecell_engine::run::Samples;
use montecell_engine::sampling::Sampler;
use montecell_engine::simulate::{Simulation, build_sampler, summarise};
use montecell_engine::spec::SimulationSpec;
use montecell_engine::workbook::Workbook;

use crate::codegen::{self, GeneratedKernel, Mode, Plan};
use crate::error::GpuError;
use crate::nvrtc;

/// Threads per block of the model kernels.
const BLOCK: u32 = 128;
/// Largest chunk of iterations per launch (keeps a launch well under a second on large
/// models and progress and cancellation responsive).
const MAX_CHUNK: u64 = 1 << 22;
/// Share of the device's free memory a run may take.
const MEMORY_SHARE: f64 = 0.5;

/// Is the CUDA driver library (`libcuda.so`) loadable? Never panics.
pub fn driver_available() -> bool {
    // SAFETY: only tries to dlopen the candidate names (no call into the library).
    #[allow(unsafe_code)]
    unsafe {
        cudarc::driver::sys::is_culib_present()
    }
}

/// The devices present (0 when there is no driver).
pub fn device_count() -> usize {
    if !driver_available() {
        return 0;
    }
    CudaContext::device_count().map_or(0, |n| n.max(0) as usize)
}

/// The CUDA version the driver supports, as `(major, minor)` (`(13, 0)` for a 580 driver);
/// `None` without a driver.
pub fn driver_version() -> Option<(i32, i32)> {
    if !driver_available() {
        return None;
    }
    let mut v: std::ffi::c_int = 0;
    // SAFETY: the driver library is present (checked above); cuDriverGetVersion only writes
    // one int through a valid pointer and needs no initialised context.
    #[allow(unsafe_code)]
    let r = unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut v) };
    (r == cudarc::driver::sys::CUresult::CUDA_SUCCESS).then_some((v / 1000, (v % 1000) / 10))
}

/// How a GPU run went.
#[derive(Clone, Copy, Debug, Default)]
pub struct GpuTiming {
    /// Generating the source.
    pub generate: Duration,
    /// NVRTC (zero when the PTX was cached).
    pub nvrtc: Duration,
    /// Loading the module (the driver's PTX → SASS; zero when loaded before).
    pub load: Duration,
    /// Kernel launches and copies back (device buffers allocated, every chunk launched and
    /// copied into the host's samples).
    pub run: Duration,
    /// The kernels alone: the sum over chunks of the time between CUDA events recorded on the
    /// stream just before and just after each launch (device time, no copies).
    pub kernel: Duration,
    /// Iterations per launch.
    pub chunk: u64,
}

/// Progress and cancellation of a GPU run.
#[derive(Clone, Copy, Default)]
pub struct GpuRunOptions<'a> {
    /// Called after each chunk with (iterations done, total).
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// Set to stop between chunks.
    pub cancel: Option<&'a AtomicBool>,
    /// Iterations per launch (0: from the free memory, at most 4 Mi).
    pub chunk: u64,
}

impl std::fmt::Debug for GpuRunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuRunOptions").field("chunk", &self.chunk).finish()
    }
}

/// One device, ready to run models.
pub struct GpuEngine {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    ordinal: usize,
    name: String,
    arch: Option<&'static str>,
    loaded: Mutex<HashMap<String, (Arc<CudaModule>, CudaFunction)>>,
}

impl std::fmt::Debug for GpuEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuEngine").field("ordinal", &self.ordinal).field("name", &self.name).finish()
    }
}

/// NVRTC's name of a compute capability (the virtual architecture PTX targets).
fn arch_of(major: i32, minor: i32) -> Option<&'static str> {
    Some(match (major, minor) {
        (7, 0) => "compute_70",
        (7, 5) => "compute_75",
        (8, 0) => "compute_80",
        (8, 6) => "compute_86",
        (8, 9) => "compute_89",
        (9, 0) => "compute_90",
        (10, 0) => "compute_100",
        (12, 0) => "compute_120",
        // Newer devices run PTX of an older architecture (JIT-compiled by the driver).
        (m, _) if m >= 9 => "compute_90",
        (8, _) => "compute_80",
        _ => return None,
    })
}

impl GpuEngine {
    /// Opens device `ordinal`: the driver and NVRTC must load and the device must exist.
    pub fn open(ordinal: usize) -> Result<GpuEngine, GpuError> {
        if !driver_available() {
            return Err(GpuError::DriverMissing);
        }
        if !nvrtc::available() {
            return Err(GpuError::NvrtcMissing);
        }
        let count = CudaContext::device_count().map_err(|e| GpuError::driver("cuDeviceGetCount", e))?.max(0) as usize;
        if ordinal >= count {
            return Err(GpuError::NoDevice { ordinal, count });
        }
        let ctx = CudaContext::new(ordinal).map_err(|e| GpuError::driver("cuCtxCreate", e))?;
        let stream = ctx.new_stream().map_err(|e| GpuError::driver("cuStreamCreate", e))?;
        let name = ctx.name().map_err(|e| GpuError::driver("cuDeviceGetName", e))?;
        let (major, minor) = ctx.compute_capability().map_err(|e| GpuError::driver("cuDeviceGetAttribute", e))?;
        Ok(GpuEngine { ctx, stream, ordinal, name, arch: arch_of(major, minor), loaded: Mutex::new(HashMap::new()) })
    }

    /// `"0: NVIDIA H100 80GB HBM3"`.
    pub fn device(&self) -> String {
        format!("{}: {}", self.ordinal, self.name)
    }

    /// `(free, total)` device memory in bytes.
    pub fn memory(&self) -> Result<(usize, usize), GpuError> {
        self.ctx.mem_get_info().map_err(|e| GpuError::driver("cuMemGetInfo", e))
    }

    /// The kernel of a generated model, compiled and loaded once.
    fn function(&self, g: &GeneratedKernel, timing: &mut GpuTiming) -> Result<CudaFunction, GpuError> {
        if let Some((_, f)) = self.loaded.lock().ok().and_then(|l| l.get(&g.key).cloned()) {
            return Ok(f);
        }
        let compiled = nvrtc::compile(&g.source, "model", self.arch)?;
        timing.nvrtc = compiled.compile_time;
        let start = Instant::now();
        let module = self.ctx.load_module(compiled.ptx).map_err(|e| GpuError::driver("cuModuleLoadData", e))?;
        let f = module.load_function(g.name).map_err(|e| GpuError::driver("cuModuleGetFunction", e))?;
        timing.load = start.elapsed();
        if let Ok(mut l) = self.loaded.lock() {
            l.insert(g.key.clone(), (module, f.clone()));
        }
        Ok(f)
    }

    /// The interpreter kernel, compiled and loaded once.
    fn interpreter(&self, timing: &mut GpuTiming) -> Result<CudaFunction, GpuError> {
        let key = "interpreter.cu".to_owned();
        if let Some((_, f)) = self.loaded.lock().ok().and_then(|l| l.get(&key).cloned()) {
            return Ok(f);
        }
        let compiled = nvrtc::compile_kernel_file("interpreter.cu", self.arch)?;
        timing.nvrtc = compiled.compile_time;
        let start = Instant::now();
        let module = self.ctx.load_module(compiled.ptx).map_err(|e| GpuError::driver("cuModuleLoadData", e))?;
        let f = module
            .load_function(crate::interpreter::INTERPRETER_KERNEL)
            .map_err(|e| GpuError::driver("cuModuleGetFunction", e))?;
        timing.load = start.elapsed();
        if let Ok(mut l) = self.loaded.lock() {
            l.insert(key, (module, f.clone()));
        }
        Ok(f)
    }

    /// Runs `iterations` iterations of a model, all of it on the device (draws, tape,
    /// outputs): straight-line code or the interpreter as [`codegen::plan`] decides. A model
    /// the GPU does not compute is [`GpuError::Unsupported`]: run it on the CPU engine.
    pub fn run(
        &self,
        model: &Model<'_>,
        sampler: &Sampler,
        iterations: u64,
        options: &GpuRunOptions<'_>,
    ) -> Result<(Samples, GpuTiming), GpuError> {
        let mut timing = GpuTiming::default();
        let start = Instant::now();
        // What to launch: (function, data, code of the interpreter, register rows per iteration).
        let (f, data, code, rows, n_out, n_in, stratified) = match codegen::plan(model) {
            Plan::Cpu(why) => return Err(GpuError::Unsupported(why)),
            Plan::StraightLine => {
                let g = codegen::generate(model, sampler, Mode::Full)?;
                timing.generate = start.elapsed();
                let f = self.function(&g, &mut timing)?;
                (f, g.data, None, 0, g.outputs, g.inputs, g.stratified)
            }
            Plan::Interpreter => {
                let p = crate::interpreter::encode(model, sampler)?;
                timing.generate = start.elapsed();
                let f = self.interpreter(&mut timing)?;
                (f, p.data, Some(p.code), p.rows, p.outputs, p.inputs, p.stratified)
            }
        };
        let start = Instant::now();
        let n = iterations as usize;
        let n_strata = stratified.len();
        let per_iteration = (8 * (n_out + n_in + rows) + 4 * n_strata).max(1) as u64;
        let (free, _) = self.memory()?;
        let fixed = 8 * data.len() as u64 + 4 * code.as_ref().map_or(0, |c| c.len() as u64);
        let budget = ((free as f64 * MEMORY_SHARE) as u64).saturating_sub(fixed);
        let fits = budget / per_iteration;
        let chunk = if options.chunk > 0 { options.chunk } else { MAX_CHUNK }.min(fits).min(iterations.max(1));
        if chunk == 0 {
            return Err(GpuError::OutOfMemory { iterations: 1, needed: per_iteration + fixed, free: free as u64 });
        }
        timing.chunk = chunk;
        let s = &self.stream;
        let d = |c: &'static str| move |e| GpuError::driver(c, e);
        let data_dev = s.clone_htod(&data).map_err(d("cuMemcpyHtoD"))?;
        let code_dev = s.clone_htod(code.as_deref().unwrap_or(&[0u32])).map_err(d("cuMemcpyHtoD"))?;
        let cap = chunk as usize;
        let mut regs_dev = s.alloc_zeros::<f64>((rows * cap).max(1)).map_err(d("cuMemAlloc"))?;
        let mut out_dev = s.alloc_zeros::<f64>((n_out * cap).max(1)).map_err(d("cuMemAlloc"))?;
        let mut in_dev = s.alloc_zeros::<f64>((n_in * cap).max(1)).map_err(d("cuMemAlloc"))?;
        let mut strata_dev = s.alloc_zeros::<u32>((n_strata * cap).max(1)).map_err(d("cuMemAlloc"))?;
        let mut outputs: Vec<Vec<f64>> = (0..n_out).map(|_| vec![0.0; n]).collect();
        let mut inputs: Vec<Vec<f64>> = (0..n_in).map(|_| vec![0.0; n]).collect();
        let mut strata: Vec<Vec<u32>> =
            (0..n_in).map(|j| if stratified.contains(&j) { vec![0; n] } else { Vec::new() }).collect();
        let mut host_f = vec![0.0f64; (n_out.max(n_in) * cap).max(1)];
        let mut host_u = vec![0u32; (n_strata * cap).max(1)];
        let seed = sampler.seed();
        let strata_n = sampler.iterations();
        // Kernel time: events recorded around each launch on the run's stream.
        let before = self.ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT)).map_err(d("cuEventCreate"))?;
        let after = self.ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT)).map_err(d("cuEventCreate"))?;
        let mut first = 0u64;
        while first < iterations {
            if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(GpuError::Canceled { done: first, total: iterations });
            }
            let count = chunk.min(iterations - first);
            let c = count as usize;
            let blocks = count.div_ceil(u64::from(BLOCK)) as u32;
            let cfg = LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (BLOCK, 1, 1), shared_mem_bytes: 0 };
            let mut launch = s.launch_builder(&f);
            launch.arg(&seed).arg(&strata_n).arg(&first).arg(&count);
            if code.is_some() {
                launch.arg(&code_dev).arg(&data_dev).arg(&mut regs_dev);
            } else {
                launch.arg(&data_dev);
            }
            launch.arg(&mut out_dev).arg(&mut in_dev).arg(&mut strata_dev);
            before.record(s).map_err(d("cuEventRecord"))?;
            // SAFETY: the arguments match the kernel's signature — generated: (u64 seed,
            // strata_n, first, count; const double* data; double* outputs, inputs; u32*
            // strata); interpreter: the same with (const u32* code, const double* data,
            // double* regs) in place of data — and every buffer holds at least `count` entries
            // per output, input, stratified input and register row (sized for `chunk ≥ count`).
            #[allow(unsafe_code)]
            unsafe { launch.launch(cfg) }.map_err(d("cuLaunchKernel"))?;
            after.record(s).map_err(d("cuEventRecord"))?;
            let at = first as usize;
            if n_out > 0 {
                s.memcpy_dtoh(&out_dev.slice(..n_out * c), &mut host_f[..n_out * c]).map_err(d("cuMemcpyDtoH"))?;
                for (k, o) in outputs.iter_mut().enumerate() {
                    o[at..at + c].copy_from_slice(&host_f[k * c..(k + 1) * c]);
                }
            }
            if n_in > 0 {
                s.memcpy_dtoh(&in_dev.slice(..n_in * c), &mut host_f[..n_in * c]).map_err(d("cuMemcpyDtoH"))?;
                for (j, x) in inputs.iter_mut().enumerate() {
                    x[at..at + c].copy_from_slice(&host_f[j * c..(j + 1) * c]);
                }
            }
            if n_strata > 0 {
                s.memcpy_dtoh(&strata_dev.slice(..n_strata * c), &mut host_u[..n_strata * c])
                    .map_err(d("cuMemcpyDtoH"))?;
                for (k, &j) in stratified.iter().enumerate() {
                    strata[j][at..at + c].copy_from_slice(&host_u[k * c..(k + 1) * c]);
                }
            }
            // Both events have completed (the copies above wait for the stream; elapsed_ms
            // synchronises on them in any case).
            let ms = before.elapsed_ms(&after).map_err(d("cuEventElapsedTime"))?;
            timing.kernel += Duration::from_secs_f64(f64::from(ms.max(0.0)) / 1e3);
            first += count;
            if let Some(p) = options.progress {
                p(first, iterations);
            }
        }
        s.synchronize().map_err(d("cuStreamSynchronize"))?;
        timing.run = start.elapsed();
        Ok((Samples { outputs, inputs, strata, batch: chunk as usize, threads: 0 }, timing))
    }

    /// A whole simulation on this device: the spec checked and the workbook compiled as the
    /// CPU engine does, the run on the GPU, the engine's statistics. The result says
    /// `engine.kind = "cuda"` and names the device. [`GpuError::Unsupported`] means: run it on
    /// the CPU engine (`montecell_engine::simulate::simulate`).
    pub fn simulate(
        &self,
        wb: &Workbook,
        spec: &SimulationSpec,
        options: &GpuRunOptions<'_>,
    ) -> Result<Simulation, GpuError> {
        self.simulate_timed(wb, spec, options).map(|(sim, _)| sim)
    }

    /// [`GpuEngine::simulate`], with the GPU run's own timings (code generation, NVRTC, module
    /// load, kernels, copies): what `scripts/bench-gpu` reports.
    pub fn simulate_timed(
        &self,
        wb: &Workbook,
        spec: &SimulationSpec,
        options: &GpuRunOptions<'_>,
    ) -> Result<(Simulation, GpuTiming), GpuError> {
        let resolved = spec.resolve(wb).map_err(montecell_engine::simulate::SimulationError::from)?;
        let start = Instant::now();
        let model = compile(wb, &resolved.inputs, &resolved.outputs)
            .map_err(montecell_engine::simulate::SimulationError::from)?;
        if let Plan::Cpu(why) = codegen::plan(&model) {
            return Err(GpuError::Unsupported(why));
        }
        let (sampler, repair) = build_sampler(&model, &resolved)?;
        let compiled = Instant::now();
        let (samples, timing) = self.run(&model, &sampler, resolved.iterations, options)?;
        let ran = Instant::now();
        let mut result = summarise(&model, &resolved, &samples);
        result.correlation_repair = repair;
        result.engine.kind = "cuda".to_owned();
        result.engine.device = Some(self.device());
        result.engine.threads = 0;
        result.engine.batch = timing.chunk as usize;
        let done = Instant::now();
        let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1e3;
        result.engine.timing_ms =
            Timing { compile: ms(start, compiled), run: ms(compiled, ran), statistics: ms(ran, done) };
        Ok((Simulation { result, samples }, timing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_can_move_to_a_worker_thread() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<GpuEngine>();
    }

    #[test]
    fn compute_capabilities_map_to_ptx_targets() {
        assert_eq!(arch_of(9, 0), Some("compute_90"));
        assert_eq!(arch_of(10, 3), Some("compute_90"));
        assert_eq!(arch_of(6, 1), None);
    }

    #[test]
    fn without_a_driver_open_fails_cleanly() {
        if !driver_available() {
            assert!(matches!(GpuEngine::open(0), Err(GpuError::DriverMissing)));
            assert_eq!(device_count(), 0);
            assert_eq!(driver_version(), None);
        }
    }
}
