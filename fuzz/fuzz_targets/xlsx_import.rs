//! Any bytes as an uploaded workbook: the import returns a workbook or an error within its
//! limits, and never panics. A workbook that imports is also recalculated once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use montecell_engine::import::{Limits, read_bytes};

fuzz_target!(|data: &[u8]| {
    if let Ok(wb) = read_bytes(data, &Limits::default()) {
        let _ = montecell_engine::recalc::recalculate(&wb);
    }
});
