//! NVRTC through cudarc, loaded at run time, with a per-process cache of compiled PTX.
//!
//! cudarc (`dynamic-loading`, built for CUDA 12.8) looks for `libnvrtc.so`, `libnvrtc.so.12`
//! … by name, through the dynamic loader (`LD_LIBRARY_PATH`, the system's library paths) —
//! and **panics** at first use when none loads. So nothing here calls into cudarc before
//! [`available`] said yes. [`available`] first loads the library from the path in
//! `MONTECELL_NVRTC_LIB` when it is set (what `.ci/nvrtc-setup` prints): once a library with
//! the soname `libnvrtc.so.12` is loaded, the loader hands it to cudarc's lookup by name, so
//! no `LD_LIBRARY_PATH` is needed. libnvrtc finds its `libnvrtc-builtins` in its own folder
//! (its RUNPATH is `$ORIGIN`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cudarc::nvrtc::{CompileOptions, Ptx};

use crate::error::GpuError;
use crate::sources;

/// The variable naming libnvrtc's path.
pub const NVRTC_LIB_VAR: &str = "MONTECELL_NVRTC_LIB";

/// Loads libnvrtc from an explicit path and keeps it loaded, so that cudarc's lookup by name
/// finds it. Call it before the first [`available`] (which decides once). Returns whether it
/// loaded.
pub fn preload(path: &std::path::Path) -> bool {
    // SAFETY: loading libnvrtc runs its initialisers, which have no preconditions; the library
    // is kept loaded for the life of the process (leaked), so nothing cudarc resolves from it
    // later can dangle.
    #[allow(unsafe_code)]
    let lib = unsafe { libloading::Library::new(path) };
    match lib {
        Ok(lib) => {
            std::mem::forget(lib);
            true
        }
        Err(_) => false,
    }
}

/// Is NVRTC loadable? Decided once per process (after loading `MONTECELL_NVRTC_LIB` when set).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        if let Some(path) = std::env::var_os(NVRTC_LIB_VAR).filter(|p| !p.is_empty()) {
            preload(std::path::Path::new(&path));
        }
        // SAFETY: only tries to dlopen the candidate names (no call into the library).
        #[allow(unsafe_code)]
        unsafe {
            cudarc::nvrtc::sys::is_culib_present()
        }
    })
}

/// NVRTC's version, `(major, minor)` (`(12, 8)` for the wheel `.ci/nvrtc-setup` installs);
/// `None` when NVRTC is not loadable.
pub fn version() -> Option<(i32, i32)> {
    if !available() {
        return None;
    }
    let (mut major, mut minor): (std::ffi::c_int, std::ffi::c_int) = (0, 0);
    // SAFETY: libnvrtc is loadable (checked above); nvrtcVersion only writes two ints through
    // valid pointers.
    #[allow(unsafe_code)]
    let r = unsafe { cudarc::nvrtc::sys::nvrtcVersion(&mut major, &mut minor) };
    (r == cudarc::nvrtc::sys::nvrtcResult::NVRTC_SUCCESS).then_some((major, minor))
}

/// Forgets every compiled program, so that the next [`compile`] of any source runs NVRTC
/// again (benchmarks measure a first job's compile time this way).
pub fn clear_cache() {
    if let Ok(mut c) = cache().lock() {
        c.clear();
    }
}

/// A compiled program.
#[derive(Debug)]
pub struct Compiled {
    /// The PTX.
    pub ptx: Ptx,
    /// The cache key (SHA-256 of the source and the options).
    pub key: String,
    /// How long NVRTC took (zero when it came from the cache).
    pub compile_time: Duration,
    /// Found in the cache.
    pub cached: bool,
}

/// The options every montecell program is compiled with: IEEE double precision as the CPU
/// engine computes it (no fused multiply-add contraction, no flush to zero, correctly rounded
/// division and square root), for `arch` (`"compute_90"`; `None`: NVRTC's default).
pub fn options(name: &str, arch: Option<&'static str>) -> CompileOptions {
    CompileOptions {
        ftz: Some(false),
        prec_sqrt: Some(true),
        prec_div: Some(true),
        fmad: Some(false),
        use_fast_math: Some(false),
        arch,
        name: Some(name.to_owned()),
        options: vec!["--std=c++17".to_owned()],
        ..CompileOptions::default()
    }
}

fn cache() -> &'static Mutex<HashMap<String, Arc<Ptx>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Ptx>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Compiles a full translation unit to PTX, once per process for the same source and target
/// (later calls return the cached PTX).
pub fn compile(source: &str, name: &str, arch: Option<&'static str>) -> Result<Compiled, GpuError> {
    if !available() {
        return Err(GpuError::NvrtcMissing);
    }
    let key = sources::source_hash(&format!("{}\n// arch {arch:?}", source));
    if let Some(ptx) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(Compiled { ptx: (*ptx).clone(), key, compile_time: Duration::ZERO, cached: true });
    }
    let start = Instant::now();
    let ptx = cudarc::nvrtc::compile_ptx_with_opts(source, options(name, arch)).map_err(|e| GpuError::Compile {
        name: name.to_owned(),
        log: match &e {
            cudarc::nvrtc::CompileError::CompileError { log, .. } => log.to_string_lossy().into_owned(),
            other => format!("{other:?}"),
        },
    })?;
    let compile_time = start.elapsed();
    if let Ok(mut c) = cache().lock() {
        c.insert(key.clone(), Arc::new(ptx.clone()));
    }
    Ok(Compiled { ptx, key, compile_time, cached: false })
}

/// Compiles a hand-written kernel file (`"sampling.cu"`).
pub fn compile_kernel_file(file: &str, arch: Option<&'static str>) -> Result<Compiled, GpuError> {
    let source = sources::kernel_source(file)
        .ok_or_else(|| GpuError::Compile { name: file.to_owned(), log: "no such kernel file".to_owned() })?;
    compile(&source, file, arch)
}
