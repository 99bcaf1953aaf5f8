//! Any text as a formula on the second of three sheets: the parser returns an expression or a
//! positioned error, and never panics, loops or overflows its stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use montecell_engine::address::SheetId;
use montecell_engine::parse::parse_formula;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let sheets = vec!["Inputs".to_owned(), "Model".to_owned(), "My Sheet".to_owned()];
        if let Err(e) = parse_formula(text, SheetId(1), &sheets) {
            assert!(e.position <= text.len() + 1, "error position {} past the text ({})", e.position, text.len());
        }
    }
});
