//! Evaluator tests on small workbooks built in memory.

use crate::recalc::recalculate;
use crate::value::{ErrorKind, Value};
use crate::workbook::workbook_from_cells;

use crate::testing::eval_formula as eval_with;

fn num(formula: &str) -> f64 {
    match eval_with(formula, &[]) {
        Value::Number(n) => n,
        other => panic!("{formula} gave {other:?}"),
    }
}

#[test]
fn arithmetic_and_precedence() {
    assert_eq!(num("=1+2*3"), 7.0);
    assert_eq!(num("=-2^2"), 4.0);
    assert_eq!(num("=2^3^2"), 64.0);
    assert_eq!(num("=50%"), 0.5);
    assert_eq!(num("=\"3\"+1"), 4.0);
    assert_eq!(num("=TRUE+1"), 2.0);
    assert_eq!(eval_with("=1/0", &[]), Value::Error(ErrorKind::Div0));
    assert_eq!(eval_with("=\"a\"+1", &[]), Value::Error(ErrorKind::Value));
    assert_eq!(eval_with("=(-8)^0.5", &[]), Value::Error(ErrorKind::Num));
}

#[test]
fn comparisons_use_excel_rules() {
    assert_eq!(eval_with("=0.1+0.2=0.3", &[]), Value::Bool(true));
    assert_eq!(eval_with("=\"a\"=\"A\"", &[]), Value::Bool(true));
    assert_eq!(eval_with("=\"a\"<>\"b\"", &[]), Value::Bool(true));
    assert_eq!(eval_with("=1<\"a\"", &[]), Value::Bool(true));
    assert_eq!(eval_with("=B1=0", &[]), Value::Bool(true));
    assert_eq!(eval_with("=1&2", &[]), Value::from("12"));
}

#[test]
fn if_is_lazy_and_errors_travel() {
    assert_eq!(num("=IF(TRUE,1,1/0)"), 1.0);
    assert_eq!(num("=IFERROR(1/0,7)"), 7.0);
    assert_eq!(eval_with("=IFNA(1/0,7)", &[]), Value::Error(ErrorKind::Div0));
    assert_eq!(num("=CHOOSE(2,1/0,5)"), 5.0);
    assert_eq!(eval_with("=NOSUCHFN(1)", &[]), Value::Error(ErrorKind::Name));
}

#[test]
fn implicit_intersection_and_blanks() {
    // A formula in row 2 reading a column range takes the value of row 2.
    let wb = workbook_from_cells(&[("C1", "10"), ("C2", "20"), ("C3", "30"), ("A2", "=C1:C3*2")]);
    let r = recalculate(&wb).unwrap_or_default();
    assert_eq!(r.cells[0].value, Value::Number(40.0));
    // A formula returning an empty cell shows 0.
    assert_eq!(num("=B5"), 0.0);
}

#[test]
fn circular_references_are_reported_with_their_cells() {
    let wb = workbook_from_cells(&[("A1", "=B1+1"), ("B1", "=C1"), ("C1", "=A1")]);
    let err = recalculate(&wb).err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("circular reference: Sheet1!A1 → Sheet1!B1 → Sheet1!C1 → Sheet1!A1"));
}

#[test]
fn a_reference_to_itself_in_a_branch_not_taken_is_not_circular() {
    // Excel computes this (the corpus's CHOOSE.xlsx has it).
    assert_eq!(eval_with("=CHOOSE(2,A1,\"not a cycle\")", &[]), Value::from("not a cycle"));
    assert_eq!(eval_with("=IF(FALSE,B1,7)", &[("B1", "=A1+1")]), Value::Number(7.0));
}

#[test]
fn let_and_lambda() {
    assert_eq!(num("=LET(x,2,y,x*3,x+y)"), 8.0);
    assert_eq!(num("=LAMBDA(x,y,x*y)(6,7)"), 42.0);
    assert_eq!(num("=LET(f,LAMBDA(x,x+1),f(f(1)))"), 3.0);
    // A lambda captures the names in scope where it is made.
    assert_eq!(num("=LET(k,10,f,LAMBDA(x,x*k),LET(k,0,f(2)))"), 20.0);
    assert_eq!(eval_with("=LAMBDA(x,y,IF(ISOMITTED(y),\"one\",\"two\"))(1,)", &[]), Value::from("one"));
    assert_eq!(num("=REDUCE(0,{1,2,3},LAMBDA(a,v,a+v*v))"), 14.0);
    assert_eq!(num("=SUM(MAP({1,2,3},LAMBDA(v,v*10)))"), 60.0);
    assert_eq!(num("=SUM(MAKEARRAY(2,3,LAMBDA(r,c,r*c)))"), 18.0);
    assert_eq!(num("=INDEX(SCAN(0,{1,2,3},LAMBDA(a,v,a+v)),3)"), 6.0);
    assert_eq!(num("=SUM(BYROW({1,2;3,4},LAMBDA(r,MAX(r))))"), 6.0);
    // A lambda not called is #CALC!; too many arguments #VALUE!.
    assert_eq!(eval_with("=LAMBDA(x,x)", &[]), Value::Error(ErrorKind::Calc));
    assert_eq!(eval_with("=LAMBDA(x,x)(1,2)", &[]), Value::Error(ErrorKind::Value));
}

#[test]
fn concatenation_longer_than_a_cell_holds_is_value_error() {
    // 32,767 characters is the most a cell holds; `&` past it gives #VALUE! (as CONCAT does).
    assert_eq!(num("=LEN(REPT(\"a\",16000)&REPT(\"b\",16767))"), 32_767.0);
    assert_eq!(eval_with("=REPT(\"a\",16000)&REPT(\"b\",16768)", &[]), Value::Error(ErrorKind::Value));
    // Counted in UTF-16 units, as Excel counts: 20,000 two-byte characters fit.
    assert_eq!(num("=LEN(REPT(\"é\",20000)&REPT(\"é\",12767))"), 32_767.0);
}
