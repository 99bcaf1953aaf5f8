//! Splits formula text into tokens. Whitespace is not a token, but every token records whether
//! whitespace preceded it, because a space between two references is Excel's intersection
//! operator.

use super::ParseError;
use crate::value::ErrorKind;

/// A token kind.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// A number literal (no sign).
    Number(f64),
    /// A string literal, quotes removed and `""` unescaped.
    Text(String),
    /// An error literal.
    Error(ErrorKind),
    /// A word: cell reference, column, `$`-row, name, function name, sheet name, TRUE/FALSE.
    Word(String),
    /// A quoted sheet name `'My Sheet'` (quotes removed, `''` unescaped).
    QuotedName(String),
    /// `[1]`: an external workbook index.
    Book(String),
    Bang,
    Colon,
    Comma,
    Semicolon,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Amp,
    Percent,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    At,
    Hash,
    End,
}

/// A token with its position (byte offset in the formula text).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
    pub(crate) space_before: bool,
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '\\' || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '\\' || c == '$' || c == '?'
}

/// Tokenizes a formula (without its leading `=`).
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut space_before = false;
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let pos_of = |i: usize| chars.get(i).map_or(text.len(), |&(p, _)| p);
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            space_before = true;
            i += 1;
            continue;
        }
        let simple = match c {
            '!' => Some(Tok::Bang),
            ':' => Some(Tok::Colon),
            ',' => Some(Tok::Comma),
            ';' => Some(Tok::Semicolon),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '{' => Some(Tok::LBrace),
            '}' => Some(Tok::RBrace),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            '^' => Some(Tok::Caret),
            '&' => Some(Tok::Amp),
            '%' => Some(Tok::Percent),
            '=' => Some(Tok::Eq),
            '@' => Some(Tok::At),
            _ => None,
        };
        let (tok, next) = if let Some(tok) = simple {
            (tok, i + 1)
        } else {
            match c {
                '<' => match at(i + 1) {
                    Some('>') => (Tok::Ne, i + 2),
                    Some('=') => (Tok::Le, i + 2),
                    _ => (Tok::Lt, i + 1),
                },
                '>' => match at(i + 1) {
                    Some('=') => (Tok::Ge, i + 2),
                    _ => (Tok::Gt, i + 1),
                },
                '"' => {
                    let mut s = String::new();
                    let mut j = i + 1;
                    loop {
                        match at(j) {
                            None => return Err(ParseError::new(pos, "unterminated string")),
                            Some('"') if at(j + 1) == Some('"') => {
                                s.push('"');
                                j += 2;
                            }
                            Some('"') => break,
                            Some(ch) => {
                                s.push(ch);
                                j += 1;
                            }
                        }
                    }
                    (Tok::Text(s), j + 1)
                }
                '\'' => {
                    let mut s = String::new();
                    let mut j = i + 1;
                    loop {
                        match at(j) {
                            None => return Err(ParseError::new(pos, "unterminated quoted name")),
                            Some('\'') if at(j + 1) == Some('\'') => {
                                s.push('\'');
                                j += 2;
                            }
                            Some('\'') => break,
                            Some(ch) => {
                                s.push(ch);
                                j += 1;
                            }
                        }
                    }
                    (Tok::QuotedName(s), j + 1)
                }
                '[' => {
                    let mut j = i + 1;
                    while at(j).is_some_and(|ch| ch != ']') {
                        j += 1;
                    }
                    if at(j).is_none() {
                        return Err(ParseError::new(pos, "unterminated '['"));
                    }
                    (Tok::Book(text[pos_of(i + 1)..pos_of(j)].to_owned()), j + 1)
                }
                '#' => {
                    // An error literal, or the spill operator after a reference.
                    let rest = &text[pos..];
                    let upper = rest.to_ascii_uppercase();
                    let found = ErrorKind::ALL
                        .iter()
                        .map(|e| (*e, e.as_str()))
                        .chain([(ErrorKind::GettingData, "#DATA!")])
                        .filter(|(_, lit)| upper.starts_with(lit))
                        .max_by_key(|(_, lit)| lit.len());
                    match found {
                        Some((e, lit)) => {
                            let end = pos + lit.len();
                            let j = chars.iter().position(|&(p, _)| p >= end).unwrap_or(chars.len());
                            (Tok::Error(e), j)
                        }
                        None => (Tok::Hash, i + 1),
                    }
                }
                _ if c.is_ascii_digit() || (c == '.' && at(i + 1).is_some_and(|d| d.is_ascii_digit())) => {
                    let mut j = i;
                    while at(j).is_some_and(|d| d.is_ascii_digit() || d == '.') {
                        j += 1;
                    }
                    // Exponent: e/E, optional sign, digits.
                    if matches!(at(j), Some('e' | 'E')) {
                        let mut k = j + 1;
                        if matches!(at(k), Some('+' | '-')) {
                            k += 1;
                        }
                        if at(k).is_some_and(|d| d.is_ascii_digit()) {
                            while at(k).is_some_and(|d| d.is_ascii_digit()) {
                                k += 1;
                            }
                            j = k;
                        }
                    }
                    // A digit run followed by letters is a word (a sheet name like 2020Data,
                    // or a name); numbers never continue with letters.
                    if at(j).is_some_and(|d| is_word_char(d) && d != '.') {
                        let mut k = j;
                        while at(k).is_some_and(is_word_char) {
                            k += 1;
                        }
                        (Tok::Word(text[pos..pos_of(k)].to_owned()), k)
                    } else {
                        let lit = &text[pos..pos_of(j)];
                        let n: f64 = lit.parse().map_err(|_| ParseError::new(pos, format!("bad number '{lit}'")))?;
                        (Tok::Number(n), j)
                    }
                }
                _ if is_word_start(c) => {
                    let mut j = i + 1;
                    while at(j).is_some_and(is_word_char) {
                        j += 1;
                    }
                    (Tok::Word(text[pos..pos_of(j)].to_owned()), j)
                }
                _ => return Err(ParseError::new(pos, format!("unexpected character '{c}'"))),
            }
        };
        out.push(Token { tok, pos, space_before });
        space_before = false;
        i = next;
    }
    out.push(Token { tok: Tok::End, pos: text.len(), space_before });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap_or_default().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_operators_and_literals() {
        assert_eq!(
            toks("1.5e3<>\"a\"\"b\"&#N/A"),
            vec![Tok::Number(1500.0), Tok::Ne, Tok::Text("a\"b".into()), Tok::Amp, Tok::Error(ErrorKind::NA), Tok::End]
        );
        assert_eq!(
            toks("'My Sheet'!$A$1"),
            vec![Tok::QuotedName("My Sheet".into()), Tok::Bang, Tok::Word("$A$1".into()), Tok::End]
        );
        assert_eq!(toks("A1#"), vec![Tok::Word("A1".into()), Tok::Hash, Tok::End]);
        assert!(tokenize("\"open").is_err());
    }
}
