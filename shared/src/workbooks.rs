//! Parsed workbooks by content hash, shared by the requests of a process: a submission is
//! checked, and a job run, without reading and parsing the same workbook again.

use std::sync::{Arc, Mutex};

use montecell_engine::Workbook;

/// The most recently used workbooks.
#[derive(Debug, Default)]
pub struct WorkbookCache {
    entries: Mutex<Vec<(String, Arc<Workbook>)>>,
}

/// Workbooks kept.
const CACHED_WORKBOOKS: usize = 16;

impl WorkbookCache {
    /// The workbook with this hash, when cached (and marks it recently used).
    pub fn get(&self, sha256: &str) -> Option<Arc<Workbook>> {
        let mut entries = self.entries.lock().ok()?;
        let pos = entries.iter().position(|(k, _)| k == sha256)?;
        let entry = entries.remove(pos);
        let wb = entry.1.clone();
        entries.push(entry);
        Some(wb)
    }

    /// Keeps a workbook, dropping the least recently used beyond the capacity.
    pub fn insert(&self, sha256: &str, wb: Arc<Workbook>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|(k, _)| k != sha256);
            entries.push((sha256.to_owned(), wb));
            while entries.len() > CACHED_WORKBOOKS {
                entries.remove(0);
            }
        }
    }
}
