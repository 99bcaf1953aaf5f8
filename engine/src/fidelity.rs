//! Formula fidelity against workbooks computed by Excel: per workbook and per category, the
//! fraction of formula cells whose recomputed value equals Excel's cached value.
//!
//! Two measures are kept: over all formula cells, and over the cells whose formulas only call
//! [`CORE_FUNCTIONS`], the functions montecell commits to reproduce exactly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::import::{self, Limits};
use crate::parse::{Callee, Expr};
use crate::recalc::{CellResult, recalculate};
use crate::workbook::{CellContent, Workbook};

/// The functions montecell commits to reproduce exactly (the formula-engine issue's list).
pub const CORE_FUNCTIONS: &[&str] = &[
    // math
    "ABS",
    "SIGN",
    "INT",
    "TRUNC",
    "ROUND",
    "ROUNDUP",
    "ROUNDDOWN",
    "MROUND",
    "CEILING",
    "CEILING.MATH",
    "FLOOR",
    "FLOOR.MATH",
    "MOD",
    "QUOTIENT",
    "POWER",
    "SQRT",
    "EXP",
    "LN",
    "LOG",
    "LOG10",
    "PI",
    "SIN",
    "COS",
    "TAN",
    "ASIN",
    "ACOS",
    "ATAN",
    "ATAN2",
    "DEGREES",
    "RADIANS",
    "FACT",
    "COMBIN",
    "PRODUCT",
    "SUM",
    "SUMSQ",
    "SUMPRODUCT",
    "SUMIF",
    "SUMIFS",
    "EVEN",
    "ODD",
    "GCD",
    "LCM",
    // statistical
    "AVERAGE",
    "AVERAGEA",
    "AVERAGEIF",
    "AVERAGEIFS",
    "COUNT",
    "COUNTA",
    "COUNTBLANK",
    "COUNTIF",
    "COUNTIFS",
    "MAX",
    "MIN",
    "MAXIFS",
    "MINIFS",
    "MEDIAN",
    "MODE",
    "MODE.SNGL",
    "LARGE",
    "SMALL",
    "RANK",
    "RANK.EQ",
    "PERCENTILE",
    "PERCENTILE.INC",
    "PERCENTILE.EXC",
    "QUARTILE",
    "QUARTILE.INC",
    "STDEV",
    "STDEV.S",
    "STDEV.P",
    "VAR",
    "VAR.S",
    "VAR.P",
    "CORREL",
    "COVARIANCE.S",
    "COVARIANCE.P",
    "SLOPE",
    "INTERCEPT",
    "GEOMEAN",
    "NORM.DIST",
    "NORM.INV",
    "NORM.S.DIST",
    "NORM.S.INV",
    "NORMDIST",
    "NORMINV",
    "NORMSDIST",
    "NORMSINV",
    "LOGNORM.DIST",
    "LOGNORM.INV",
    "BETA.DIST",
    "BETA.INV",
    "GAMMA.DIST",
    "GAMMA.INV",
    "EXPON.DIST",
    "WEIBULL.DIST",
    "BINOM.DIST",
    "BINOM.INV",
    "POISSON.DIST",
    "T.DIST",
    "T.INV",
    "T.INV.2T",
    "CHISQ.INV",
    // financial
    "NPV",
    "XNPV",
    "IRR",
    "XIRR",
    "MIRR",
    "PMT",
    "IPMT",
    "PPMT",
    "PV",
    "FV",
    "NPER",
    "RATE",
    "CUMIPMT",
    "CUMPRINC",
    "SLN",
    "SYD",
    "DB",
    "DDB",
    "EFFECT",
    "NOMINAL",
    // logical
    "IF",
    "IFS",
    "AND",
    "OR",
    "NOT",
    "XOR",
    "IFERROR",
    "IFNA",
    "SWITCH",
    "TRUE",
    "FALSE",
    // lookup
    "VLOOKUP",
    "HLOOKUP",
    "XLOOKUP",
    "LOOKUP",
    "INDEX",
    "MATCH",
    "XMATCH",
    "CHOOSE",
    "OFFSET",
    "INDIRECT",
    "ROW",
    "ROWS",
    "COLUMN",
    "COLUMNS",
    // information
    "ISERROR",
    "ISERR",
    "ISNA",
    "ISNUMBER",
    "ISTEXT",
    "ISBLANK",
    "ISLOGICAL",
    "ISEVEN",
    "ISODD",
    "NA",
    "N",
    "TYPE",
    // date
    "DATE",
    "YEAR",
    "MONTH",
    "DAY",
    "EDATE",
    "EOMONTH",
    "DAYS",
    "DATEDIF",
    "YEARFRAC",
    "WEEKDAY",
    "NETWORKDAYS",
    "WORKDAY",
    // text
    "CONCATENATE",
    "CONCAT",
    "TEXTJOIN",
    "LEFT",
    "RIGHT",
    "MID",
    "LEN",
    "UPPER",
    "LOWER",
    "TRIM",
    "TEXT",
    "VALUE",
    "FIND",
    "SEARCH",
    "SUBSTITUTE",
    "REPT",
    "EXACT",
];

/// Functions of dynamic arrays and LAMBDA: workbooks built on them are outside the
/// formula-engine issue.
pub const DYNAMIC_ARRAY_FUNCTIONS: &[&str] = &[
    "ANCHORARRAY",
    "LAMBDA",
    "LET",
    "MAP",
    "REDUCE",
    "SCAN",
    "MAKEARRAY",
    "BYROW",
    "BYCOL",
    "ISOMITTED",
    "SEQUENCE",
    "FILTER",
    "SORT",
    "SORTBY",
    "UNIQUE",
    "RANDARRAY",
    "HSTACK",
    "VSTACK",
    "TOCOL",
    "TOROW",
    "WRAPCOLS",
    "WRAPROWS",
    "TAKE",
    "DROP",
    "EXPAND",
    "CHOOSECOLS",
    "CHOOSEROWS",
    "TEXTSPLIT",
    "TRIMRANGE",
];

/// The fidelity of one workbook.
#[derive(Clone, Debug, Default)]
pub struct WorkbookFidelity {
    /// The file.
    pub path: PathBuf,
    /// Its category: the name of the folder it is in (empty at the root).
    pub category: String,
    /// Cells compared (volatile ones excluded).
    pub compared: usize,
    /// Cells that matched.
    pub matched: usize,
    /// Cells whose formulas only call [`CORE_FUNCTIONS`]: compared.
    pub core_compared: usize,
    /// … and matched.
    pub core_matched: usize,
    /// Does the workbook use dynamic-array or LAMBDA functions?
    pub dynamic_arrays: bool,
    /// Functions used that the engine does not know.
    pub unsupported: Vec<String>,
    /// Cells that did not match.
    pub mismatches: Vec<CellResult>,
    /// Why the workbook could not be recomputed, if it could not.
    pub error: Option<String>,
}

/// Every function a formula calls (normalised names).
pub fn called_functions(expr: &Expr, out: &mut BTreeSet<String>) {
    expr.walk(&mut |e| {
        if let Expr::Call { callee, .. } = e {
            out.insert(match callee {
                Callee::Builtin(id) => id.def().name.to_owned(),
                Callee::Unknown(n) => n.to_string(),
            });
        }
    });
}

fn only_core(wb: &Workbook, anchor: crate::workbook::FormulaId) -> bool {
    let f = wb.formula(anchor);
    let Ok(expr) = &f.expr else { return false };
    let mut fns = BTreeSet::new();
    called_functions(expr, &mut fns);
    fns.iter().all(|n| CORE_FUNCTIONS.contains(&n.as_str()) || n == "SINGLE")
}

/// Recomputes one workbook and measures its fidelity.
pub fn check_workbook(path: &Path, root: &Path) -> WorkbookFidelity {
    let category =
        path.parent().and_then(|p| p.strip_prefix(root).ok()).map(|p| p.display().to_string()).unwrap_or_default();
    let mut report = WorkbookFidelity { path: path.to_owned(), category, ..WorkbookFidelity::default() };
    let wb = match import::read_file(path, &Limits::default()) {
        Ok(wb) => wb,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    report.unsupported = wb.unsupported_functions();
    let mut all = BTreeSet::new();
    for f in wb.formulas() {
        if let Ok(e) = &f.expr {
            called_functions(e, &mut all);
        }
    }
    report.dynamic_arrays = all.iter().any(|n| DYNAMIC_ARRAY_FUNCTIONS.contains(&n.as_str()));
    let result = match recalculate(&wb) {
        Ok(r) => r,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    for c in result.cells {
        if c.volatile {
            continue;
        }
        let anchor = match wb.cell(c.cell) {
            Some(CellContent::Formula(id) | CellContent::ArrayMember { anchor: id, .. }) => *id,
            _ => continue,
        };
        let core = only_core(&wb, anchor);
        report.compared += 1;
        report.core_compared += usize::from(core);
        if c.matches {
            report.matched += 1;
            report.core_matched += usize::from(core);
        } else {
            report.mismatches.push(c);
        }
    }
    report
}

/// Every `.xlsx` under a folder, sorted.
pub fn workbooks_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xlsx")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
