//! Sampling the uncertain inputs of a simulation: distributions and their inverse CDFs, the
//! in-workbook distribution functions (@RISK, Analytic Solver), plain Monte Carlo and Latin
//! Hypercube sampling, and rank correlation through a Gaussian copula.
//!
//! The layers, bottom up:
//! - [`crate::rng`]: a uniform in `(0, 1)` is a pure function of `(seed, stream, iteration)`;
//! - [`lhs`]: the Latin Hypercube version of that uniform (a keyed permutation of strata);
//! - [`correlation`]: the copula that gives correlated inputs their rank correlations;
//! - [`Sampler`]: the uniforms of every input for a batch of iterations — they depend only on
//!   the seed, each input's stream, the number of iterations (LHS) and the correlations, never
//!   on batch boundaries or threads;
//! - [`distribution`]: a uniform becomes a sample by the inverse CDF
//!   ([`InputDistribution::quantile`], or [`PreparedDistribution::quantile`] when one
//!   distribution is sampled many times);
//! - [`functions`]: `RiskNormal(…)`, `PsiTriangular(…)` and their property functions read
//!   into an [`InputDistribution`].

pub mod correlation;
pub mod distribution;
pub mod functions;
pub mod lhs;
mod prepared;
mod quadrature;

use serde::{Deserialize, Serialize};

pub use correlation::CorrelationRepair;
pub use distribution::{Distribution, DistributionError, InputDistribution, Truncation};
pub use functions::Properties;
pub use prepared::{PreparedDistribution, PreparedLaw, PreparedParts};

use crate::rng;

/// How the uniforms of an input are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    /// Independent uniforms per iteration (`"mc"`).
    #[serde(rename = "mc")]
    MonteCarlo,
    /// Latin Hypercube (`"lhs"`, the default): each of the `n` equal strata of `(0, 1)` is
    /// sampled exactly once in `n` iterations.
    #[default]
    #[serde(rename = "lhs")]
    LatinHypercube,
}

/// An invalid sampling setup.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SamplingError {
    /// A correlation names an input that does not exist.
    #[error("correlation {pair}: input {input} does not exist (there are {inputs} inputs)")]
    UnknownInput {
        /// Index of the pair.
        pair: usize,
        /// The input index.
        input: usize,
        /// Number of inputs.
        inputs: usize,
    },
    /// A correlation of an input with itself.
    #[error("correlation {pair}: input {input} cannot be correlated with itself")]
    SelfCorrelation {
        /// Index of the pair.
        pair: usize,
        /// The input index.
        input: usize,
    },
    /// A rank correlation outside `[−1, 1]`.
    #[error("correlation {pair}: a rank correlation must be between -1 and 1, not {value}")]
    OutOfRange {
        /// Index of the pair.
        pair: usize,
        /// The value.
        value: f64,
    },
    /// The same pair twice with different values.
    #[error("inputs {a} and {b} are correlated twice, with {first} and {second}")]
    Conflicting {
        /// First input.
        a: usize,
        /// Second input.
        b: usize,
        /// First value.
        first: f64,
        /// Second value.
        second: f64,
    },
    /// Two inputs would draw the same numbers.
    #[error("inputs {first} and {second} have the same random stream (the same name?)")]
    DuplicateStream {
        /// First input.
        first: usize,
        /// Second input.
        second: usize,
    },
    /// The (repaired) correlation matrix could not be factored.
    #[error("the correlation matrix could not be factored")]
    Factorization,
}

/// The uniforms of every input of a simulation, for any iteration.
#[derive(Clone, Debug)]
pub struct Sampler {
    seed: u64,
    method: Method,
    iterations: u64,
    streams: Vec<u64>,
    copula: Option<correlation::Copula>,
}

impl Sampler {
    /// A sampler for `streams.len()` inputs (one stream each, from [`rng::stream_id`] of the
    /// input's identity), `iterations` iterations (the number of Latin Hypercube strata) and
    /// rank correlations `(input, input, ρ_s)`. When the correlations are not a valid
    /// correlation matrix they are repaired, and the repair is returned.
    pub fn new(
        seed: u64,
        method: Method,
        iterations: u64,
        streams: Vec<u64>,
        correlations: &[(usize, usize, f64)],
    ) -> Result<(Sampler, Option<CorrelationRepair>), SamplingError> {
        let mut sorted: Vec<(u64, usize)> = streams.iter().enumerate().map(|(i, &s)| (s, i)).collect();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(SamplingError::DuplicateStream { first: w[0].1.min(w[1].1), second: w[0].1.max(w[1].1) });
        }
        let (copula, repair) = correlation::build(streams.len(), correlations)?;
        Ok((Sampler { seed, method, iterations: iterations.max(1), streams, copula }, repair))
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The sampling method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The number of iterations (Latin Hypercube strata).
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// The stream of each input.
    pub fn streams(&self) -> &[u64] {
        &self.streams
    }

    /// The correlated inputs and the lower Cholesky factor (row-major, in their order) of the
    /// normal-copula correlation matrix — what a GPU kernel needs to reproduce the copula.
    pub fn correlation_factor(&self) -> Option<(&[usize], &[f64])> {
        self.copula.as_ref().map(|c| (c.members.as_slice(), c.factor.as_slice()))
    }

    /// Is input `input`'s uniform at iteration `i` inside its stratum `π(i)` — a Latin
    /// Hypercube input outside any correlation? Then sorting its draws is ordering its strata
    /// ([`Sampler::uniforms_and_strata`]).
    pub fn stratified(&self, input: usize) -> bool {
        let correlated = self.copula.as_ref().is_some_and(|c| c.members.binary_search(&input).is_ok());
        self.method == Method::LatinHypercube && !correlated && input < self.streams.len()
    }

    /// The uncorrelated uniform of input `input` at `iteration`.
    fn own(&self, input: usize, iteration: u64) -> f64 {
        let stream = self.streams[input];
        match self.method {
            Method::MonteCarlo => rng::uniform(self.seed, stream, iteration),
            Method::LatinHypercube => lhs::uniform(self.seed, stream, self.iterations, iteration),
        }
    }

    /// The uniform of one input at one iteration (the same number [`Sampler::uniforms`]
    /// gives). `input` must be below the number of streams.
    pub fn uniform(&self, input: usize, iteration: u64) -> f64 {
        if let Some(c) = &self.copula
            && let Ok(local) = c.members.binary_search(&input)
        {
            return c.one(local, |j| self.own(j, iteration));
        }
        self.own(input, iteration)
    }

    /// Fills `out[input][lane]` with the uniform of each input for iterations
    /// `first_iteration .. first_iteration + lanes` (Latin Hypercube and copula applied).
    /// `out` needs one vector per input; a shorter vector is grown to `lanes`.
    pub fn uniforms(&self, first_iteration: u64, lanes: usize, out: &mut [Vec<f64>]) {
        self.uniforms_and_strata(first_iteration, lanes, out, &mut []);
    }

    /// [`Sampler::uniforms`], and under Latin Hypercube the stratum of each iteration for the
    /// inputs that have a vector in `strata` (grown to `lanes`; an empty slice asks for none).
    #[inline(always)]
    pub fn uniforms_and_strata(
        &self,
        first_iteration: u64,
        lanes: usize,
        out: &mut [Vec<f64>],
        strata: &mut [Vec<u32>],
    ) {
        debug_assert!(out.len() >= self.streams.len(), "one vector per input");
        let mut scratch: Vec<u64> = Vec::new();
        let mut walk = lhs::Walk::default();
        for (k, (o, &stream)) in out.iter_mut().zip(&self.streams).enumerate() {
            if o.len() < lanes {
                o.resize(lanes, 0.0);
            }
            let iterations = first_iteration..first_iteration + lanes as u64;
            match self.method {
                Method::MonteCarlo => {
                    for (x, i) in o.iter_mut().zip(iterations) {
                        *x = rng::uniform(self.seed, stream, i);
                    }
                }
                Method::LatinHypercube => {
                    // The uniforms within the strata first, in a loop without branches (it
                    // vectorises), then the strata of whole runs of lanes
                    // (`Permutation::apply_run`). The same numbers as `lhs::uniform`.
                    let jitter = stream ^ lhs::JITTER_STREAM;
                    for (x, i) in o[..lanes].iter_mut().zip(iterations) {
                        *x = rng::uniform(self.seed, jitter, i);
                    }
                    let n = self.iterations.max(1);
                    let mut strata = strata.get_mut(k);
                    if let Some(s) = strata.as_mut()
                        && s.len() < lanes
                    {
                        s.resize(lanes, 0);
                    }
                    // The strata, one run of lanes per block of `n` iterations (one block,
                    // unless iterations go past the design's size).
                    scratch.resize(lanes, 0);
                    let mut lane = 0;
                    while lane < lanes {
                        let i = first_iteration + lane as u64;
                        let (block, index) = (i / n, i % n);
                        let len = (n - index).min((lanes - lane) as u64) as usize;
                        lhs::Permutation::new(self.seed, stream, n, block).apply_run(
                            index,
                            &mut scratch[lane..lane + len],
                            &mut walk,
                        );
                        lane += len;
                    }
                    for (x, &stratum) in o[..lanes].iter_mut().zip(scratch.iter()) {
                        *x = lhs::in_stratum(stratum, *x, n);
                    }
                    if let Some(s) = strata.as_mut() {
                        for (s, &stratum) in s.iter_mut().zip(scratch.iter()) {
                            *s = stratum as u32;
                        }
                    }
                }
            }
        }
        if let Some(c) = &self.copula {
            c.apply(out, lanes);
        }
    }
}

#[cfg(test)]
mod tests;
