//! Tokens of the expression language, each with the span of characters it came from.

use std::fmt;

/// Characters `start..end` of the expression, counted in `char`s from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// Returns the 1-based column of the first character, as error messages report it.
    pub fn column(self) -> usize {
        self.start + 1
    }

    /// Returns the span from the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}

/// A lexing, parsing or name-resolution error at a span of the expression.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

impl SyntaxError {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        SyntaxError {
            span,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    Number(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LeftParen,
    RightParen,
    Comma,
    End,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKind::Number(value) => write!(f, "the number `{value}`"),
            TokenKind::Name(name) => write!(f, "`{name}`"),
            TokenKind::Plus => write!(f, "`+`"),
            TokenKind::Minus => write!(f, "`-`"),
            TokenKind::Star => write!(f, "`*`"),
            TokenKind::Slash => write!(f, "`/`"),
            TokenKind::Caret => write!(f, "`^`"),
            TokenKind::LeftParen => write!(f, "`(`"),
            TokenKind::RightParen => write!(f, "`)`"),
            TokenKind::Comma => write!(f, "`,`"),
            TokenKind::End => write!(f, "the end of the expression"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Splits `chars` into tokens; the last token is always `End`, spanning the position just
/// past the final character.
pub fn tokenize(chars: &[char]) -> Result<Vec<Token>, SyntaxError> {
    let mut tokens = Vec::new();
    let mut position = 0;
    while position < chars.len() {
        let c = chars[position];
        let start = position;
        if c.is_whitespace() {
            position += 1;
            continue;
        }
        let kind = if c.is_ascii_digit()
            || (c == '.' && chars.get(position + 1).is_some_and(char::is_ascii_digit))
        {
            position = number_end(chars, position);
            let text: String = chars[start..position].iter().collect();
            let span = Span {
                start,
                end: position,
            };
            let value: f64 = text
                .parse()
                .map_err(|_| SyntaxError::new(span, format!("`{text}` is not a valid number")))?;
            if !value.is_finite() {
                return Err(SyntaxError::new(
                    span,
                    format!("the number `{text}` is too large"),
                ));
            }
            TokenKind::Number(value)
        } else if c.is_ascii_alphabetic() || c == '_' {
            while position < chars.len()
                && (chars[position].is_ascii_alphanumeric() || chars[position] == '_')
            {
                position += 1;
            }
            TokenKind::Name(chars[start..position].iter().collect())
        } else {
            position += 1;
            match c {
                '+' => TokenKind::Plus,
                '-' => TokenKind::Minus,
                '*' if chars.get(position) == Some(&'*') => {
                    return Err(SyntaxError::new(
                        Span {
                            start,
                            end: position + 1,
                        },
                        "`**` is not an operator; write `^` for a power, as in `x^2`",
                    ));
                }
                '*' => TokenKind::Star,
                '/' => TokenKind::Slash,
                '^' => TokenKind::Caret,
                '(' => TokenKind::LeftParen,
                ')' => TokenKind::RightParen,
                ',' => TokenKind::Comma,
                other => {
                    return Err(SyntaxError::new(
                        Span {
                            start,
                            end: position,
                        },
                        format!(
                            "unexpected character {other:?}; an expression contains numbers, \
                             names, + - * / ^, parentheses and commas"
                        ),
                    ));
                }
            }
        };
        tokens.push(Token {
            kind,
            span: Span {
                start,
                end: position,
            },
        });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        span: Span {
            start: chars.len(),
            end: chars.len() + 1,
        },
    });
    Ok(tokens)
}

/// Returns the end of the number starting at `start`: digits, an optional fraction and an
/// optional exponent. An `e` not followed by digits is left alone, so `2e` lexes as `2` and the
/// constant `e` (which the parser then reports as a missing operator).
fn number_end(chars: &[char], start: usize) -> usize {
    let digits_from = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut end = digits_from(start);
    if chars.get(end) == Some(&'.') {
        end = digits_from(end + 1);
    }
    if matches!(chars.get(end), Some('e' | 'E')) {
        let mut exponent = end + 1;
        if matches!(chars.get(exponent), Some('+' | '-')) {
            exponent += 1;
        }
        if chars.get(exponent).is_some_and(char::is_ascii_digit) {
            end = digits_from(exponent);
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let chars: Vec<char> = text.chars().collect();
        tokenize(&chars)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn numbers_with_fractions_and_exponents() {
        assert_eq!(kinds("1e-3"), [TokenKind::Number(1e-3), TokenKind::End]);
        assert_eq!(
            kinds(".5 2. 3E+2"),
            [
                TokenKind::Number(0.5),
                TokenKind::Number(2.0),
                TokenKind::Number(300.0),
                TokenKind::End
            ]
        );
        // An `e` without exponent digits is the constant e.
        assert_eq!(
            kinds("2e"),
            [
                TokenKind::Number(2.0),
                TokenKind::Name("e".into()),
                TokenKind::End
            ]
        );
    }

    #[test]
    fn spans_count_characters() {
        let chars: Vec<char> = "é + x_1".chars().collect();
        let error = tokenize(&chars).unwrap_err();
        assert_eq!(error.span.column(), 1);
        let tokens = tokenize(&"ab + x_1".chars().collect::<Vec<_>>()).unwrap();
        assert_eq!(tokens[2].kind, TokenKind::Name("x_1".into()));
        assert_eq!(tokens[2].span, Span { start: 5, end: 8 });
        assert_eq!(tokens[3].span.column(), 9);
    }

    #[test]
    fn overflowing_number_is_rejected() {
        let chars: Vec<char> = "x + 1e999".chars().collect();
        let error = tokenize(&chars).unwrap_err();
        assert_eq!(error.span.column(), 5);
        assert!(error.message.contains("too large"), "{}", error.message);
    }
}
