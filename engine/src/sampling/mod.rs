//! Sampling the uncertain inputs of a simulation: distributions and their inverse CDFs, the
//! in-workbook distribution functions (@RISK, Analytic Solver), plain Monte Carlo and Latin
//! Hypercube sampling, and rank correlation through a Gaussian copula.
