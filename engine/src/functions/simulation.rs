//! Simulation functions outside a simulation: the @RISK and Analytic Solver distribution
//! functions, their property functions and output markers, and Excel's `RAND` and
//! `RANDBETWEEN`.
//!
//! A workbook recalculated without simulating shows what these tools show in a static
//! recalculation: a distribution function returns its distribution's mean (with truncation
//! and shift; the median where the mean does not exist), or the value of its `RiskStatic`
//! (`PsiBaseCase`) property. The simulation engine replaces each call by its samples.
//!
//! `RAND()` returns 0.5 and `RANDBETWEEN(bottom, top)` the lower middle integer
//! `⌊(⌈bottom⌉ + ⌊top⌋) / 2⌋`: fixed values, so that a static recalculation is
//! deterministic (Excel would draw a new random number on every recalculation).

use super::FnResult;
use super::args;
use crate::eval::{Evaluator, Operand};
use crate::parse::Expr;
use crate::sampling::functions::{from_call, split_call};
use crate::value::{ErrorKind, Value};

/// The static value of a distribution function call.
fn static_value(name: &str, ev: &mut Evaluator<'_>, args: &[Expr]) -> Result<Operand, ErrorKind> {
    let (params, properties) = split_call(ev, args)?;
    let input = from_call(name, &params, &properties).map_err(|e| e.error_kind())?;
    let v = input.static_value();
    if v.is_finite() { Ok(Operand::Value(Value::Number(v))) } else { Err(ErrorKind::Num) }
}

macro_rules! distribution_functions {
    ($($f:ident => $name:literal),* $(,)?) => {$(
        #[doc = concat!("`", $name, "(…)`: the distribution's mean, or its static value.")]
        pub(super) fn $f(ev: &mut Evaluator<'_>, args: &[Expr]) -> Result<Operand, ErrorKind> {
            static_value($name, ev, args)
        }
    )*};
}

distribution_functions! {
    risk_normal => "RISKNORMAL",
    risk_lognorm => "RISKLOGNORM",
    risk_lognorm2 => "RISKLOGNORM2",
    risk_uniform => "RISKUNIFORM",
    risk_triang => "RISKTRIANG",
    risk_trigen => "RISKTRIGEN",
    risk_pert => "RISKPERT",
    risk_beta => "RISKBETA",
    risk_beta_general => "RISKBETAGENERAL",
    risk_gamma => "RISKGAMMA",
    risk_expon => "RISKEXPON",
    risk_weibull => "RISKWEIBULL",
    risk_student => "RISKSTUDENT",
    risk_poisson => "RISKPOISSON",
    risk_binomial => "RISKBINOMIAL",
    risk_discrete => "RISKDISCRETE",
    risk_bernoulli => "RISKBERNOULLI",
    risk_cumul => "RISKCUMUL",
    risk_general => "RISKGENERAL",
    risk_histogrm => "RISKHISTOGRM",
    psi_normal => "PSINORMAL",
    psi_lognormal => "PSILOGNORMAL",
    psi_uniform => "PSIUNIFORM",
    psi_triangular => "PSITRIANGULAR",
    psi_pert => "PSIPERT",
    psi_beta => "PSIBETA",
    psi_gamma => "PSIGAMMA",
    psi_exponential => "PSIEXPONENTIAL",
    psi_weibull => "PSIWEIBULL",
    psi_poisson => "PSIPOISSON",
    psi_binomial => "PSIBINOMIAL",
    psi_discrete => "PSIDISCRETE",
    psi_bernoulli => "PSIBERNOULLI",
}

/// A property function on its own (`RiskName("x")`, `RiskShift(5)`…): its first argument,
/// or 0 without one.
pub(super) fn property(ev: &mut Evaluator<'_>, args: &[Expr]) -> Result<Operand, ErrorKind> {
    Ok(Operand::Value(match args::scalar(ev, args, 0) {
        Value::Blank => Value::Number(0.0),
        v => v,
    }))
}

/// `RiskOutput([name], [range name], [position])`: marks its cell as an output and adds 0
/// (written as `=RiskOutput("npv") + B9`). Its arguments are not evaluated.
pub(super) fn risk_output(_ev: &mut Evaluator<'_>, _args: &[Expr]) -> Result<Operand, ErrorKind> {
    Ok(Operand::Value(Value::Number(0.0)))
}

/// `PsiOutput()` is 0 (`=PsiOutput() + B9`); `PsiOutput(x)` is `x`.
pub(super) fn psi_output(ev: &mut Evaluator<'_>, args: &[Expr]) -> Result<Operand, ErrorKind> {
    match args.first() {
        None | Some(Expr::Missing) => Ok(Operand::Value(Value::Number(0.0))),
        Some(e) => Ok(Operand::Value(ev.value(e))),
    }
}

/// `RAND()`: 0.5 outside a simulation (deterministic).
pub(super) fn rand(_: &[Value]) -> FnResult {
    Ok(Value::Number(0.5))
}

/// `RANDBETWEEN(bottom, top)`: outside a simulation the lower middle integer of
/// `⌈bottom⌉ … ⌊top⌋`; `#NUM!` when that range is empty.
pub(super) fn randbetween(a: &[Value]) -> FnResult {
    let bottom = args::num(a, 0)?.ceil();
    let top = args::num(a, 1)?.floor();
    if bottom > top {
        return Err(ErrorKind::Num);
    }
    Ok(Value::Number(((bottom + top) / 2.0).floor()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::{Category, Kind, lookup};
    use crate::sampling::functions::{DISTRIBUTION_FUNCTIONS, IGNORED_PROPERTY_FUNCTIONS, PROPERTY_FUNCTIONS};
    use crate::testing::{eval_error, eval_formula, eval_number as num};

    fn is_special(name: &str) -> bool {
        lookup(name).is_some_and(|id| matches!(id.def().kind, Kind::Special(_)))
    }

    fn err(formula: &str) -> ErrorKind {
        eval_error(formula, &[])
    }

    #[test]
    fn every_name_is_registered() {
        for (name, params) in DISTRIBUTION_FUNCTIONS {
            let id = lookup(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(is_special(name), "{name}");
            assert_eq!(id.def().category, Category::Simulation, "{name}");
            assert_eq!(usize::from(id.def().min_args), params.len(), "{name}");
        }
        for name in PROPERTY_FUNCTIONS.iter().chain(IGNORED_PROPERTY_FUNCTIONS).chain(&["RISKOUTPUT", "PSIOUTPUT"]) {
            assert!(is_special(name), "{name}");
        }
        assert!(lookup("RAND").is_some() && lookup("RANDBETWEEN").is_some());
    }

    #[test]
    fn static_values_are_means() {
        assert_eq!(num("=RiskNormal(10,2)", &[]), 10.0);
        assert_eq!(num("=RiskTriang(1,2,6)", &[]), 3.0);
        assert_eq!(num("=_xll.RiskTriang(1,2,6)", &[]), 3.0);
        assert_eq!(num("=RiskNormal(10,2,RiskStatic(7))", &[]), 7.0);
        assert_eq!(num("=RiskOutput(\"npv\")+5", &[]), 5.0);
        assert_eq!(num("=RiskOutput()+5", &[]), 5.0);
        assert_eq!(num("=PsiOutput()+5", &[]), 5.0);
        assert_eq!(num("=PsiOutput(B1*2)", &[("B1", "4")]), 8.0);
        assert!((num("=RiskPert(0,1,4)", &[]) - 4.0 / 3.0).abs() < 1e-15);
        assert_eq!(num("=RiskNormal(10,2,RiskShift(5),RiskName(\"growth\"))", &[]), 15.0);
        assert_eq!(num("=RiskUniform(B1,B2)", &[("B1", "2"), ("B2", "4")]), 3.0);
        assert_eq!(num("=RiskDiscrete({1,2,3},{1,1,2})", &[]), 2.25);
        assert_eq!(
            num(
                "=RiskDiscrete(B1:B3,C1:C3)",
                &[("B1", "1"), ("B2", "2"), ("B3", "3"), ("C1", "1"), ("C2", "1"), ("C3", "2")]
            ),
            2.25
        );
        assert_eq!(num("=PsiExponential(4)", &[]), 4.0);
        assert_eq!(num("=PsiTriangular(1,2,6)", &[]), 3.0);
        assert_eq!(num("=RiskBernoulli(0.3)", &[]), 0.3);
        assert_eq!(num("=RiskHistogrm(0,10,{1,1})", &[]), 5.0);
        assert!((num("=RiskLognorm(10,3)", &[]) - 10.0).abs() < 1e-12);
        // Truncated normal at 10 ± 0: the mean of a half-normal above 10.
        let half = num("=RiskNormal(10,2,RiskTruncate(10,))", &[]);
        assert!((half - (10.0 + 2.0 * (2.0 / std::f64::consts::PI).sqrt())).abs() < 1e-10, "{half}");
        // Student with ν = 1 has no mean: the median.
        assert_eq!(num("=RiskStudent(1)", &[]), 0.0);
    }

    #[test]
    fn property_functions_alone_and_excel_random_functions() {
        assert_eq!(num("=RiskShift(5)", &[]), 5.0);
        assert_eq!(num("=RiskTruncate()", &[]), 0.0);
        assert_eq!(eval_formula("=RiskName(\"x\")", &[]), Value::text("x"));
        assert_eq!(num("=RAND()", &[]), 0.5);
        assert_eq!(num("=RANDBETWEEN(1,10)", &[]), 5.0);
        assert_eq!(num("=RANDBETWEEN(1.5,4.5)", &[]), 3.0);
        assert_eq!(num("=RANDBETWEEN(-3,-2)", &[]), -3.0);
        assert_eq!(err("=RANDBETWEEN(5,1)"), ErrorKind::Num);
    }

    #[test]
    fn invalid_parameters_are_errors() {
        assert_eq!(err("=RiskNormal(10,-1)"), ErrorKind::Num);
        assert_eq!(err("=RiskTriang(5,3,6)"), ErrorKind::Num);
        assert_eq!(err("=RiskNormal(10,RiskName(\"x\"))"), ErrorKind::Value);
        assert_eq!(err("=RiskNormal(1,2,3)"), ErrorKind::Value);
        assert_eq!(err("=RiskNormal(\"a\",1)"), ErrorKind::Value);
        assert_eq!(err("=RiskNormal(NA(),1)"), ErrorKind::NA);
        assert_eq!(err("=RiskDiscrete({1,2},{1})"), ErrorKind::Value);
        assert_eq!(err("=RiskNormal(0,1,RiskTruncate(5,4))"), ErrorKind::Num);
        assert_eq!(err("=RANDBETWEEN(\"a\",2)"), ErrorKind::Value);
    }
}
