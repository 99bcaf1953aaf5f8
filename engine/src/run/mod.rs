//! Running a compiled model: batches of iterations spread over threads.
//!
//! Every iteration is a pure function of the seed and its index: the sampler draws its
//! inputs from counters, and the tape computes its outputs lane by lane. Batches are taken
//! from a shared queue by as many threads as asked, and each batch writes its own slice of
//! the sample arrays, so results are identical for any thread count and any batch size.
//!
//! Text made while running a batch is kept in the thread's string table; once the strings made
//! since the last collection take more than [`TextOptions::collect_after`] bytes, the thread
//! drops those that no live register refers to between two operations (which registers are
//! live there follows from the tape). What a batch computes does not depend on it: only the
//! ids of text lanes change (renumbered in the order the strings were made), and which
//! collections a batch does depends only on the batch.

mod instructions;
mod kernels;

pub use instructions::{Instructions, detected as detected_instructions};

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::compile::Model;
use crate::compile::boxing::Strings;
use crate::compile::tape::Tape;
use crate::sampling::Sampler;
use kernels::{Context, Registers};

/// How to run.
#[derive(Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Threads (0: one per available core).
    pub threads: usize,
    /// Iterations per batch (0: chosen from the size of the tape).
    pub batch: usize,
    /// Called after each batch with (iterations done, total), from the worker threads.
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// Set to stop between batches.
    pub cancel: Option<&'a AtomicBool>,
    /// The instruction set of the hot loops (default: the widest the processor has). Results do
    /// not depend on it.
    pub instructions: Instructions,
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("threads", &self.threads)
            .field("batch", &self.batch)
            .field("instructions", &self.instructions)
            .finish()
    }
}

/// Bytes of text ([`Strings::added_bytes`]) a thread makes while running a batch after which it
/// drops the strings no live register refers to (16 MiB): four times the registers' memory
/// aimed at (a collection reads the live registers), and small enough that the memory of the
/// strings dropped is soon reused (the longest `&` chain over a full batch runs ten times
/// faster than when every string is kept).
pub const COLLECT_TEXT_AFTER: usize = 4 * TARGET_BYTES;

/// How the text made while running is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextOptions {
    /// Bytes of strings made since the last collection (text and
    /// [`crate::compile::boxing::STRING_OVERHEAD`] each) after which a thread collects its string
    /// table between two operations: 0 collects after every operation that makes text,
    /// `usize::MAX` never.
    pub collect_after: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { collect_after: COLLECT_TEXT_AFTER }
    }
}

/// What a run's string tables held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextStats {
    /// The most bytes of strings made while running that one thread held at once, counted as
    /// [`TextOptions::collect_after`] counts them.
    pub peak_bytes: usize,
    /// Collections, all threads together.
    pub collections: u64,
}

/// The samples of a run.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Per output, per iteration: the value as a lane (numbers, or boxed errors and others;
    /// see [`crate::compile::boxing`]).
    pub outputs: Vec<Vec<f64>>,
    /// Per input, per iteration: the sample.
    pub inputs: Vec<Vec<f64>>,
    /// Per input, per iteration: the Latin Hypercube stratum of its uniform, for the inputs
    /// whose draws are ordered by their strata ([`Sampler::stratified`]); empty for the others.
    pub strata: Vec<Vec<u32>>,
    /// Iterations per batch used.
    pub batch: usize,
    /// Threads used.
    pub threads: usize,
}

/// A run that did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Canceled between batches.
    #[error("canceled after {done} of {total} iterations")]
    Canceled {
        /// Iterations done.
        done: u64,
        /// Iterations asked.
        total: u64,
    },
}

/// Largest batch; registers of a batch should stay in the cache.
const MAX_BATCH: usize = 4096;
/// Smallest batch.
const MIN_BATCH: usize = 64;
/// Register memory aimed at per thread.
const TARGET_BYTES: usize = 4 << 20;

/// The batch size for a tape: as many lanes as fit the target memory, a power of two.
pub fn default_batch(registers: usize) -> usize {
    let lanes = TARGET_BYTES / (8 * registers.max(1));
    let mut b = MIN_BATCH;
    while b * 2 <= lanes && b * 2 <= MAX_BATCH {
        b *= 2;
    }
    b
}

struct Slot<'s> {
    first: u64,
    outputs: Vec<&'s mut [f64]>,
    inputs: Vec<&'s mut [f64]>,
    strata: Vec<Option<&'s mut [u32]>>,
}

/// Runs `iterations` iterations of a model.
pub fn run(
    model: &Model<'_>,
    sampler: &Sampler,
    iterations: u64,
    options: &RunOptions<'_>,
) -> Result<Samples, RunError> {
    run_with_text(model, sampler, iterations, options, TextOptions::default()).map(|(samples, _)| samples)
}

/// [`run`], with the text made while running kept as `text` says; also says what the string
/// tables held.
pub fn run_with_text(
    model: &Model<'_>,
    sampler: &Sampler,
    iterations: u64,
    options: &RunOptions<'_>,
    text: TextOptions,
) -> Result<(Samples, TextStats), RunError> {
    let tape = &model.tape;
    let batch = if options.batch == 0 { default_batch(tape.registers as usize) } else { options.batch.max(1) };
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map(usize::from).unwrap_or(1)
    } else {
        options.threads
    };
    let instructions = options.instructions.resolve();
    let n = iterations as usize;
    let n_out = model.outputs.len();
    let n_in = model.inputs.len();
    // Each vector on its own fresh zeroed pages, first touched by the thread that writes it
    // (`vec![vec![0.0; n]; k]` would copy one, mapping its pages for reading, and each later
    // write to them would fault again and flush every core's TLB).
    let mut outputs: Vec<Vec<f64>> = (0..n_out).map(|_| vec![0.0; n]).collect();
    let mut inputs: Vec<Vec<f64>> = (0..n_in).map(|_| vec![0.0; n]).collect();
    let mut strata: Vec<Vec<u32>> =
        (0..n_in).map(|j| if sampler.stratified(j) { vec![0; n] } else { Vec::new() }).collect();
    let any_strata = strata.iter().any(|s| !s.is_empty());
    let batches = n.div_ceil(batch);
    let mut slots: Vec<Slot<'_>> = (0..batches)
        .map(|b| Slot { first: (b * batch) as u64, outputs: Vec::new(), inputs: Vec::new(), strata: Vec::new() })
        .collect();
    for o in outputs.iter_mut() {
        for (slot, chunk) in slots.iter_mut().zip(o.chunks_mut(batch)) {
            slot.outputs.push(chunk);
        }
    }
    for i in inputs.iter_mut() {
        for (slot, chunk) in slots.iter_mut().zip(i.chunks_mut(batch)) {
            slot.inputs.push(chunk);
        }
    }
    for s in strata.iter_mut() {
        if s.is_empty() {
            slots.iter_mut().for_each(|slot| slot.strata.push(None));
        }
        for (slot, chunk) in slots.iter_mut().zip(s.chunks_mut(batch)) {
            slot.strata.push(Some(chunk));
        }
    }
    let queue = Mutex::new(slots.into_iter());
    let done = AtomicU64::new(0);
    let canceled = AtomicBool::new(false);
    let threads = threads.min(batches.max(1));
    let liveness = OnceLock::new();
    let text_peak = AtomicUsize::new(0);
    let collections = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut regs = Registers::new(tape.registers as usize, batch);
                for &(r, lane) in &tape.constants {
                    regs.get_mut(r).fill(lane);
                }
                let mut worker = Worker {
                    regs,
                    cx: Context::new(Strings::new(tape.strings.clone()), model.base.clone()),
                    uniforms: vec![vec![0.0; batch]; n_in],
                    strata: if any_strata { vec![Vec::new(); n_in] } else { Vec::new() },
                };
                let job =
                    Job { model, sampler, collector: Collector { after: text.collect_after, liveness: &liveness } };
                loop {
                    if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                        canceled.store(true, Ordering::Relaxed);
                        break;
                    }
                    let next = match queue.lock() {
                        Ok(mut q) => q.next(),
                        Err(_) => break,
                    };
                    let Some(mut slot) = next else { break };
                    let lanes = slot.outputs.first().or(slot.inputs.first()).map_or(0, |s| s.len());
                    run_batch(instructions, &job, &mut worker, &mut slot, lanes);
                    let d = done.fetch_add(lanes as u64, Ordering::Relaxed) + lanes as u64;
                    if let Some(p) = options.progress {
                        p(d, iterations);
                    }
                }
                text_peak.fetch_max(worker.cx.strings.peak_bytes(), Ordering::Relaxed);
                collections.fetch_add(worker.cx.strings.collections(), Ordering::Relaxed);
            });
        }
    });
    if canceled.load(Ordering::Relaxed) {
        return Err(RunError::Canceled { done: done.load(Ordering::Relaxed), total: iterations });
    }
    let stats = TextStats { peak_bytes: text_peak.into_inner(), collections: collections.into_inner() };
    Ok((Samples { outputs, inputs, strata, batch, threads }, stats))
}

/// What every batch of a run shares: the model, its sampler, when to collect text.
struct Job<'j, 'wb> {
    model: &'j Model<'wb>,
    sampler: &'j Sampler,
    collector: Collector<'j>,
}

/// A thread's working state: the tape's registers, the evaluation context, and the draws of
/// a batch.
struct Worker<'wb> {
    regs: Registers,
    cx: Context<'wb>,
    uniforms: Vec<Vec<f64>>,
    strata: Vec<Vec<u32>>,
}

/// When a thread collects its string table, and what it keeps.
struct Collector<'l> {
    /// [`TextOptions::collect_after`].
    after: usize,
    /// Made by the first thread that collects.
    liveness: &'l OnceLock<Liveness>,
}

impl Collector<'_> {
    /// After operation `op` of the tape: collects if the strings made since the last
    /// collection take too much memory.
    #[inline]
    fn maybe_collect(&self, tape: &Tape, op: usize, regs: &mut Registers, strings: &mut Strings, lanes: usize) {
        if strings.added_bytes() <= self.after {
            return;
        }
        let liveness = self.liveness.get_or_init(|| Liveness::new(tape));
        let width = regs.lanes;
        let mut live: Vec<&mut [f64]> = regs
            .data
            .chunks_mut(width)
            .enumerate()
            .filter(|(r, _)| liveness.read_after(*r as u32, op))
            .map(|(_, lanes_of)| &mut lanes_of[..lanes])
            .collect();
        strings.collect(&mut live);
    }
}

/// When the operations of a tape read and write each register: which registers hold a value
/// that will be read again, between two operations.
struct Liveness {
    /// (register, operation, read) sorted by register then operation, one per register and
    /// operation that touches it; `read` when the operation reads it (an operation never writes
    /// a register it reads). The results are read by an operation past the last.
    events: Vec<(u32, u32, bool)>,
}

impl Liveness {
    fn new(tape: &Tape) -> Liveness {
        let mut events: Vec<(u32, u32, bool)> = Vec::new();
        for (i, op) in tape.ops.iter().enumerate() {
            events.extend(op.sources().into_iter().map(|r| (r, i as u32, true)));
            events.extend(op.destinations().into_iter().map(|r| (r, i as u32, false)));
        }
        let end = tape.ops.len() as u32;
        events.extend(tape.results.iter().map(|&r| (r, end, true)));
        // A read sorts before a write by the same operation, and is the one kept.
        events.sort_unstable_by_key(|&(r, i, read)| (r, i, !read));
        events.dedup_by_key(|&mut (r, i, _)| (r, i));
        Liveness { events }
    }

    /// Will the value register `r` holds after operation `op` be read (rather than overwritten
    /// first, or never read)?
    fn read_after(&self, r: u32, op: usize) -> bool {
        let op = op as u32;
        let next = self.events.partition_point(|&(reg, i, _)| (reg, i) <= (r, op));
        self.events.get(next).is_some_and(|&(reg, _, read)| reg == r && read)
    }
}

/// Runs one batch with the instructions chosen ([`Instructions`]): the same code, compiled
/// once per level.
#[allow(unsafe_code)]
fn run_batch(
    instructions: Instructions,
    job: &Job<'_, '_>,
    worker: &mut Worker<'_>,
    slot: &mut Slot<'_>,
    lanes: usize,
) {
    match instructions {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `instructions` was resolved against the processor (`Instructions::resolve`),
        // so these features exist.
        Instructions::Avx512 => unsafe { run_batch_avx512(job, worker, slot, lanes) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Instructions::Avx2 => unsafe { run_batch_avx2(job, worker, slot, lanes) },
        _ => run_batch_body(job, worker, slot, lanes),
    }
}

/// [`run_batch_body`] compiled with the target features `$features`.
macro_rules! run_batch_with {
    ($name:ident, $features:literal) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $name(job: &Job<'_, '_>, worker: &mut Worker<'_>, slot: &mut Slot<'_>, lanes: usize) {
            run_batch_body(job, worker, slot, lanes);
        }
    };
}

run_batch_with!(run_batch_avx512, "avx2,fma,bmi1,bmi2,lzcnt,movbe,popcnt,avx512f,avx512dq,avx512vl,avx512bw,avx512cd");
run_batch_with!(run_batch_avx2, "avx2,fma,bmi1,bmi2,lzcnt,movbe,popcnt");

/// One batch: draw the inputs, run the tape, copy the results out. Inlined, with the hot
/// loops it calls, into each of [`run_batch`]'s versions.
#[inline(always)]
fn run_batch_body(job: &Job<'_, '_>, worker: &mut Worker<'_>, slot: &mut Slot<'_>, lanes: usize) {
    let Job { model, sampler, collector } = job;
    let Worker { regs, cx, uniforms, strata } = worker;
    let tape = &model.tape;
    cx.strings.reset();
    sampler.uniforms_and_strata(slot.first, lanes, uniforms, strata);
    for (out, s) in slot.strata.iter_mut().zip(strata.iter()) {
        if let Some(out) = out {
            out.copy_from_slice(&s[..lanes]);
        }
    }
    for ((prepared, &reg), u) in model.prepared.iter().zip(&tape.sampled).zip(uniforms.iter()) {
        let dst = &mut regs.get_mut(reg)[..lanes];
        match prepared {
            Some(d) => d.fill(&u[..lanes], dst),
            // Parameters vary per iteration: an operation turns the uniform into the sample.
            None => dst.copy_from_slice(&u[..lanes]),
        }
    }
    for (i, op) in tape.ops.iter().enumerate() {
        kernels::execute(op, regs, lanes, cx);
        collector.maybe_collect(tape, i, regs, &mut cx.strings, lanes);
    }
    let n_out = model.outputs.len();
    for (k, out) in slot.outputs.iter_mut().enumerate() {
        out.copy_from_slice(&regs.get(tape.results[k])[..lanes]);
    }
    for (k, inp) in slot.inputs.iter_mut().enumerate() {
        inp.copy_from_slice(&regs.get(tape.results[n_out + k])[..lanes]);
    }
}
