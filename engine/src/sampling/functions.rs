//! The in-workbook distribution functions of @RISK (`RiskNormal(10, 2, RiskTruncate(0,))`)
//! and Analytic Solver (`PsiTriangular(1, 2, 4)`): which names they are, how their
//! arguments map to a [`Distribution`], and their property functions (`RiskName`,
//! `RiskTruncate`, `RiskShift`, `RiskStatic`, `PsiTruncate`…).
//!
//! Parameter conventions (checked against the vendors' function references):
//! - `RiskLognorm(mean, std)` and `PsiLognormal(mean, stdev)`: mean and standard deviation
//!   of the lognormal itself; `RiskLognorm2(μ, σ)`: of the underlying normal;
//! - `RiskTrigen(bottom, most likely, top, bottom perc, top perc)`: the percentages are
//!   0–100 (`RiskTrigen(100, 200, 300, 10, 90)`);
//! - `RiskGamma(α, β)`, `RiskWeibull(α, β)`, `PsiGamma`, `PsiWeibull`: shape, then scale;
//! - `RiskExpon(β)` and `PsiExponential(β)`: β is the mean (not the rate);
//! - `RiskBinomial(n, p)`: a fractional `n` is truncated, as Excel's `BINOM.DIST` does;
//! - `RiskDiscrete({x}, {p})`: weights are normalised; values may come in any order (they are
//!   sorted, equal values merged);
//! - `RiskCumul(min, max, {x}, {p})`: cumulative probabilities at the points;
//!   `RiskGeneral(min, max, {x}, {p})`: density heights; `RiskHistogrm(min, max, {p})`: bin
//!   weights;
//! - `RiskTruncate(min, max)` limits the distribution before `RiskShift`; `RiskTruncate2`
//!   after it; `RiskTruncateP(p1, p2)` at percentiles (fractions). Either limit may be
//!   omitted.

use super::distribution::{Distribution, DistributionError, InputDistribution, Truncation};
use crate::eval::Evaluator;
use crate::functions::args;
use crate::parse::{Callee, Expr};
use crate::value::{ErrorKind, Value};

/// Every distribution function, with the names of its parameters (in order).
pub const DISTRIBUTION_FUNCTIONS: &[(&str, &[&str])] = &[
    ("RISKNORMAL", &["mean", "std"]),
    ("RISKLOGNORM", &["mean", "std"]),
    ("RISKLOGNORM2", &["mu", "sigma"]),
    ("RISKUNIFORM", &["min", "max"]),
    ("RISKTRIANG", &["min", "most likely", "max"]),
    ("RISKTRIGEN", &["bottom", "most likely", "top", "bottom perc", "top perc"]),
    ("RISKPERT", &["min", "most likely", "max"]),
    ("RISKBETA", &["alpha1", "alpha2"]),
    ("RISKBETAGENERAL", &["alpha1", "alpha2", "min", "max"]),
    ("RISKGAMMA", &["alpha", "beta"]),
    ("RISKEXPON", &["beta"]),
    ("RISKWEIBULL", &["alpha", "beta"]),
    ("RISKSTUDENT", &["nu"]),
    ("RISKPOISSON", &["lambda"]),
    ("RISKBINOMIAL", &["n", "p"]),
    ("RISKDISCRETE", &["values", "weights"]),
    ("RISKBERNOULLI", &["p"]),
    ("RISKCUMUL", &["min", "max", "values", "probabilities"]),
    ("RISKGENERAL", &["min", "max", "values", "weights"]),
    ("RISKHISTOGRM", &["min", "max", "weights"]),
    ("PSINORMAL", &["mean", "stdev"]),
    ("PSILOGNORMAL", &["mean", "stdev"]),
    ("PSIUNIFORM", &["lower", "upper"]),
    ("PSITRIANGULAR", &["min", "likely", "max"]),
    ("PSIPERT", &["min", "likely", "max"]),
    ("PSIBETA", &["alpha1", "alpha2"]),
    ("PSIGAMMA", &["alpha", "beta"]),
    ("PSIEXPONENTIAL", &["beta"]),
    ("PSIWEIBULL", &["alpha", "beta"]),
    ("PSIPOISSON", &["lambda"]),
    ("PSIBINOMIAL", &["trials", "probability"]),
    ("PSIDISCRETE", &["values", "weights"]),
    ("PSIBERNOULLI", &["probability"]),
];

/// Property functions that change the input: name, truncation, shift, static value.
pub const PROPERTY_FUNCTIONS: &[&str] = &[
    "RISKNAME",
    "RISKTRUNCATE",
    "RISKTRUNCATE2",
    "RISKTRUNCATEP",
    "RISKSHIFT",
    "RISKSTATIC",
    "PSITRUNCATE",
    "PSIBASECASE",
    "PSINAME",
];

/// Property functions that do not change the samples (labels, collection and reporting
/// options, an input's own seed — every input has its own stream anyway): accepted and
/// listed in [`Properties::ignored`].
pub const IGNORED_PROPERTY_FUNCTIONS: &[&str] = &[
    "RISKUNITS",
    "RISKCATEGORY",
    "RISKCOLLECT",
    "RISKISDATE",
    "RISKISDISCRETE",
    "RISKSEED",
    "RISKFIT",
    "RISKCONVERGENCE",
    "RISKSIXSIGMA",
];

/// Is `name` (upper case) a distribution function?
pub fn is_distribution_function(name: &str) -> bool {
    DISTRIBUTION_FUNCTIONS.iter().any(|(n, _)| *n == name)
}

/// Is `name` (upper case) a property function (including the ignored ones)?
pub fn is_property_function(name: &str) -> bool {
    PROPERTY_FUNCTIONS.contains(&name) || IGNORED_PROPERTY_FUNCTIONS.contains(&name)
}

/// Does `name` (upper case) mark an output (`RISKOUTPUT`, `PSIOUTPUT`)?
pub fn is_output_marker(name: &str) -> bool {
    name == "RISKOUTPUT" || name == "PSIOUTPUT"
}

/// The parameter names of a distribution function.
pub fn parameters(name: &str) -> Option<&'static [&'static str]> {
    DISTRIBUTION_FUNCTIONS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// The property functions found among a distribution function's arguments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Properties {
    /// `RiskName`/`PsiName`: the input's name.
    pub name: Option<String>,
    /// `RiskTruncate`/`PsiTruncate`: limits before the shift.
    pub truncate: Option<Truncation>,
    /// `RiskTruncate2`: limits after the shift.
    pub truncate_shifted: Option<Truncation>,
    /// `RiskTruncateP`: limits as cumulative probabilities (fractions).
    pub truncate_percentiles: Option<Truncation>,
    /// `RiskShift`.
    pub shift: Option<f64>,
    /// `RiskStatic`/`PsiBaseCase`: the value outside a simulation.
    pub fixed: Option<f64>,
    /// Property functions accepted without effect (upper case).
    pub ignored: Vec<String>,
}

impl Properties {
    /// The input made of `distribution` with these properties (not validated).
    pub fn apply(&self, distribution: Distribution) -> Result<InputDistribution, DistributionError> {
        let shift = self.shift.unwrap_or(0.0);
        let mut limits: Vec<Truncation> = Vec::new();
        limits.extend(self.truncate);
        if let Some(t) = self.truncate_shifted {
            limits.push(Truncation { min: t.min.map(|v| v - shift), max: t.max.map(|v| v - shift) });
        }
        if let Some(t) = self.truncate_percentiles {
            let at = |p: Option<f64>, which: &str| -> Result<Option<f64>, DistributionError> {
                match p {
                    None => Ok(None),
                    Some(p) if (0.0..=1.0).contains(&p) => {
                        Ok((p > 0.0 && p < 1.0).then(|| distribution.quantile(p)).filter(|x| x.is_finite()))
                    }
                    Some(p) => Err(DistributionError::Parameter(format!(
                        "RISKTRUNCATEP: {which} percentile {p} must be between 0 and 1"
                    ))),
                }
            };
            limits.push(Truncation { min: at(t.min, "lower")?, max: at(t.max, "upper")? });
        }
        // Several truncations: their intersection.
        let truncate = limits.into_iter().reduce(|a, b| Truncation {
            min: match (a.min, b.min) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            },
            max: match (a.max, b.max) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            },
        });
        Ok(InputDistribution { distribution, truncate, shift, fixed: self.fixed })
    }
}

/// Evaluates a distribution function's arguments: the parameters (arrays and ranges become
/// [`Value::Array`], an omitted argument [`Value::Blank`]) in order, and the property
/// functions among them. A property function's argument that is an error returns that error.
pub fn split_call(ev: &mut Evaluator<'_>, args: &[Expr]) -> Result<(Vec<Value>, Properties), ErrorKind> {
    let mut params = Vec::new();
    let mut props = Properties::default();
    for arg in args {
        match arg {
            Expr::Call { callee: Callee::Builtin(id), args: pargs } if is_property_function(id.def().name) => {
                read_property(ev, id.def().name, pargs, &mut props)?;
            }
            Expr::Missing => params.push(Value::Blank),
            e => params.push(match ev.array(e) {
                Ok(a) if a.rows() == 1 && a.cols() == 1 => a.get(0, 0).cloned().unwrap_or(Value::Blank),
                Ok(a) => Value::Array(a),
                Err(k) => Value::Error(k),
            }),
        }
    }
    Ok((params, props))
}

/// A number argument of a property function, `None` when omitted or blank.
fn optional_number(ev: &mut Evaluator<'_>, args: &[Expr], i: usize) -> Result<Option<f64>, ErrorKind> {
    match args::scalar(ev, args, i) {
        Value::Blank => Ok(None),
        v => v.to_number().map(Some),
    }
}

fn read_property(ev: &mut Evaluator<'_>, name: &str, pargs: &[Expr], props: &mut Properties) -> Result<(), ErrorKind> {
    let limits = |ev: &mut Evaluator<'_>| -> Result<Truncation, ErrorKind> {
        Ok(Truncation { min: optional_number(ev, pargs, 0)?, max: optional_number(ev, pargs, 1)? })
    };
    match name {
        "RISKNAME" | "PSINAME" => props.name = Some(args::scalar(ev, pargs, 0).to_text()?.to_string()),
        "RISKTRUNCATE" | "PSITRUNCATE" => props.truncate = Some(limits(ev)?),
        "RISKTRUNCATE2" => props.truncate_shifted = Some(limits(ev)?),
        "RISKTRUNCATEP" => props.truncate_percentiles = Some(limits(ev)?),
        "RISKSHIFT" => props.shift = Some(args::scalar_num(ev, pargs, 0)?),
        "RISKSTATIC" | "PSIBASECASE" => props.fixed = Some(args::scalar_num(ev, pargs, 0)?),
        other => props.ignored.push(other.to_owned()),
    }
    Ok(())
}

/// The name a `RiskOutput(name, …)` call gives its output (`None` when omitted or empty).
/// `PsiOutput` carries no name.
pub fn output_name(ev: &mut Evaluator<'_>, name: &str, args: &[Expr]) -> Result<Option<String>, ErrorKind> {
    if name != "RISKOUTPUT" {
        return Ok(None);
    }
    let text = args::scalar(ev, args, 0).to_text()?;
    Ok((!text.trim().is_empty()).then(|| text.to_string()))
}

// ── Reading parameters ────────────────────────────────────────────────────────────────────

struct Reader<'a> {
    function: &'a str,
    names: &'static [&'static str],
    args: &'a [Value],
}

impl Reader<'_> {
    fn error_value(&self, i: usize, error: ErrorKind) -> DistributionError {
        DistributionError::ErrorValue { function: self.function.to_owned(), position: i + 1, error }
    }

    fn number(&self, i: usize) -> Result<f64, DistributionError> {
        let name = self.names.get(i).copied().unwrap_or("parameter");
        let scalar = |v: &Value| -> Result<f64, DistributionError> {
            match v {
                Value::Number(n) => Ok(*n),
                Value::Blank => Ok(0.0),
                Value::Error(e) => Err(self.error_value(i, *e)),
                v => v.to_number().map_err(|e| {
                    if e == ErrorKind::Value {
                        DistributionError::Arguments(format!("{}: {name} is not a number", self.function))
                    } else {
                        self.error_value(i, e)
                    }
                }),
            }
        };
        match &self.args[i] {
            Value::Array(a) => match a.values() {
                [one] => scalar(one),
                _ => Err(DistributionError::Arguments(format!(
                    "{}: {name} must be one number, not an array of {}",
                    self.function,
                    a.values().len()
                ))),
            },
            v => scalar(v),
        }
    }

    fn list(&self, i: usize) -> Result<Vec<f64>, DistributionError> {
        let name = self.names.get(i).copied().unwrap_or("parameter");
        let mut out = Vec::new();
        let values: &[Value] = match &self.args[i] {
            Value::Array(a) => a.values(),
            v => std::slice::from_ref(v),
        };
        for v in values {
            match v {
                Value::Number(n) => out.push(*n),
                Value::Blank => {}
                Value::Error(e) => return Err(self.error_value(i, *e)),
                _ => {
                    return Err(DistributionError::Arguments(format!(
                        "{}: {name} must hold numbers only",
                        self.function
                    )));
                }
            }
        }
        Ok(out)
    }
}

/// The distribution of a distribution function called with these parameter values
/// (properties excluded). Not validated.
pub fn distribution_from_call(name: &str, args: &[Value]) -> Result<Distribution, DistributionError> {
    let Some(names) = parameters(name) else {
        return Err(DistributionError::UnknownFunction(name.to_owned()));
    };
    if args.len() != names.len() {
        return Err(DistributionError::Arguments(format!(
            "{name} takes {} parameter{} ({}), not {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", "),
            args.len()
        )));
    }
    let r = Reader { function: name, names, args };
    let n = |i| r.number(i);
    Ok(match name {
        "RISKNORMAL" | "PSINORMAL" => Distribution::Normal { mean: n(0)?, std: n(1)? },
        "RISKLOGNORM" | "PSILOGNORMAL" => Distribution::Lognormal { mean: n(0)?, std: n(1)? },
        "RISKLOGNORM2" => Distribution::Lognormal2 { mu: n(0)?, sigma: n(1)? },
        "RISKUNIFORM" | "PSIUNIFORM" => Distribution::Uniform { min: n(0)?, max: n(1)? },
        "RISKTRIANG" | "PSITRIANGULAR" => Distribution::Triangular { min: n(0)?, mode: n(1)?, max: n(2)? },
        "RISKTRIGEN" => Distribution::Trigen {
            bottom: n(0)?,
            mode: n(1)?,
            top: n(2)?,
            bottom_perc: n(3)? / 100.0,
            top_perc: n(4)? / 100.0,
        },
        "RISKPERT" | "PSIPERT" => Distribution::Pert { min: n(0)?, mode: n(1)?, max: n(2)? },
        "RISKBETA" | "PSIBETA" => Distribution::Beta { alpha: n(0)?, beta: n(1)? },
        "RISKBETAGENERAL" => Distribution::BetaGeneral { alpha: n(0)?, beta: n(1)?, min: n(2)?, max: n(3)? },
        "RISKGAMMA" | "PSIGAMMA" => Distribution::Gamma { alpha: n(0)?, beta: n(1)? },
        "RISKEXPON" | "PSIEXPONENTIAL" => Distribution::Exponential { mean: n(0)? },
        "RISKWEIBULL" | "PSIWEIBULL" => Distribution::Weibull { alpha: n(0)?, beta: n(1)? },
        "RISKSTUDENT" => Distribution::Student { nu: n(0)? },
        "RISKPOISSON" | "PSIPOISSON" => Distribution::Poisson { lambda: n(0)? },
        "RISKBINOMIAL" | "PSIBINOMIAL" => {
            let trials = n(0)?.trunc();
            if !(0.0..=5e8).contains(&trials) {
                return Err(DistributionError::Parameter(format!(
                    "binomial: n {trials} must be a whole number from 0 to 5e8"
                )));
            }
            Distribution::Binomial { n: trials as u64, p: n(1)? }
        }
        "RISKBERNOULLI" | "PSIBERNOULLI" => Distribution::Bernoulli { p: n(0)? },
        "RISKDISCRETE" | "PSIDISCRETE" => {
            let (values, weights) = (r.list(0)?, r.list(1)?);
            if values.len() != weights.len() {
                return Err(DistributionError::Arguments(format!(
                    "{name}: {} values but {} weights",
                    values.len(),
                    weights.len()
                )));
            }
            let mut pairs: Vec<(f64, f64)> = values.into_iter().zip(weights).collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut values: Vec<f64> = Vec::with_capacity(pairs.len());
            let mut weights: Vec<f64> = Vec::with_capacity(pairs.len());
            for (v, w) in pairs {
                match values.last() {
                    Some(&last) if last == v => {
                        if let Some(lw) = weights.last_mut() {
                            *lw += w;
                        }
                    }
                    _ => {
                        values.push(v);
                        weights.push(w);
                    }
                }
            }
            Distribution::Discrete { values, weights }
        }
        "RISKCUMUL" => {
            Distribution::Cumulative { min: n(0)?, max: n(1)?, values: r.list(2)?, probabilities: r.list(3)? }
        }
        "RISKGENERAL" => Distribution::General { min: n(0)?, max: n(1)?, values: r.list(2)?, weights: r.list(3)? },
        "RISKHISTOGRM" => Distribution::Histogram { min: n(0)?, max: n(1)?, weights: r.list(2)? },
        _ => return Err(DistributionError::UnknownFunction(name.to_owned())),
    })
}

/// The validated input of a distribution function call: its parameter values (as
/// [`split_call`] returns them) and its properties.
pub fn from_call(name: &str, args: &[Value], properties: &Properties) -> Result<InputDistribution, DistributionError> {
    let distribution = distribution_from_call(name, args)?;
    distribution.validate()?;
    let input = properties.apply(distribution)?;
    input.validate()?;
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::SheetId;
    use crate::parse::parse_formula;
    use crate::workbook::workbook_from_cells;

    fn nums(xs: &[f64]) -> Vec<Value> {
        xs.iter().map(|&x| Value::Number(x)).collect()
    }

    fn dist(name: &str, xs: &[f64]) -> Distribution {
        distribution_from_call(name, &nums(xs)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn array(xs: &[f64]) -> Value {
        Value::Array(std::sync::Arc::new(crate::value::Array::new(1, xs.len(), nums(xs))))
    }

    #[test]
    fn names_map_to_distributions() {
        use Distribution::*;
        assert_eq!(dist("RISKNORMAL", &[10.0, 2.0]), Normal { mean: 10.0, std: 2.0 });
        assert_eq!(dist("PSINORMAL", &[10.0, 2.0]), Normal { mean: 10.0, std: 2.0 });
        assert_eq!(dist("RISKLOGNORM", &[10.0, 2.0]), Lognormal { mean: 10.0, std: 2.0 });
        assert_eq!(dist("PSILOGNORMAL", &[10.0, 2.0]), Lognormal { mean: 10.0, std: 2.0 });
        assert_eq!(dist("RISKLOGNORM2", &[1.0, 0.5]), Lognormal2 { mu: 1.0, sigma: 0.5 });
        assert_eq!(dist("RISKTRIANG", &[1.0, 2.0, 4.0]), Triangular { min: 1.0, mode: 2.0, max: 4.0 });
        assert_eq!(dist("PSITRIANGULAR", &[1.0, 2.0, 4.0]), Triangular { min: 1.0, mode: 2.0, max: 4.0 });
        assert_eq!(
            dist("RISKTRIGEN", &[100.0, 200.0, 300.0, 10.0, 90.0]),
            Trigen { bottom: 100.0, mode: 200.0, top: 300.0, bottom_perc: 0.1, top_perc: 0.9 }
        );
        assert_eq!(dist("PSIPERT", &[0.0, 1.0, 4.0]), Pert { min: 0.0, mode: 1.0, max: 4.0 });
        assert_eq!(
            dist("RISKBETAGENERAL", &[2.0, 3.0, 0.0, 10.0]),
            BetaGeneral { alpha: 2.0, beta: 3.0, min: 0.0, max: 10.0 }
        );
        // Exponential: β is the mean for both vendors.
        assert_eq!(dist("RISKEXPON", &[5.0]), Exponential { mean: 5.0 });
        assert_eq!(dist("PSIEXPONENTIAL", &[5.0]), Exponential { mean: 5.0 });
        assert_eq!(dist("PSIEXPONENTIAL", &[5.0]).mean(), 5.0);
        // Gamma and Weibull: shape then scale.
        assert_eq!(dist("RISKGAMMA", &[2.0, 3.0]).mean(), 6.0);
        assert_eq!(dist("PSIWEIBULL", &[2.0, 3.0]), Weibull { alpha: 2.0, beta: 3.0 });
        assert_eq!(dist("RISKBINOMIAL", &[10.7, 0.5]), Binomial { n: 10, p: 0.5 });
        assert_eq!(dist("PSIBERNOULLI", &[0.2]), Bernoulli { p: 0.2 });
        assert_eq!(dist("RISKSTUDENT", &[3.0]), Student { nu: 3.0 });
        assert_eq!(dist("PSIPOISSON", &[2.5]), Poisson { lambda: 2.5 });
        // Arrays: discrete values sorted and merged; cumulative, general, histogram.
        let d = distribution_from_call("RISKDISCRETE", &[array(&[3.0, 1.0, 3.0]), array(&[1.0, 2.0, 1.0])]);
        assert_eq!(d, Ok(Discrete { values: vec![1.0, 3.0], weights: vec![2.0, 2.0] }));
        let d = distribution_from_call(
            "RISKCUMUL",
            &[Value::Number(0.0), Value::Number(10.0), array(&[1.0, 5.0]), array(&[0.1, 0.7])],
        );
        assert_eq!(d, Ok(Cumulative { min: 0.0, max: 10.0, values: vec![1.0, 5.0], probabilities: vec![0.1, 0.7] }));
        let d = distribution_from_call("RISKHISTOGRM", &[Value::Number(0.0), Value::Number(1.0), array(&[1.0, 2.0])]);
        assert_eq!(d, Ok(Histogram { min: 0.0, max: 1.0, weights: vec![1.0, 2.0] }));
        // A one-value list may be a plain number.
        let d = distribution_from_call("PSIDISCRETE", &nums(&[4.0, 1.0]));
        assert_eq!(d, Ok(Discrete { values: vec![4.0], weights: vec![1.0] }));
        for (name, params) in DISTRIBUTION_FUNCTIONS {
            assert!(is_distribution_function(name));
            assert!(!is_property_function(name));
            assert_eq!(parameters(name).map(<[_]>::len), Some(params.len()));
        }
        assert!(is_output_marker("RISKOUTPUT") && is_output_marker("PSIOUTPUT") && !is_output_marker("RISKNAME"));
    }

    #[test]
    fn bad_calls_are_rejected_with_the_parameter_named() {
        let e = |name: &str, args: &[Value]| from_call(name, args, &Properties::default()).err();
        let msg = |name: &str, xs: &[f64]| e(name, &nums(xs)).map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(msg("RISKTRIANG", &[5.0, 3.0, 6.0]), "triangular: min 5 > mode 3");
        assert_eq!(msg("RISKNORMAL", &[1.0]), "RISKNORMAL takes 2 parameters (mean, std), not 1");
        assert_eq!(msg("PSIEXPONENTIAL", &[-1.0]), "exponential: mean -1 must be > 0");
        assert_eq!(msg("RISKBINOMIAL", &[-3.0, 0.5]), "binomial: n -3 must be a whole number from 0 to 5e8");
        assert_eq!(e("RISKNORMAL", &nums(&[1.0, -2.0])).map(|e| e.error_kind()), Some(ErrorKind::Num));
        let text = [Value::text("abc"), Value::Number(1.0)];
        assert_eq!(e("RISKNORMAL", &text).map(|e| e.error_kind()), Some(ErrorKind::Value));
        let err = [Value::Error(ErrorKind::Div0), Value::Number(1.0)];
        assert_eq!(e("RISKNORMAL", &err).map(|e| e.error_kind()), Some(ErrorKind::Div0));
        let arr = [array(&[1.0, 2.0]), Value::Number(1.0)];
        assert!(e("RISKNORMAL", &arr).is_some_and(|e| e.to_string().contains("mean must be one number")));
        let mismatch = [array(&[1.0, 2.0]), array(&[1.0])];
        assert_eq!(e("RISKDISCRETE", &mismatch).map(|e| e.error_kind()), Some(ErrorKind::Value));
        assert_eq!(e("NOPE", &[]).map(|e| e.error_kind()), Some(ErrorKind::Name));
    }

    #[test]
    fn properties_apply() {
        let normal = Distribution::Normal { mean: 10.0, std: 2.0 };
        let props = Properties {
            name: Some("growth".into()),
            truncate: Some(Truncation { min: Some(8.0), max: None }),
            shift: Some(5.0),
            fixed: Some(7.0),
            ..Properties::default()
        };
        let input = props.apply(normal.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(input.truncate, Some(Truncation { min: Some(8.0), max: None }));
        assert_eq!((input.shift, input.fixed, input.static_value()), (5.0, Some(7.0), 7.0));
        // RiskTruncate2 limits the shifted values; with RiskTruncate, the intersection.
        let props = Properties {
            truncate: Some(Truncation { min: Some(8.0), max: Some(14.0) }),
            truncate_shifted: Some(Truncation { min: None, max: Some(17.0) }),
            shift: Some(5.0),
            ..Properties::default()
        };
        let input = props.apply(normal.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(input.truncate, Some(Truncation { min: Some(8.0), max: Some(12.0) }));
        // RiskTruncateP at the 10th and 90th percentiles.
        let props = Properties {
            truncate_percentiles: Some(Truncation { min: Some(0.1), max: Some(0.9) }),
            ..Properties::default()
        };
        let input = props.apply(normal).unwrap_or_else(|e| panic!("{e}"));
        let t = input.truncate.unwrap_or_default();
        assert!((t.min.unwrap_or(0.0) - (10.0 - 2.0 * 1.281_551_565_544_600_5)).abs() < 1e-12);
        assert!((input.mean() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn split_call_reads_parameters_and_properties() {
        let wb = workbook_from_cells(&[("B1", "10"), ("C1", "1"), ("C2", "2"), ("C3", "3"), ("D1", "growth")]);
        let formula =
            "=RiskNormal(B1, 2, RiskTruncate(0,), RiskName(D1), RiskShift(1), RiskUnits(\"m\"), RiskStatic(3))";
        let Ok(Expr::Call { args, .. }) = parse_formula(formula, SheetId(0), &wb) else { panic!("parse") };
        let mut ev = Evaluator::new(&wb);
        let (params, props) = split_call(&mut ev, &args).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(params, nums(&[10.0, 2.0]));
        assert_eq!(props.name.as_deref(), Some("growth"));
        assert_eq!(props.truncate, Some(Truncation { min: Some(0.0), max: None }));
        assert_eq!((props.shift, props.fixed), (Some(1.0), Some(3.0)));
        assert_eq!(props.ignored, vec!["RISKUNITS".to_owned()]);
        let input = from_call("RISKNORMAL", &params, &props).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(input.shift, 1.0);
        // A range becomes an array; an omitted argument a blank.
        let Ok(Expr::Call { args, .. }) =
            parse_formula("=RiskDiscrete(C1:C3, {1,1,2}, PsiTruncate(,2))", SheetId(0), &wb)
        else {
            panic!("parse")
        };
        let (params, props) = split_call(&mut ev, &args).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(&params[0], Value::Array(a) if a.values().len() == 3));
        assert_eq!(props.truncate, Some(Truncation { min: None, max: Some(2.0) }));
        let input = from_call("RISKDISCRETE", &params, &props).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(input.mean(), 1.5);
        // An error in a property's argument is the call's error.
        let Ok(Expr::Call { args, .. }) = parse_formula("=RiskNormal(1, 2, RiskShift(1/0))", SheetId(0), &wb) else {
            panic!("parse")
        };
        assert_eq!(split_call(&mut ev, &args).err(), Some(ErrorKind::Div0));
    }
}
