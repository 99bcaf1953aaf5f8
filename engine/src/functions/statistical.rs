//! Descriptive statistics: averages, counts, extremes, order statistics, dispersion, correlation.
