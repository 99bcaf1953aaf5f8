//! NVRTC compile tests: every hand-written kernel and the generated kernel of every example
//! model compile to PTX. NVRTC needs no GPU (install it with `.ci/nvrtc-setup`); without it
//! these tests fail when CI=true and skip loudly elsewhere.
#![allow(clippy::expect_used, clippy::print_stderr)]

mod common;

use montecell_kernels::codegen::{Mode, check_supported, generate};
use montecell_kernels::nvrtc;
use montecell_kernels::sources::KERNEL_FILES;

/// The architecture the GPU machines have (H100/H200); PTX for it also runs on newer ones.
const ARCH: Option<&'static str> = Some("compute_90");

#[test]
fn every_hand_written_kernel_compiles_to_ptx() {
    if !common::nvrtc_or_skip("every_hand_written_kernel_compiles_to_ptx") {
        return;
    }
    for (file, _, kernels) in KERNEL_FILES {
        let c = nvrtc::compile_kernel_file(file, ARCH).unwrap_or_else(|e| panic!("{file}: {e}"));
        let ptx = c.ptx.to_src();
        for k in kernels {
            assert!(ptx.contains(&format!(".entry {k}(")), "{file}: no entry {k} in the PTX");
        }
        eprintln!("{file}: {} bytes of PTX in {:.0} ms", ptx.len(), c.compile_time.as_secs_f64() * 1e3);
    }
}

#[test]
fn nvrtc_reports_its_version() {
    if !common::nvrtc_or_skip("nvrtc_reports_its_version") {
        return;
    }
    let (major, minor) = nvrtc::version().expect("nvrtcVersion answers once NVRTC loads");
    assert!(major >= 12, "NVRTC {major}.{minor}: cudarc is built for CUDA 12.8");
    eprintln!("NVRTC {major}.{minor}");
}

#[test]
fn the_generated_kernel_of_every_example_compiles_to_ptx() {
    if !common::nvrtc_or_skip("the_generated_kernel_of_every_example_compiles_to_ptx") {
        return;
    }
    for name in common::EXAMPLES {
        let (wb, spec) = common::example(name);
        let (_, model, sampler) = common::prepare(&wb, &spec);
        let mode = if check_supported(&model).is_ok() { Mode::Full } else { Mode::SamplingOnly };
        let g = generate(&model, &sampler, mode).expect("generates");
        let c = nvrtc::compile(&g.source, name, ARCH).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(c.ptx.to_src().contains(".entry mc_model("), "{name}: no mc_model in the PTX");
        // Compiled once per process: the second time comes from the cache.
        let again = nvrtc::compile(&g.source, name, ARCH).expect("cached");
        assert!(again.cached && again.key == c.key);
        eprintln!(
            "{name} ({mode:?}, {} operations): PTX {} bytes, NVRTC {:.0} ms",
            g.operations,
            c.ptx.to_src().len(),
            c.compile_time.as_secs_f64() * 1e3
        );
    }
}

#[test]
#[ignore = "writes the PTX of the examples to target/ptx for reading"]
fn dump_ptx() {
    if !common::nvrtc_or_skip("dump_ptx") {
        return;
    }
    let dir = common::repo_root().join("target/ptx");
    std::fs::create_dir_all(&dir).expect("dir");
    for name in common::EXAMPLES {
        let (wb, spec) = common::example(name);
        let (_, model, sampler) = common::prepare(&wb, &spec);
        let mode = if check_supported(&model).is_ok() { Mode::Full } else { Mode::SamplingOnly };
        let g = generate(&model, &sampler, mode).expect("generates");
        let c = nvrtc::compile(&g.source, name, ARCH).expect("compiles");
        std::fs::write(dir.join(format!("{name}.ptx")), c.ptx.to_src()).expect("write");
        std::fs::write(dir.join(format!("{name}.cu")), &g.source).expect("write");
    }
}

/// A model whose tape is a chain of about `n` operations over 8 triangular inputs.
fn chain_model(n: usize) -> (montecell_engine::workbook::Workbook, montecell_engine::spec::SimulationSpec) {
    let mut cells: Vec<(String, String)> = (1..=8).map(|j| (format!("A{j}"), "1".to_owned())).collect();
    let rows = n / 2;
    for r in 1..=rows {
        let prev = if r == 1 { "A1".to_owned() } else { format!("B{}", r - 1) };
        let a = format!("A{}", 1 + r % 8);
        cells.push((format!("B{r}"), format!("={prev}*1.0001+{a}*{}", r % 7 + 1)));
    }
    let refs: Vec<(&str, &str)> = cells.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let wb = montecell_engine::workbook::workbook_from_cells(&refs);
    let inputs: Vec<String> = (1..=8)
        .map(|j| {
            format!(r#"{{"cell": "A{j}", "distribution": {{"type": "triangular", "min": 0, "mode": 1, "max": 3}}}}"#)
        })
        .collect();
    let spec = montecell_engine::spec::SimulationSpec::from_json(&format!(
        r#"{{"inputs": [{}], "outputs": [{{"cell": "B{rows}"}}], "iterations": 1000}}"#,
        inputs.join(", ")
    ))
    .expect("spec");
    (wb, spec)
}

/// The measurement behind the size rule of `codegen::plan` (kernels/README.md): NVRTC time and
/// PTX size against the number of tape operations, on chains and on the large benchmark model
/// (`MONTECELL_LARGE_MODEL`: a `large-model.xlsx` with its `.spec.json` beside it).
#[test]
#[ignore = "a measurement (minutes): cargo test -p montecell-kernels --test nvrtc_compile -- --ignored measure --nocapture"]
fn measure_compile_time_against_tape_length() {
    if !common::nvrtc_or_skip("measure_compile_time_against_tape_length") {
        return;
    }
    let mut cases: Vec<(String, montecell_engine::workbook::Workbook, montecell_engine::spec::SimulationSpec)> =
        [250, 1000, 4000, 16000, 36000]
            .into_iter()
            .map(|n| {
                let (wb, spec) = chain_model(n);
                (format!("chain {n}"), wb, spec)
            })
            .collect();
    if let Ok(path) = std::env::var("MONTECELL_LARGE_MODEL") {
        let path = std::path::PathBuf::from(path);
        let wb =
            montecell_engine::import::read_file(&path, &montecell_engine::import::Limits::default()).expect("large");
        let spec_text = std::fs::read_to_string(path.with_extension("spec.json")).expect("large spec");
        let spec = montecell_engine::spec::SimulationSpec::from_json(&spec_text).expect("spec");
        cases.push(("large-model".to_owned(), wb, spec));
    }
    for (label, wb, spec) in &cases {
        let (_, model, sampler) = common::prepare(wb, spec);
        let mode = if check_supported(&model).is_ok() { Mode::Full } else { Mode::SamplingOnly };
        let g = generate(&model, &sampler, mode).expect("generates");
        let c = nvrtc::compile(&g.source, label, ARCH).unwrap_or_else(|e| panic!("{label}: {e}"));
        eprintln!(
            "MEASURE {label}: {mode:?}, {} operations, {} registers, {} inputs, source {} KiB, PTX {} KiB, NVRTC {:.2} s",
            model.tape.ops.len(),
            model.tape.registers,
            model.inputs.len(),
            g.body.len() / 1024,
            c.ptx.to_src().len() / 1024,
            c.compile_time.as_secs_f64()
        );
    }
}
