// Rank correlation through a Gaussian copula (engine/src/sampling/correlation.rs): each
// correlated input's own uniform u becomes z = Φ⁻¹(u); row k of the Cholesky factor L gives
// u'_k = Φ(Σ_j L_kj z_j), kept inside (0, 1). Rows that are a unit vector keep their own
// uniform exactly.

MC_FN double mc_copula_to_normal(double u) { return mc_std_normal_quantile(u, 1.0 - u); }

MC_FN double mc_copula_to_uniform(double y) {
    double u = y <= 0.0 ? mc_norm_cdf(y) : 1.0 - mc_norm_cdf(-y);
    return mc_clamp(u, 1e-300, MC_LHS_MAX_UNIFORM);
}

/// Σ_j row[j]·z[j] for j = 0..=k, summed left to right from −0 (as Rust's Iterator::sum).
MC_FN double mc_copula_dot(const double* row, const double* z, int k) {
    double s = -0.0;
    for (int j = 0; j <= k; j++) s += row[j] * z[j];
    return s;
}
