//! Probability distributions: densities, CDFs and inverses (NORM.DIST, BETA.INV, …) and statistical tests.
