//! Generates montecell's deterministic workbooks: the models bundled in `examples/` (the NPV
//! model, a cost-risk model written with @RISK functions, a loan portfolio),
//! the large benchmark model (`large-model.xlsx`: 300 product lines × 10 years, 18,652 formulas)
//! and the same model with 330 lines (`formulas-20k.xlsx`: 20,512 formulas).
//!
//! ```text
//! cargo run --release -p montecell-engine --example gen_workbooks -- OUT_DIR [small|examples|large|all]
//! ```
//!
//! The files carry no cached values; `scripts/gen-workbooks` recalculates them with a peer
//! engine (IronCalc) so that `montecell recalc` has independent values to compare against.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;

use montecell_engine::xlsx_writer::{SheetInput, WorkbookInput, write_xlsx};

/// Years in both models.
const YEARS: u32 = 10;

/// A small project-finance model: 8 inputs, 10 years of cash flows, NPV and IRR.
///
/// `Inputs!B2:B9` hold the assumptions (the cells a simulation makes uncertain);
/// `Model` computes revenue, costs, tax and cash flow per year; `Model!B14` is the NPV and
/// `Model!B15` the IRR.
fn npv_model() -> WorkbookInput {
    let mut inputs = SheetInput::new("Inputs");
    let assumptions: [(&str, f64); 8] = [
        ("Initial investment", 1_000_000.0),
        ("Units sold in year 1", 12_000.0),
        ("Unit volume growth", 0.05),
        ("Price per unit", 45.0),
        ("Price growth", 0.02),
        ("Unit cost", 27.0),
        ("Fixed costs per year", 120_000.0),
        ("Discount rate", 0.08),
    ];
    inputs.text(0, 0, "Assumption").text(0, 1, "Value");
    for (i, (label, value)) in assumptions.iter().enumerate() {
        inputs.text(i as u32 + 1, 0, label).number(i as u32 + 1, 1, *value);
    }
    inputs.text(10, 0, "Tax rate").number(10, 1, 0.25);

    let mut m = SheetInput::new("Model");
    let labels = [
        "Year",
        "Units",
        "Price",
        "Revenue",
        "Variable cost",
        "Fixed cost",
        "EBIT",
        "Tax",
        "Cash flow",
        "Cumulative cash",
    ];
    for (r, label) in labels.iter().enumerate() {
        m.text(r as u32, 0, label);
    }
    // Column B is year 0 (the investment); columns C..L are years 1..10.
    m.number(0, 1, 0.0);
    m.formula(8, 1, "=-Inputs!B2");
    m.formula(9, 1, "=B9");
    for y in 1..=YEARS {
        let c = y + 1;
        let col = montecell_engine::address::column_letters(c);
        let prev = montecell_engine::address::column_letters(c - 1);
        m.number(0, c, f64::from(y));
        if y == 1 {
            m.formula(1, c, "=Inputs!$B$3");
            m.formula(2, c, "=Inputs!$B$5");
        } else {
            m.formula(1, c, &format!("={prev}2*(1+Inputs!$B$4)"));
            m.formula(2, c, &format!("={prev}3*(1+Inputs!$B$6)"));
        }
        m.formula(3, c, &format!("={col}2*{col}3"));
        m.formula(4, c, &format!("={col}2*Inputs!$B$7"));
        m.formula(5, c, "=Inputs!$B$8");
        m.formula(6, c, &format!("={col}4-{col}5-{col}6"));
        m.formula(7, c, &format!("=MAX(0,{col}7*Inputs!$B$11)"));
        m.formula(8, c, &format!("={col}7-{col}8"));
        m.formula(9, c, &format!("={prev}10+{col}9"));
    }
    let last = montecell_engine::address::column_letters(YEARS + 1);
    m.text(11, 0, "Total revenue").formula(11, 1, &format!("=SUM(C4:{last}4)"));
    m.text(12, 0, "EBIT margin").formula(12, 1, &format!("=IFERROR(SUM(C7:{last}7)/B12,0)"));
    m.text(13, 0, "NPV").formula(13, 1, &format!("=B9+NPV(DiscountRate,C9:{last}9)"));
    m.text(14, 0, "IRR").formula(14, 1, &format!("=IRR(B9:{last}9)"));
    m.text(15, 0, "Payback year").formula(
        15,
        1,
        &format!("=IFERROR(MATCH(TRUE,INDEX(C10:{last}10>=0,0),0),\"never\")"),
    );
    m.text(16, 0, "Verdict").formula(
        16,
        1,
        "=IF(B14>0,\"invest\",\"do not invest\")&\" (NPV \"&TEXT(B14,\"#,##0\")&\")\"",
    );
    WorkbookInput { sheets: vec![inputs, m], names: vec![("DiscountRate".into(), "Inputs!$B$9".into())] }
}

/// The large model: `PRODUCTS` product lines × 10 years, six formulas per line and year, rolled
/// up by region with SUMIF. With 300 lines: 18,652 formulas (the benchmark workbook of the
/// design); with 330 lines: 20,512 (the 20,000-formula import/recalc check).
#[allow(non_snake_case)]
fn large_model(PRODUCTS: u32) -> WorkbookInput {
    let mut p = SheetInput::new("Products");
    p.text(0, 0, "Product")
        .text(0, 1, "Region")
        .text(0, 2, "Units")
        .text(0, 3, "Growth")
        .text(0, 4, "Price")
        .text(0, 5, "Cost");
    for i in 0..PRODUCTS {
        let r = i + 1;
        // Deterministic pseudo-random parameters.
        let k = f64::from((i * 7919) % 1000) / 1000.0;
        p.text(r, 0, &format!("P{:03}", i + 1));
        p.text(r, 1, ["North", "South", "East", "West"][(i % 4) as usize]);
        p.number(r, 2, 1000.0 + 9000.0 * k);
        p.number(r, 3, 0.01 + 0.05 * k);
        p.number(r, 4, 10.0 + 40.0 * (1.0 - k));
        p.number(r, 5, 5.0 + 20.0 * k);
    }
    // Sheet "Lines": for each product, per year: units, revenue, cost, margin, tax, cash.
    let mut l = SheetInput::new("Lines");
    l.text(0, 0, "Product").text(0, 1, "Region");
    let blocks = ["Units", "Revenue", "Cost", "Margin", "Tax", "Cash"];
    for (b, name) in blocks.iter().enumerate() {
        for y in 0..YEARS {
            l.text(0, 2 + b as u32 * YEARS + y, &format!("{name} Y{}", y + 1));
        }
    }
    let col = |b: usize, y: u32| montecell_engine::address::column_letters(2 + b as u32 * YEARS + y);
    for i in 0..PRODUCTS {
        let r = i + 1;
        let row = r + 1;
        l.formula(r, 0, &format!("=Products!A{row}"));
        l.formula(r, 1, &format!("=Products!B{row}"));
        for y in 0..YEARS {
            let units = if y == 0 {
                format!("=Products!C{row}")
            } else {
                format!("={}{row}*(1+Products!D{row})", col(0, y - 1))
            };
            l.formula(r, 2 + y, &units);
            l.formula(r, 2 + YEARS + y, &format!("={}{row}*Products!E{row}", col(0, y)));
            l.formula(r, 2 + 2 * YEARS + y, &format!("={}{row}*Products!F{row}", col(0, y)));
            l.formula(r, 2 + 3 * YEARS + y, &format!("={}{row}-{}{row}", col(1, y), col(2, y)));
            l.formula(r, 2 + 4 * YEARS + y, &format!("=MAX(0,{}{row})*0.25", col(3, y)));
            l.formula(r, 2 + 5 * YEARS + y, &format!("={}{row}-{}{row}", col(3, y), col(4, y)));
        }
    }
    // Sheet "Summary": cash per region and year (SUMIF), totals, NPV.
    let mut s = SheetInput::new("Summary");
    s.text(0, 0, "Region");
    let last_row = PRODUCTS + 1;
    for (ri, region) in ["North", "South", "East", "West"].iter().enumerate() {
        let r = ri as u32 + 1;
        s.text(r, 0, region);
        for y in 0..YEARS {
            let c = col(5, y);
            s.formula(r, 1 + y, &format!("=SUMIF(Lines!$B$2:$B${last_row},$A{},Lines!{c}$2:{c}${last_row})", r + 1));
        }
    }
    s.text(5, 0, "Total");
    for y in 0..YEARS {
        let c = montecell_engine::address::column_letters(1 + y);
        s.number(0, 1 + y, f64::from(y + 1));
        s.formula(5, 1 + y, &format!("=SUM({c}2:{c}5)"));
    }
    let last = montecell_engine::address::column_letters(YEARS);
    s.text(7, 0, "Discount rate").number(7, 1, 0.08);
    s.text(8, 0, "NPV").formula(8, 1, &format!("=NPV(B8,B6:{last}6)"));
    s.text(9, 0, "Best region").formula(9, 1, "=INDEX(A2:A5,MATCH(MAX(B2:B5),B2:B5,0))");
    WorkbookInput { sheets: vec![p, l, s], names: vec![] }
}

/// A construction cost-risk model written for @RISK: line items with three-point estimates
/// (`RiskPert`, `RiskTriang`), risk events (`RiskBernoulli` × impact), a `RiskDiscrete`
/// schedule driver, and outputs marked with `RiskOutput`. It runs unchanged in montecell.
fn cost_risk_model() -> WorkbookInput {
    let mut s = SheetInput::new("Estimate");
    s.text(0, 0, "Item").text(0, 1, "Low").text(0, 2, "Most likely").text(0, 3, "High").text(0, 4, "Cost");
    let items: [(&str, f64, f64, f64); 8] = [
        ("Site preparation", 180_000.0, 210_000.0, 290_000.0),
        ("Foundations", 420_000.0, 480_000.0, 650_000.0),
        ("Structure", 1_900_000.0, 2_100_000.0, 2_800_000.0),
        ("Envelope", 750_000.0, 820_000.0, 1_050_000.0),
        ("Mechanical and electrical", 1_100_000.0, 1_250_000.0, 1_700_000.0),
        ("Interior fit-out", 600_000.0, 690_000.0, 900_000.0),
        ("External works", 150_000.0, 175_000.0, 260_000.0),
        ("Design and management", 380_000.0, 400_000.0, 470_000.0),
    ];
    for (i, (name, lo, ml, hi)) in items.iter().enumerate() {
        let r = i as u32 + 1;
        let row = r + 1;
        s.text(r, 0, name).number(r, 1, *lo).number(r, 2, *ml).number(r, 3, *hi);
        let f = if i % 3 == 2 {
            format!("=RiskTriang(B{row},C{row},D{row},RiskName(\"{name}\"))")
        } else {
            format!("=RiskPert(B{row},C{row},D{row},RiskName(\"{name}\"))")
        };
        s.formula(r, 4, &f);
    }
    s.text(9, 0, "Base cost").formula(9, 4, "=SUM(E2:E9)");
    s.text(11, 0, "Risk event")
        .text(11, 1, "Probability")
        .text(11, 2, "Impact low")
        .text(11, 3, "Impact high")
        .text(11, 4, "Cost");
    let risks: [(&str, f64, f64, f64); 4] = [
        ("Ground contamination", 0.15, 150_000.0, 600_000.0),
        ("Steel price spike", 0.30, 100_000.0, 350_000.0),
        ("Design change", 0.40, 50_000.0, 250_000.0),
        ("Weather delay", 0.25, 80_000.0, 200_000.0),
    ];
    for (i, (name, p, lo, hi)) in risks.iter().enumerate() {
        let r = 12 + i as u32;
        let row = r + 1;
        s.text(r, 0, name).number(r, 1, *p).number(r, 2, *lo).number(r, 3, *hi);
        s.formula(
            r,
            4,
            &format!(
                "=RiskBernoulli(B{row},RiskName(\"{name} occurs\"))*RiskUniform(C{row},D{row},RiskName(\"{name} impact\"))"
            ),
        );
    }
    s.text(16, 0, "Risk events").formula(16, 4, "=SUM(E13:E16)");
    s.text(17, 0, "Escalation factor").formula(
        17,
        4,
        "=RiskDiscrete({1,1.02,1.05},{0.5,0.35,0.15},RiskName(\"Escalation\"))",
    );
    s.text(18, 0, "Total cost").formula(18, 4, "=RiskOutput(\"Total cost\")+(E10+E17)*E18");
    s.text(19, 0, "Budget").number(19, 4, 7_400_000.0);
    s.text(20, 0, "Over budget").formula(20, 4, "=RiskOutput(\"Overrun\")+MAX(0,E19-E20)");
    s.text(21, 0, "Contingency needed (P80 - base)").formula(21, 4, "=E19-E10");
    WorkbookInput { sheets: vec![s], names: vec![] }
}

/// A loan portfolio: ten loans with a probability of default, an exposure and a recovery rate.
/// The spec samples a default indicator per loan (Bernoulli, correlated through a rank
/// correlation matrix) and the recovery rate (beta); the outputs are the portfolio loss and
/// the number of defaults.
fn loan_portfolio_model() -> WorkbookInput {
    let mut s = SheetInput::new("Loans");
    s.text(0, 0, "Borrower").text(0, 1, "Exposure").text(0, 2, "PD").text(0, 3, "Default").text(0, 4, "Loss");
    let loans: [(&str, f64, f64); 10] = [
        ("Alder Manufacturing", 2_500_000.0, 0.02),
        ("Birch Logistics", 1_800_000.0, 0.035),
        ("Cedar Retail", 1_200_000.0, 0.05),
        ("Dogwood Energy", 3_000_000.0, 0.015),
        ("Elm Hospitality", 900_000.0, 0.08),
        ("Fir Construction", 1_500_000.0, 0.06),
        ("Ginkgo Health", 2_200_000.0, 0.01),
        ("Hazel Foods", 1_100_000.0, 0.04),
        ("Ivy Media", 800_000.0, 0.07),
        ("Juniper Farms", 1_000_000.0, 0.03),
    ];
    for (i, (name, exposure, pd)) in loans.iter().enumerate() {
        let r = i as u32 + 1;
        let row = r + 1;
        s.text(r, 0, name).number(r, 1, *exposure).number(r, 2, *pd).number(r, 3, 0.0);
        s.formula(r, 4, &format!("=B{row}*D{row}*(1-$B$14)"));
    }
    s.text(12, 0, "Total exposure").formula(12, 1, "=SUM(B2:B11)");
    s.text(13, 0, "Recovery rate").number(13, 1, 0.4);
    s.text(14, 0, "Expected loss").formula(14, 1, "=SUMPRODUCT(B2:B11,C2:C11)*(1-B14)");
    s.text(15, 0, "Portfolio loss").formula(15, 1, "=SUM(E2:E11)");
    s.text(16, 0, "Defaults").formula(16, 1, "=COUNTIF(D2:D11,1)");
    s.text(17, 0, "Loss rate").formula(17, 1, "=B16/B13");
    WorkbookInput { sheets: vec![s], names: vec![] }
}

/// The simulation spec of the large model: every product's volume growth is uncertain
/// (triangular, ±60% around its base value); the outputs are the NPV and the year-1 total.
fn large_model_spec(products: u32) -> String {
    let mut inputs = Vec::new();
    for i in 0..products {
        let k = f64::from((i * 7919) % 1000) / 1000.0;
        let g = 0.01 + 0.05 * k;
        inputs.push(format!(
            r#"    {{"cell": "Products!D{}", "name": "growth P{:03}", "distribution": {{"type": "triangular", "min": {}, "mode": {}, "max": {}}}}}"#,
            i + 2,
            i + 1,
            g * 0.4,
            g,
            g * 1.6
        ));
    }
    format!(
        "{{\n  \"inputs\": [\n{}\n  ],\n  \"outputs\": [\n    {{\"cell\": \"Summary!B9\", \"name\": \"NPV\"}},\n    {{\"cell\": \"Summary!B6\", \"name\": \"Cash year 1\"}}\n  ],\n  \"iterations\": 10000,\n  \"seed\": 1,\n  \"sampling\": \"lhs\"\n}}\n",
        inputs.join(",\n")
    )
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: gen_workbooks OUT_DIR [small|examples|large|all]");
        return ExitCode::FAILURE;
    };
    let which = args.next().unwrap_or_else(|| "all".to_owned());
    let mut jobs: Vec<(&str, WorkbookInput)> = Vec::new();
    if which == "small" || which == "all" {
        jobs.push(("npv.xlsx", npv_model()));
    }
    if which == "examples" || which == "all" {
        jobs.push(("cost-risk.xlsx", cost_risk_model()));
        jobs.push(("loan-portfolio.xlsx", loan_portfolio_model()));
    }
    if which == "large" || which == "all" {
        jobs.push(("large-model.xlsx", large_model(300)));
        jobs.push(("formulas-20k.xlsx", large_model(330)));
    }
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    if which == "large" || which == "all" {
        let path = out.join("large-model.spec.json");
        if let Err(e) = std::fs::write(&path, large_model_spec(300)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    for (name, wb) in jobs {
        let path = out.join(name);
        let formulas: usize = wb
            .sheets
            .iter()
            .flat_map(|s| &s.cells)
            .filter(|(_, _, c)| matches!(c, montecell_engine::xlsx_writer::CellInput::Formula(..)))
            .count();
        match write_xlsx(&wb).and_then(|bytes| std::fs::write(&path, bytes)) {
            Ok(()) => println!("wrote {} ({formulas} formulas)", path.display()),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
