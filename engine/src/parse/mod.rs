//! Formula parser: text → [`Expr`], with sheets, names and functions bound.
//!
//! # Grammar
//!
//! Operators from the lowest to the highest precedence, as Excel applies them (all binary
//! operators are left-associative, `^` included: `2^3^2` is 64; negation binds tighter than
//! `^`: `-2^2` is 4):
//!
//! ```text
//! formula     = [ "=" ] comparison
//! comparison  = concat { ( "=" | "<>" | "<" | "<=" | ">" | ">=" ) concat }
//! concat      = additive { "&" additive }
//! additive    = term { ( "+" | "-" ) term }
//! term        = power { ( "*" | "/" ) power }
//! power       = percent { "^" percent }
//! percent     = prefix { "%" }
//! prefix      = ( "-" | "+" | "@" ) prefix | reference
//! reference   = primary { ":" primary | SPACE primary | "#" }   (range, intersection, spill)
//! primary     = NUMBER | STRING | BOOL | ERROR | array | "(" union ")" | call | ref | name
//! union       = comparison { "," comparison }                   (a union inside parentheses)
//! call        = FUNCTION "(" [ arg { "," arg } ] ")"          (arg may be empty: IF(A1,,2))
//! array       = "{" row { ";" row } "}" ;  row = const { "," const }
//! const       = [ "-" | "+" ] NUMBER | STRING | BOOL | ERROR
//! ref         = [ prefix "!" ] ( CELL [ ":" CELL ] | COLUMN ":" COLUMN | ROW ":" ROW )
//! prefix      = [ "[" BOOK "]" ] SHEET [ ":" SHEET ]                (3-D: Sheet1:Sheet3!A1)
//! SHEET       = WORD | "'" { CHAR | "''" } "'"
//! CELL        = [ "$" ] LETTERS [ "$" ] DIGITS      (A1 … XFD1048576)
//! COLUMN      = [ "$" ] LETTERS ;  ROW = [ "$" ] DIGITS
//! STRING      = '"' { CHAR | '""' } '"'
//! ERROR       = "#NULL!" | "#DIV/0!" | "#VALUE!" | "#REF!" | "#NAME?" | "#NUM!" | "#N/A" | …
//! FUNCTION    = [ "_xlfn." | "_xlws." | "_xll." ] WORD     (prefixes of newer/add-in functions)
//! ```
//!
//! `@x` is Excel's implicit intersection (stored in files as `_xlfn.SINGLE(x)`), `x#` the spill
//! reference (`_xlfn.ANCHORARRAY(x)`); both parse to calls of those functions.
//!
//! Errors carry the byte offset in the formula text where parsing failed; the workbook loader
//! adds the cell.

mod ast;
mod lexer;

use std::fmt;
use std::sync::Arc;

pub use ast::{BinaryOp, Callee, Expr, UnaryOp};
use lexer::{Tok, Token, tokenize};

use crate::address::{Area, MAX_COLS, MAX_ROWS, SheetId, column_from_letters, parse_a1};
use crate::functions::{self, FnId};
use crate::value::{Array, ErrorKind, Value};

/// A formula that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct ParseError {
    /// Byte offset in the formula text (without the leading `=`).
    pub position: usize,
    /// What went wrong.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> ParseError {
        ParseError { position, message: message.into() }
    }
}

/// What the parser needs to know about the workbook: its sheets.
pub trait SheetLookup {
    /// The sheet with this name (case-insensitive), if any.
    fn sheet_id(&self, name: &str) -> Option<SheetId>;
}

impl SheetLookup for Vec<String> {
    fn sheet_id(&self, name: &str) -> Option<SheetId> {
        self.iter().position(|s| s.eq_ignore_ascii_case(name)).map(|i| SheetId(i as u32))
    }
}

/// Parses a formula written on sheet `sheet` (a leading `=` is allowed).
///
/// A formula longer than [`MAX_FORMULA_CHARS`] (Excel's own limit) is refused with an error at
/// its first character past the limit.
pub fn parse_formula(text: &str, sheet: SheetId, sheets: &dyn SheetLookup) -> Result<Expr, ParseError> {
    let (offset, body) = match text.strip_prefix('=') {
        Some(rest) => (1, rest),
        None => (0, text),
    };
    // Bytes are at least as many as characters: only a long text needs counting.
    if body.len() > MAX_FORMULA_CHARS
        && let Some((past, _)) = body.char_indices().nth(MAX_FORMULA_CHARS)
    {
        return Err(ParseError::new(
            past + offset,
            format!(
                "the formula is longer than {MAX_FORMULA_CHARS} characters (Excel's limit): {} characters",
                body.chars().count()
            ),
        ));
    }
    let toks = tokenize(body).map_err(|e| ParseError::new(e.position + offset, e.message))?;
    let mut p = Parser { toks, i: 0, sheet, sheets, depth: 0 };
    let expr = p.comparison().and_then(|e| {
        if p.peek() == &Tok::End { Ok(e) } else { Err(p.error(format!("unexpected {}", describe(p.peek())))) }
    });
    expr.map_err(|e| ParseError::new(e.position + offset, e.message))
}

/// Normalises a function name as stored in a file: upper case, without the `_xlfn.`, `_xlws.`
/// and `_xll.` prefixes that newer and add-in functions carry.
pub fn normalize_function_name(name: &str) -> String {
    let mut n = name.to_ascii_uppercase();
    loop {
        let before = n.len();
        for prefix in ["_XLFN.", "_XLWS.", "_XLL.", "_XLUDF."] {
            if let Some(rest) = n.strip_prefix(prefix) {
                n = rest.to_owned();
            }
        }
        if n.len() == before {
            return n;
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::End => "end of formula".to_owned(),
        Tok::Number(n) => format!("number {n}"),
        Tok::Text(s) => format!("string \"{s}\""),
        Tok::Word(w) => format!("'{w}'"),
        Tok::QuotedName(w) => format!("'{w}'"),
        other => format!("{other:?}").to_lowercase(),
    }
}

struct Parser<'a> {
    toks: Vec<Token>,
    i: usize,
    sheet: SheetId,
    sheets: &'a dyn SheetLookup,
    /// Open parentheses, function calls, array constants and prefix operators around the
    /// current token: bounded by [`MAX_NESTING`], so no formula can exhaust the stack.
    depth: usize,
}

/// The deepest nesting a formula may have. Excel allows 64 levels of nested functions; this
/// leaves room for parentheses, and stops formulas of thousands of `(` (found by fuzzing) with
/// an error instead of a stack overflow. Postfix operators applied to one operand (`%`, the
/// spill `#`, a call of a call's result `F(1)(2)`) count as levels too: each wraps the
/// expression once more.
pub const MAX_NESTING: usize = 128;

/// The longest formula, in characters, without its leading `=`: Excel's limit (8,192).
///
/// Binary operators are parsed iteratively, so the deepest tree a formula can make is a
/// left-nested chain of one operator (`1+1+…+1`: 4,096 levels at this length). The evaluator
/// ([`crate::eval`]) and the compiler walk such chains in loops, not by recursion, and the
/// remaining recursion (arguments, right operands) is bounded by [`MAX_NESTING`].
pub const MAX_FORMULA_CHARS: usize = 8192;

type PResult = Result<Expr, ParseError>;

/// A word that is a cell (`$B$7`), as zero-based (row, col).
fn as_cell(word: &str) -> Option<(u32, u32)> {
    parse_a1(word)
}

/// A word that is a column (`$AB`).
fn as_column(word: &str) -> Option<u32> {
    let w = word.strip_prefix('$').unwrap_or(word);
    column_from_letters(w)
}

/// A row number written as a word (`$3`) or number token.
fn as_row(tok: &Tok) -> Option<u32> {
    let n = match tok {
        Tok::Number(n) if n.fract() == 0.0 => *n as i64,
        Tok::Word(w) => w.strip_prefix('$')?.parse::<i64>().ok()?,
        _ => return None,
    };
    (1..=i64::from(MAX_ROWS)).contains(&n).then(|| (n - 1) as u32)
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, k: usize) -> &Tok {
        &self.toks[(self.i + k).min(self.toks.len() - 1)].tok
    }

    fn token(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(self.token().pos, message)
    }

    fn expect(&mut self, t: &Tok, what: &str) -> Result<(), ParseError> {
        if self.peek() == t {
            self.bump();
            Ok(())
        } else {
            Err(self.error(format!("expected {what}, found {}", describe(self.peek()))))
        }
    }

    fn binary_level(&mut self, next: fn(&mut Self) -> PResult, op_of: fn(&Tok) -> Option<BinaryOp>) -> PResult {
        let mut lhs = next(self)?;
        while let Some(op) = op_of(self.peek()) {
            self.bump();
            let rhs = next(self)?;
            lhs = Expr::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) };
        }
        Ok(lhs)
    }

    /// `f` one nesting level deeper, or an error past [`MAX_NESTING`].
    fn nested(&mut self, f: impl FnOnce(&mut Self) -> PResult) -> PResult {
        if self.depth >= MAX_NESTING {
            return Err(self.error(format!("the formula is nested more than {MAX_NESTING} levels deep")));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn comparison(&mut self) -> PResult {
        self.nested(Self::comparison_level)
    }

    fn comparison_level(&mut self) -> PResult {
        self.binary_level(Self::concat, |t| match t {
            Tok::Eq => Some(BinaryOp::Eq),
            Tok::Ne => Some(BinaryOp::Ne),
            Tok::Lt => Some(BinaryOp::Lt),
            Tok::Le => Some(BinaryOp::Le),
            Tok::Gt => Some(BinaryOp::Gt),
            Tok::Ge => Some(BinaryOp::Ge),
            _ => None,
        })
    }

    fn concat(&mut self) -> PResult {
        self.binary_level(Self::additive, |t| (t == &Tok::Amp).then_some(BinaryOp::Concat))
    }

    fn additive(&mut self) -> PResult {
        self.binary_level(Self::term, |t| match t {
            Tok::Plus => Some(BinaryOp::Add),
            Tok::Minus => Some(BinaryOp::Sub),
            _ => None,
        })
    }

    fn term(&mut self) -> PResult {
        self.binary_level(Self::power, |t| match t {
            Tok::Star => Some(BinaryOp::Mul),
            Tok::Slash => Some(BinaryOp::Div),
            _ => None,
        })
    }

    fn power(&mut self) -> PResult {
        self.binary_level(Self::percent, |t| (t == &Tok::Caret).then_some(BinaryOp::Pow))
    }

    /// Counts one more postfix operator applied to the same operand (`%`, `#`, a call of a
    /// result) against [`MAX_NESTING`]; `wraps` is how many that operand has had so far.
    fn postfix(&self, wraps: &mut usize) -> Result<(), ParseError> {
        if self.depth + *wraps >= MAX_NESTING {
            return Err(self.error(format!("the formula is nested more than {MAX_NESTING} levels deep")));
        }
        *wraps += 1;
        Ok(())
    }

    fn percent(&mut self) -> PResult {
        let mut e = self.prefix()?;
        let mut wraps = 0;
        while self.peek() == &Tok::Percent {
            self.postfix(&mut wraps)?;
            self.bump();
            e = Expr::Unary { op: UnaryOp::Percent, expr: Box::new(e) };
        }
        Ok(e)
    }

    fn prefix(&mut self) -> PResult {
        match self.peek() {
            Tok::Minus => {
                self.bump();
                let e = self.nested(Self::prefix)?;
                Ok(Expr::Unary { op: UnaryOp::Neg, expr: Box::new(e) })
            }
            Tok::Plus => {
                self.bump();
                let e = self.nested(Self::prefix)?;
                Ok(Expr::Unary { op: UnaryOp::Plus, expr: Box::new(e) })
            }
            Tok::At => {
                let pos = self.token().pos;
                self.bump();
                let e = self.nested(Self::prefix)?;
                self.builtin_call("SINGLE", vec![e], pos)
            }
            _ => self.reference(),
        }
    }

    fn starts_primary(t: &Tok) -> bool {
        matches!(t, Tok::Word(_) | Tok::QuotedName(_) | Tok::Book(_) | Tok::LParen)
    }

    fn reference(&mut self) -> PResult {
        let mut lhs = self.primary()?;
        let mut wraps = 0;
        loop {
            match self.peek() {
                Tok::Colon => {
                    self.bump();
                    let rhs = self.primary()?;
                    lhs = Expr::Binary { op: BinaryOp::Range, lhs: Box::new(lhs), rhs: Box::new(rhs) };
                }
                Tok::Hash if !self.token().space_before => {
                    self.postfix(&mut wraps)?;
                    let pos = self.token().pos;
                    self.bump();
                    lhs = self.builtin_call("ANCHORARRAY", vec![lhs], pos)?;
                }
                t if Self::starts_primary(t) && self.token().space_before && lhs.is_reference() => {
                    let rhs = self.primary()?;
                    lhs = Expr::Binary { op: BinaryOp::Intersect, lhs: Box::new(lhs), rhs: Box::new(rhs) };
                }
                _ => return Ok(lhs),
            }
        }
    }

    fn builtin_call(&self, name: &str, args: Vec<Expr>, pos: usize) -> PResult {
        let id = functions::lookup(name)
            .ok_or_else(|| ParseError::new(pos, format!("internal: function {name} missing")))?;
        Ok(Expr::Call { callee: Callee::Builtin(id), args })
    }

    fn primary(&mut self) -> PResult {
        let pos = self.token().pos;
        match self.peek().clone() {
            Tok::Number(n) => {
                // A row range such as 1:3.
                if self.peek_at(1) == &Tok::Colon
                    && let (Some(r1), Some(r2)) = (as_row(self.peek()), as_row(self.peek_at(2)))
                {
                    self.i += 3;
                    return Ok(Expr::Area(Area::new(self.sheet, r1, 0, r2, MAX_COLS - 1)));
                }
                self.bump();
                Ok(Expr::Number(n))
            }
            Tok::Text(s) => {
                self.bump();
                Ok(Expr::Text(Arc::from(s)))
            }
            Tok::Error(e) => {
                self.bump();
                Ok(Expr::Error(e))
            }
            Tok::LParen => {
                self.bump();
                let mut e = self.comparison()?;
                while self.peek() == &Tok::Comma {
                    self.bump();
                    let rhs = self.comparison()?;
                    e = Expr::Binary { op: BinaryOp::Union, lhs: Box::new(e), rhs: Box::new(rhs) };
                }
                self.expect(&Tok::RParen, "')'")?;
                Ok(e)
            }
            Tok::LBrace => self.array_constant(),
            Tok::Word(_) | Tok::QuotedName(_) | Tok::Book(_) => self.word(),
            Tok::Minus | Tok::Plus | Tok::At => self.prefix(),
            other => Err(ParseError::new(pos, format!("unexpected {}", describe(&other)))),
        }
    }

    /// Resolves a sheet prefix if the tokens at the cursor form one (`Sheet1!`, `'A b'!`,
    /// `Sheet1:Sheet3!`, `[1]Sheet1!`). Returns `Ok(None)` when there is no prefix.
    fn sheet_prefix(&mut self) -> Result<Option<SheetTarget>, ParseError> {
        let start = self.i;
        let pos = self.token().pos;
        let external = if let Tok::Book(_) = self.peek() {
            self.bump();
            true
        } else {
            false
        };
        let name_tok = |t: &Tok| match t {
            Tok::Word(w) | Tok::QuotedName(w) => Some(w.clone()),
            _ => None,
        };
        let Some(first) = name_tok(self.peek()) else {
            if external && self.peek() == &Tok::Bang {
                // [1]!Name: a name in another workbook.
                self.bump();
                return Ok(Some(SheetTarget::External));
            }
            self.i = start;
            return Ok(None);
        };
        let (last, len) = if self.peek_at(1) == &Tok::Colon
            && self.peek_at(3) == &Tok::Bang
            && let Some(l) = name_tok(self.peek_at(2))
        {
            (Some(l), 4)
        } else if self.peek_at(1) == &Tok::Bang {
            (None, 2)
        } else {
            self.i = start;
            return Ok(None);
        };
        self.i += len;
        if external {
            return Ok(Some(SheetTarget::External));
        }
        let resolve = |n: &str| self.sheets.sheet_id(n);
        let target = match last {
            Some(l) => match (resolve(&first), resolve(&l)) {
                (Some(a), Some(b)) => SheetTarget::Sheets(a.min(b), a.max(b)),
                _ => SheetTarget::Missing,
            },
            None => match resolve(&first) {
                Some(id) => SheetTarget::Sheet(id),
                // 'Sheet1:Sheet3'!A1 written as one quoted name.
                None => match first.split_once(':').map(|(a, b)| (resolve(a), resolve(b))) {
                    Some((Some(a), Some(b))) => SheetTarget::Sheets(a.min(b), a.max(b)),
                    _ => SheetTarget::Missing,
                },
            },
        };
        let _ = pos;
        Ok(Some(target))
    }

    fn word(&mut self) -> PResult {
        let prefix = self.sheet_prefix()?;
        let pos = self.token().pos;
        let sheet = match prefix {
            None | Some(SheetTarget::External | SheetTarget::Missing) => self.sheet,
            Some(SheetTarget::Sheet(s) | SheetTarget::Sheets(s, _)) => s,
        };
        // Sheet1!#REF! appears where a reference was deleted.
        if prefix.is_some()
            && let Tok::Error(e) = self.peek()
        {
            let e = *e;
            self.bump();
            return Ok(Expr::Error(e));
        }
        // A row range after a sheet prefix: Sheet1!1:3 or Sheet1!$1:$3.
        if prefix.is_some()
            && self.peek_at(1) == &Tok::Colon
            && let (Some(r1), Some(r2)) = (as_row(self.peek()), as_row(self.peek_at(2)))
        {
            self.i += 3;
            return Ok(bind_area(prefix, Area::new(sheet, r1, 0, r2, MAX_COLS - 1)));
        }
        let word = match self.bump() {
            Tok::Word(w) => w,
            other => return Err(ParseError::new(pos, format!("expected a reference, found {}", describe(&other)))),
        };
        // Function call.
        if self.peek() == &Tok::LParen && prefix.is_none() {
            return self.call(&word, pos);
        }
        // Row range written with $: $1:$3.
        if self.peek() == &Tok::Colon
            && let (Some(r1), Some(r2)) = (as_row(&Tok::Word(word.clone())), as_row(self.peek_at(1)))
        {
            self.i += 2;
            return Ok(bind_area(prefix, Area::new(sheet, r1, 0, r2, MAX_COLS - 1)));
        }
        if let Some((r1, c1)) = as_cell(&word) {
            // A1:B2 (the second corner may repeat the same sheet prefix).
            if self.peek() == &Tok::Colon {
                let save = self.i;
                self.bump();
                let _ = self.sheet_prefix()?;
                if let Tok::Word(w2) = self.peek()
                    && let Some((r2, c2)) = as_cell(w2)
                    && self.peek_at(1) != &Tok::LParen
                {
                    self.bump();
                    return Ok(bind_area(prefix, Area::new(sheet, r1, c1, r2, c2)));
                }
                self.i = save;
            }
            return Ok(bind_area(prefix, Area::new(sheet, r1, c1, r1, c1)));
        }
        if let Some(c1) = as_column(&word)
            && self.peek() == &Tok::Colon
            && let Tok::Word(w2) = self.peek_at(1)
            && let Some(c2) = as_column(w2)
        {
            self.i += 2;
            return Ok(bind_area(prefix, Area::new(sheet, 0, c1, MAX_ROWS - 1, c2)));
        }
        if prefix.is_none() {
            if word.eq_ignore_ascii_case("TRUE") {
                return Ok(Expr::Bool(true));
            }
            if word.eq_ignore_ascii_case("FALSE") {
                return Ok(Expr::Bool(false));
            }
        }
        if word.contains('[') {
            return Err(ParseError::new(pos, "structured (table) references are not supported"));
        }
        match prefix {
            Some(SheetTarget::External | SheetTarget::Missing) => Ok(Expr::Error(ErrorKind::Ref)),
            Some(SheetTarget::Sheet(s) | SheetTarget::Sheets(s, _)) => {
                Ok(Expr::Name { sheet: Some(s), name: Arc::from(word.to_uppercase()) })
            }
            None => Ok(Expr::Name { sheet: None, name: Arc::from(word.to_uppercase()) }),
        }
    }

    /// A parenthesised argument list (an argument may be empty: `IF(A1,,2)`).
    fn arguments(&mut self, what: &str) -> Result<Vec<Expr>, ParseError> {
        self.expect(&Tok::LParen, "'('")?;
        let mut args = Vec::new();
        if self.peek() == &Tok::RParen {
            self.bump();
            return Ok(args);
        }
        loop {
            let arg = if matches!(self.peek(), Tok::Comma | Tok::RParen) { Expr::Missing } else { self.comparison()? };
            args.push(arg);
            match self.bump() {
                Tok::Comma => continue,
                Tok::RParen => return Ok(args),
                other => {
                    return Err(self
                        .error(format!("expected ',' or ')' in the arguments of {what}, found {}", describe(&other))));
                }
            }
        }
    }

    fn call(&mut self, word: &str, pos: usize) -> PResult {
        let args = self.arguments(word)?;
        let name = normalize_function_name(word);
        let mut call = match functions::lookup(&name) {
            Some(id) => {
                check_arity(id, args.len(), pos)?;
                Expr::Call { callee: Callee::Builtin(id), args }
            }
            None => Expr::Call { callee: Callee::Unknown(Arc::from(name)), args },
        };
        // A call of the result: `LAMBDA(x, x+1)(5)` applies the lambda to 5.
        let mut wraps = 0;
        while self.peek() == &Tok::LParen && !self.token().space_before {
            self.postfix(&mut wraps)?;
            let pos = self.token().pos;
            let mut args = vec![call];
            args.extend(self.arguments("a lambda")?);
            call = self.builtin_call("APPLY", args, pos)?;
        }
        Ok(call)
    }

    fn array_constant(&mut self) -> PResult {
        self.expect(&Tok::LBrace, "'{'")?;
        let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
        loop {
            let pos = self.token().pos;
            let sign = match self.peek() {
                Tok::Minus => {
                    self.bump();
                    -1.0
                }
                Tok::Plus => {
                    self.bump();
                    1.0
                }
                _ => 0.0,
            };
            let v = match self.bump() {
                Tok::Number(n) => Value::Number(if sign < 0.0 { -n } else { n }),
                Tok::Text(s) if sign == 0.0 => Value::from(s),
                Tok::Error(e) if sign == 0.0 => Value::Error(e),
                Tok::Word(w) if sign == 0.0 && w.eq_ignore_ascii_case("TRUE") => Value::Bool(true),
                Tok::Word(w) if sign == 0.0 && w.eq_ignore_ascii_case("FALSE") => Value::Bool(false),
                other => {
                    return Err(ParseError::new(
                        pos,
                        format!("array constants hold only constants, found {}", describe(&other)),
                    ));
                }
            };
            if let Some(row) = rows.last_mut() {
                row.push(v);
            }
            match self.bump() {
                Tok::Comma => {}
                Tok::Semicolon => rows.push(Vec::new()),
                Tok::RBrace => break,
                other => return Err(self.error(format!("expected ',', ';' or '}}', found {}", describe(&other)))),
            }
        }
        Array::from_rows(rows)
            .map(|a| Expr::Array(Arc::new(a)))
            .ok_or_else(|| self.error("array constant rows have different lengths"))
    }
}

fn check_arity(id: FnId, n: usize, pos: usize) -> Result<(), ParseError> {
    let def = id.def();
    let (min, max) = (usize::from(def.min_args), usize::from(def.max_args));
    if n < min || n > max {
        let expected = if min == max {
            format!("{min}")
        } else if def.max_args == u8::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(ParseError::new(pos, format!("{} takes {expected} arguments, got {n}", def.name)));
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum SheetTarget {
    Sheet(SheetId),
    Sheets(SheetId, SheetId),
    External,
    Missing,
}

fn bind_area(prefix: Option<SheetTarget>, area: Area) -> Expr {
    match prefix {
        Some(SheetTarget::Sheets(first, last)) if first != last => Expr::Area3d { first, last, area },
        Some(SheetTarget::External | SheetTarget::Missing) => Expr::Error(ErrorKind::Ref),
        _ => Expr::Area(area),
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) => write!(f, "{}", crate::value::format_general(*n)),
            Expr::Text(s) => write!(f, "\"{}\"", s.replace('"', "\"\"")),
            Expr::Bool(b) => write!(f, "{}", if *b { "TRUE" } else { "FALSE" }),
            Expr::Error(e) => write!(f, "{e}"),
            Expr::Array(a) => write!(f, "{{array {}x{}}}", a.rows(), a.cols()),
            Expr::Missing => Ok(()),
            Expr::Area(a) => write!(f, "#{}!{}", a.sheet.0, a.a1()),
            Expr::Area3d { first, last, area } => write!(f, "#{}:#{}!{}", first.0, last.0, area.a1()),
            Expr::Name { name, .. } => write!(f, "{name}"),
            Expr::Unary { op: UnaryOp::Percent, expr } => write!(f, "({expr})%"),
            Expr::Unary { op: UnaryOp::Neg, expr } => write!(f, "-({expr})"),
            Expr::Unary { op: UnaryOp::Plus, expr } => write!(f, "+({expr})"),
            Expr::Binary { op, lhs, rhs } => write!(f, "({lhs}{}{rhs})", op.symbol()),
            Expr::Call { callee, args } => {
                match callee {
                    Callee::Builtin(id) => write!(f, "{}(", id.def().name)?,
                    Callee::Unknown(n) => write!(f, "{n}(")?,
                }
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheets() -> Vec<String> {
        vec!["Sheet1".into(), "My Sheet".into(), "Data".into()]
    }

    fn p(text: &str) -> String {
        match parse_formula(text, SheetId(0), &sheets()) {
            Ok(e) => e.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn precedence_follows_excel() {
        assert_eq!(p("=-2^2"), "(-(2)^2)");
        assert_eq!(p("=2^3^2"), "((2^3)^2)");
        assert_eq!(p("=1+2*3"), "(1+(2*3))");
        assert_eq!(p("=1&2=\"12\""), "((1&2)=\"12\")");
        assert_eq!(p("=-5%"), "(-(5))%");
        assert_eq!(p("=2*50%^2"), "(2*((50)%^2))");
        assert_eq!(p("=1<>2"), "(1<>2)");
    }

    #[test]
    fn references_bind_to_sheets() {
        assert_eq!(p("=A1"), "#0!A1");
        assert_eq!(p("=$A$1:B$9"), "#0!A1:B9");
        assert_eq!(p("='My Sheet'!A1:B9"), "#1!A1:B9");
        assert_eq!(p("=Data!C:C"), "#2!C1:C1048576");
        assert_eq!(p("=SUM(3:3)"), "SUM(#0!A3:XFD3)");
        assert_eq!(p("=Sheet1:Data!A1"), "#0:#2!A1");
        assert_eq!(p("=Nope!A1"), "#REF!");
        assert_eq!(p("=[1]Sheet1!A1"), "#REF!");
        assert_eq!(p("=Rate*2"), "(RATE*2)");
        assert_eq!(p("=Data!Rate"), "RATE");
        assert_eq!(p("=A1:INDEX(B:B,2)"), "(#0!A1:INDEX(#0!B1:B1048576,2))");
        assert_eq!(p("=A1:C3 B2:D4"), "(#0!A1:C3 #0!B2:D4)");
        assert_eq!(p("=SUM((A1,B2))"), "SUM((#0!A1,#0!B2))");
        assert_eq!(p("=A1#"), "ANCHORARRAY(#0!A1)");
        assert_eq!(p("=@A1:A3"), "SINGLE(#0!A1:A3)");
    }

    #[test]
    fn literals_and_calls() {
        assert_eq!(p("={1,2;3,-4}"), "{array 2x2}");
        assert_eq!(p("=IF(A1,,2)"), "IF(#0!A1,,2)");
        assert_eq!(p("=_xlfn.NORM.S.INV(0.5)"), "NORM.S.INV(0.5)");
        assert_eq!(p("=sum(1,TRUE,\"a\"\"b\",#N/A)"), "SUM(1,TRUE,\"a\"\"b\",#N/A)");
        assert_eq!(p("=FOO(1)"), "FOO(1)");
        assert_eq!(p("=LOG10(100)"), "LOG10(100)");
        assert_eq!(p("=_xlfn.LAMBDA(_xlpm.x,_xlpm.x+1)(5)"), "APPLY(LAMBDA(_XLPM.X,(_XLPM.X+1)),5)");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let sheets = vec!["S".to_owned()];
        let ok = format!("={}1{}", "(".repeat(100), ")".repeat(100));
        assert!(parse_formula(&ok, SheetId(0), &sheets).is_ok());
        for deep in [
            // (Within the length limit, which alone would refuse longer ones.)
            format!("={}1{}", "(".repeat(4000), ")".repeat(4000)),
            format!("={}1", "-".repeat(5000)),
            format!("={}1{}", "SUM(".repeat(1500), ")".repeat(1500)),
            // Postfix operators wrap their operand once each.
            format!("=1{}", "%".repeat(5000)),
            format!("=A1{}", "#".repeat(5000)),
            format!("=LAMBDA(x,x){}", "(1)".repeat(2000)),
        ] {
            let Err(e) = parse_formula(&deep, SheetId(0), &sheets) else {
                panic!("{}…: parsed, but it is nested too deep", &deep[..20]);
            };
            assert!(e.message.contains("nested more than"), "{}", e.message);
        }
    }

    #[test]
    fn postfix_operators_count_as_nesting() {
        let sheets = vec!["S".to_owned()];
        let ok = |t: &str| parse_formula(t, SheetId(0), &sheets).is_ok();
        assert!(ok(&format!("=1{}", "%".repeat(MAX_NESTING - 1))));
        assert!(!ok(&format!("=1{}", "%".repeat(MAX_NESTING))));
        // Per operand: many operands with a few each are fine.
        assert!(ok(&"+1%%".repeat(1000)));
        assert!(ok("=LAMBDA(x,LAMBDA(y,x+y))(1)(2)"));
        assert!(ok("=SUM(A1#)"));
    }

    #[test]
    fn formulas_longer_than_excel_allows_are_refused() {
        let sheets = vec!["S".to_owned()];
        let longest = format!("=10{}", "+1".repeat((MAX_FORMULA_CHARS - 2) / 2));
        assert_eq!(longest.len(), MAX_FORMULA_CHARS + 1, "8,192 characters after the =");
        assert!(parse_formula(&longest, SheetId(0), &sheets).is_ok());
        assert!(parse_formula(&longest[1..], SheetId(0), &sheets).is_ok(), "without the =");
        let e = parse_formula(&format!("{longest}1"), SheetId(0), &sheets).expect_err("one character too many");
        assert_eq!(e.position, 1 + MAX_FORMULA_CHARS);
        assert!(e.message.contains("longer than 8192 characters (Excel's limit): 8193 characters"), "{}", e.message);
        // Characters, not bytes: 8,190 two-byte characters in a string are 8,192 characters.
        let text = format!("=\"{}\"", "é".repeat(MAX_FORMULA_CHARS - 2));
        assert!(text.len() > 2 * MAX_FORMULA_CHARS - 8, "more bytes than the limit");
        assert!(parse_formula(&text, SheetId(0), &sheets).is_ok());
        let e = parse_formula(&format!("{text}&1"), SheetId(0), &sheets).expect_err("too long");
        assert!(e.position <= text.len() + 2);
    }

    #[test]
    fn errors_carry_position() {
        let e = parse_formula("=1+", SheetId(0), &sheets()).err();
        assert_eq!(e.map(|e| e.position), Some(3));
        let e = parse_formula("=SUM(1,2", SheetId(0), &sheets()).err();
        assert!(e.is_some_and(|e| e.message.contains("expected ',' or ')'")));
        let e = parse_formula("=ABS(1,2)", SheetId(0), &sheets()).err();
        assert!(e.is_some_and(|e| e.message.contains("ABS takes 1 arguments")));
        let e = parse_formula("={1,2;3}", SheetId(0), &sheets()).err();
        assert!(e.is_some());
    }
}
