//! Errors of the GPU path.

/// Why a GPU compilation or run did not happen or did not finish. Every variant is a clean
/// failure of one attempt: nothing panics, and the CPU engine remains usable.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// libnvrtc could not be loaded.
    #[error(
        "NVRTC (libnvrtc.so.12) was not found: install it (e.g. `.ci/nvrtc-setup`) and put its folder on LD_LIBRARY_PATH or its path in MONTECELL_NVRTC_LIB"
    )]
    NvrtcMissing,
    /// The CUDA driver library could not be loaded.
    #[error("the CUDA driver (libcuda.so) was not found: no NVIDIA driver on this machine")]
    DriverMissing,
    /// No device with that ordinal.
    #[error("CUDA device {ordinal} does not exist ({count} device(s) found)")]
    NoDevice {
        /// The ordinal asked for.
        ordinal: usize,
        /// Devices found.
        count: usize,
    },
    /// NVRTC rejected a source (a bug of the code generator or of a hand-written kernel).
    #[error("NVRTC could not compile {name}: {log}")]
    Compile {
        /// The program's name.
        name: String,
        /// NVRTC's log.
        log: String,
    },
    /// A CUDA driver call failed.
    #[error("CUDA driver error in {context}: {message}")]
    Driver {
        /// What was being done.
        context: &'static str,
        /// The driver's error.
        message: String,
    },
    /// The model uses something the code generator does not translate; the CPU engine runs it.
    #[error("the model cannot run on the GPU: {0}")]
    Unsupported(String),
    /// Even the smallest chunk does not fit the device's free memory.
    #[error("not enough GPU memory: a chunk of {iterations} iterations needs {needed} bytes, {free} are free")]
    OutOfMemory {
        /// Iterations of the smallest chunk tried.
        iterations: u64,
        /// Bytes it needs.
        needed: u64,
        /// Bytes free on the device.
        free: u64,
    },
    /// Canceled between chunks.
    #[error("canceled after {done} of {total} iterations")]
    Canceled {
        /// Iterations done.
        done: u64,
        /// Iterations asked.
        total: u64,
    },
    /// The spec or the model is invalid (the CPU engine would refuse it the same way).
    #[error("{0}")]
    Simulation(#[from] montecell_engine::simulate::SimulationError),
}

impl GpuError {
    pub(crate) fn driver(context: &'static str, e: impl std::fmt::Debug) -> GpuError {
        GpuError::Driver { context, message: format!("{e:?}") }
    }
}
