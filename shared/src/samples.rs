//! Raw samples of a finished simulation: one blob per output, little-endian `f64` per
//! iteration (an iteration whose output is an error or text is NaN), indexed by a small JSON
//! document stored with the result.

use serde::{Deserialize, Serialize};

/// Where the samples of a simulation are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleIndex {
    /// One entry per output, in the result's order.
    pub outputs: Vec<SampleBlob>,
}

/// The samples of one output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleBlob {
    /// The output's name.
    pub name: String,
    /// Its cell.
    pub cell: String,
    /// Blob key.
    pub key: String,
    /// Iterations.
    pub count: u64,
}

/// The blob key of output `k` of a simulation.
pub fn key(simulation: &str, k: usize) -> String {
    format!("samples/{simulation}/{k}.f64")
}

/// Values as little-endian bytes.
pub fn encode(values: &[f64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 8);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Little-endian bytes as values (a trailing partial value is ignored).
pub fn decode(bytes: &[u8]) -> Vec<f64> {
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect()
}

/// The samples as CSV: `iteration,<name>` then one line per iteration (empty where NaN).
pub fn csv(name: &str, values: &[f64]) -> String {
    let mut out = String::with_capacity(values.len() * 20 + 32);
    let quoted = name.replace('"', "\"\"");
    out.push_str("iteration,\"");
    out.push_str(&quoted);
    out.push_str("\"\n");
    for (i, v) in values.iter().enumerate() {
        out.push_str(&(i + 1).to_string());
        out.push(',');
        if v.is_finite() {
            out.push_str(&format!("{v:?}"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_csv() {
        let v = [1.5, -2.0, f64::NAN, 1e300];
        let back = decode(&encode(&v));
        assert_eq!(back[0], 1.5);
        assert_eq!(back[3], 1e300);
        assert!(back[2].is_nan());
        assert_eq!(csv("n\"pv", &v[..3]), "iteration,\"n\"\"pv\"\n1,1.5\n2,-2.0\n3,\n");
    }
}
