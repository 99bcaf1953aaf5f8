//! The syntax tree of a formula, with references bound to sheets and functions to the table.

use std::sync::Arc;

use crate::address::{Area, SheetId};
use crate::functions::FnId;
use crate::value::{Array, ErrorKind};

/// A formula expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number literal.
    Number(f64),
    /// A string literal.
    Text(Arc<str>),
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// An error literal such as `#N/A`, or a reference that cannot be bound (`#REF!`).
    Error(ErrorKind),
    /// An array constant `{1,2;3,4}`.
    Array(Arc<Array>),
    /// An omitted function argument, as in `IF(A1,,2)`.
    Missing,
    /// A reference to a cell or a rectangular area (`B7`, `$A$1:C9`, `A:A`, `3:3`).
    Area(Area),
    /// A reference through several sheets: `Sheet1:Sheet3!A1:B2`.
    Area3d {
        /// First sheet, inclusive.
        first: SheetId,
        /// Last sheet, inclusive.
        last: SheetId,
        /// The area on each sheet (its `sheet` field is `first`).
        area: Area,
    },
    /// A defined name, looked up at evaluation: sheet scope first, then workbook scope.
    Name {
        /// The sheet written before the name (`Sheet1!Rate`), if any.
        sheet: Option<SheetId>,
        /// The name, upper-cased.
        name: Arc<str>,
    },
    /// A prefix or postfix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        expr: Box<Expr>,
    },
    /// A binary operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// A function call.
    Call {
        /// The function.
        callee: Callee,
        /// The arguments as written (omitted ones are [`Expr::Missing`]).
        args: Vec<Expr>,
    },
}

/// Prefix and postfix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x` (no effect on the value)
    Plus,
    /// `x%`
    Percent,
}

/// Binary operators, in the order of Excel's precedence groups (lowest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&`
    Concat,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`
    Pow,
    /// `:` between two reference expressions (`A1:INDEX(...)`)
    Range,
    /// ` ` (a space) between two references: their intersection
    Intersect,
    /// `,` inside parentheses: the union of references
    Union,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Concat => "&",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Range => ":",
            BinaryOp::Intersect => " ",
            BinaryOp::Union => ",",
        }
    }
}

/// What a call calls.
#[derive(Clone, Debug, PartialEq)]
pub enum Callee {
    /// A function of the table.
    Builtin(FnId),
    /// A name that is not a known function: evaluates to `#NAME?` and is listed in the
    /// workbook's summary.
    Unknown(Arc<str>),
}

impl Expr {
    /// Calls `f` on this expression and every sub-expression, parents first, left to right.
    ///
    /// A loop over a stack, not recursion: a chain of thousands of operators (`1+1+…+1`) is a
    /// tree thousands of levels deep.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            match e {
                Expr::Unary { expr, .. } => stack.push(expr),
                Expr::Binary { lhs, rhs, .. } => {
                    stack.push(rhs);
                    stack.push(lhs);
                }
                Expr::Call { args, .. } => stack.extend(args.iter().rev()),
                _ => {}
            }
        }
    }

    /// Does this expression produce a reference (so that it may be an operand of `:`)?
    pub fn is_reference(&self) -> bool {
        match self {
            Expr::Area(_) | Expr::Area3d { .. } | Expr::Name { .. } => true,
            Expr::Binary { op, .. } => {
                matches!(op, BinaryOp::Range | BinaryOp::Intersect | BinaryOp::Union)
            }
            Expr::Call { callee: Callee::Builtin(id), .. } => id.def().returns_reference,
            _ => false,
        }
    }
}
