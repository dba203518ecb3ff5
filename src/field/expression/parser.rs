//! Recursive-descent parser from tokens to a syntax tree that keeps the span of every node.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/") unary)*
//! unary   = ("-" | "+") unary | power
//! power   = primary ("^" unary)?          right-associative: x^y^z = x^(y^z)
//! primary = number | name | name "(" sum ("," sum)* ")" | "(" sum ")"
//! ```
//!
//! Unary minus binds looser than `^`, so `-x^2` is `-(x^2)`, and an exponent may carry its
//! own sign: `x^-2` is `x^(-2)`.

use super::MAX_DEPTH;
use super::lexer::{Span, SyntaxError, Token, TokenKind};
use super::tree::BinaryOp;

/// A node of the syntax tree, with its span and the depth of the subtree below it.
#[derive(Clone, Debug, PartialEq)]
pub struct Ast {
    pub kind: AstKind,
    pub span: Span,
    pub depth: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AstKind {
    Number(f64),
    Name(String),
    Negate(Box<Ast>),
    Binary(BinaryOp, Box<Ast>, Box<Ast>),
    Call {
        name: String,
        name_span: Span,
        arguments: Vec<Ast>,
    },
}

/// Parses the whole token list, which must end with `TokenKind::End`.
pub fn parse(tokens: &[Token]) -> Result<Ast, SyntaxError> {
    let mut parser = Parser {
        tokens,
        position: 0,
        nesting: 0,
    };
    let ast = parser.parse_sum()?;
    parser.expect_end()?;
    Ok(ast)
}

struct Parser<'a> {
    tokens: &'a [Token],
    position: usize,
    /// Open parentheses, argument lists, signs and exponents around the current token.
    nesting: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // `tokenize` always ends the list with `End`, and `advance` never moves past it.
        &self.tokens[self.position.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::End {
            self.position += 1;
        }
        token
    }

    /// Counts one more level of nesting, rejecting input nested deeper than `MAX_DEPTH`
    /// before the recursion that would follow it.
    fn enter(&mut self, span: Span) -> Result<(), SyntaxError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(too_deep(span));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    fn parse_sum(&mut self) -> Result<Ast, SyntaxError> {
        let mut left = self.parse_product()?;
        loop {
            let op = match self.peek().kind {
                TokenKind::Plus => BinaryOp::Add,
                TokenKind::Minus => BinaryOp::Sub,
                _ => return Ok(left),
            };
            let operator = self.advance();
            let right = self.parse_product()?;
            left = binary(op, left, right, operator.span)?;
        }
    }

    fn parse_product(&mut self) -> Result<Ast, SyntaxError> {
        let mut left = self.parse_unary()?;
        loop {
            let op = match self.peek().kind {
                TokenKind::Star => BinaryOp::Mul,
                TokenKind::Slash => BinaryOp::Div,
                _ => return Ok(left),
            };
            let operator = self.advance();
            let right = self.parse_unary()?;
            left = binary(op, left, right, operator.span)?;
        }
    }

    fn parse_unary(&mut self) -> Result<Ast, SyntaxError> {
        let sign = match self.peek().kind {
            TokenKind::Minus | TokenKind::Plus => self.advance(),
            _ => return self.parse_power(),
        };
        self.enter(sign.span)?;
        let operand = self.parse_unary()?;
        self.leave();
        if sign.kind == TokenKind::Plus {
            return Ok(operand);
        }
        let span = sign.span.to(operand.span);
        let depth = operand.depth + 1;
        Ok(Ast {
            kind: AstKind::Negate(Box::new(operand)),
            span,
            depth,
        })
    }

    fn parse_power(&mut self) -> Result<Ast, SyntaxError> {
        let base = self.parse_primary()?;
        if self.peek().kind != TokenKind::Caret {
            return Ok(base);
        }
        let caret = self.advance();
        self.enter(caret.span)?;
        let exponent = self.parse_unary()?;
        self.leave();
        binary(BinaryOp::Pow, base, exponent, caret.span)
    }

    fn parse_primary(&mut self) -> Result<Ast, SyntaxError> {
        let token = self.advance();
        match token.kind {
            TokenKind::Number(value) => Ok(Ast {
                kind: AstKind::Number(value),
                span: token.span,
                depth: 1,
            }),
            TokenKind::Name(name) if self.peek().kind == TokenKind::LeftParen => {
                self.parse_call(name, token.span)
            }
            TokenKind::Name(name) => Ok(Ast {
                kind: AstKind::Name(name),
                span: token.span,
                depth: 1,
            }),
            TokenKind::LeftParen => {
                self.enter(token.span)?;
                let inner = self.parse_sum()?;
                self.leave();
                let close = self.advance();
                if close.kind != TokenKind::RightParen {
                    return Err(unclosed(&close, token.span));
                }
                Ok(Ast {
                    span: token.span.to(close.span),
                    ..inner
                })
            }
            other => Err(SyntaxError::new(
                token.span,
                format!("expected a number, a name or `(`, found {other}"),
            )),
        }
    }

    /// Parses `(argument, ...)` after a function name.
    fn parse_call(&mut self, name: String, name_span: Span) -> Result<Ast, SyntaxError> {
        let open = self.advance();
        if self.peek().kind == TokenKind::RightParen {
            return Err(SyntaxError::new(
                self.peek().span,
                format!("`{name}(...)` needs an argument, as in `{name}(x)`"),
            ));
        }
        self.enter(open.span)?;
        let mut arguments = vec![self.parse_sum()?];
        while self.peek().kind == TokenKind::Comma {
            self.advance();
            arguments.push(self.parse_sum()?);
        }
        self.leave();
        let close = self.advance();
        if close.kind != TokenKind::RightParen {
            return Err(unclosed(&close, open.span));
        }
        let depth = 1 + arguments.iter().map(|a| a.depth).max().unwrap_or(0);
        if depth > MAX_DEPTH {
            return Err(too_deep(name_span));
        }
        Ok(Ast {
            kind: AstKind::Call {
                name,
                name_span,
                arguments,
            },
            span: name_span.to(close.span),
            depth,
        })
    }

    /// Checks that the input ended after a complete expression.
    fn expect_end(&self) -> Result<(), SyntaxError> {
        let token = self.peek();
        let message = match &token.kind {
            TokenKind::End => return Ok(()),
            TokenKind::RightParen => "unmatched `)`".to_string(),
            TokenKind::Comma => "unexpected `,` outside the arguments of a function".to_string(),
            other => {
                format!("missing operator before {other}; write `*` for a product, as in `2*x`")
            }
        };
        Err(SyntaxError::new(token.span, message))
    }
}

fn binary(op: BinaryOp, left: Ast, right: Ast, operator: Span) -> Result<Ast, SyntaxError> {
    let depth = 1 + left.depth.max(right.depth);
    if depth > MAX_DEPTH {
        return Err(too_deep(operator));
    }
    let span = left.span.to(right.span);
    Ok(Ast {
        kind: AstKind::Binary(op, Box::new(left), Box::new(right)),
        span,
        depth,
    })
}

fn too_deep(span: Span) -> SyntaxError {
    SyntaxError::new(
        span,
        format!(
            "the expression is nested more than {MAX_DEPTH} levels deep (parentheses, \
             functions, signs and operators); write it with fewer levels"
        ),
    )
}

/// Builds the error for a `(` at `open` whose `)` is missing where `found` is.
fn unclosed(found: &Token, open: Span) -> SyntaxError {
    let message = match &found.kind {
        TokenKind::End => format!("missing `)` to close the `(` at column {}", open.column()),
        TokenKind::Number(_) | TokenKind::Name(_) | TokenKind::LeftParen => format!(
            "missing operator before {}; write `*` for a product, as in `2*x`",
            found.kind
        ),
        other => format!(
            "expected `)` to close the `(` at column {}, found {other}",
            open.column()
        ),
    };
    SyntaxError::new(found.span, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::expression::lexer::tokenize;

    fn parse_text(text: &str) -> Result<Ast, SyntaxError> {
        let chars: Vec<char> = text.chars().collect();
        parse(&tokenize(&chars)?)
    }

    /// Formats the tree in prefix form, for comparing shapes.
    fn shape(ast: &Ast) -> String {
        match &ast.kind {
            AstKind::Number(value) => format!("{value}"),
            AstKind::Name(name) => name.clone(),
            AstKind::Negate(operand) => format!("(neg {})", shape(operand)),
            AstKind::Binary(op, left, right) => {
                format!("({op:?} {} {})", shape(left), shape(right))
            }
            AstKind::Call {
                name, arguments, ..
            } => {
                let arguments: Vec<String> = arguments.iter().map(shape).collect();
                format!("({name} {})", arguments.join(" "))
            }
        }
    }

    #[test]
    fn precedence_and_associativity() {
        let cases = [
            ("-x^2", "(neg (Pow x 2))"),
            ("x^y^z", "(Pow x (Pow y z))"),
            ("x^-2", "(Pow x (neg 2))"),
            ("a - b - c", "(Sub (Sub a b) c)"),
            ("a / b * c", "(Mul (Div a b) c)"),
            ("1 + 2 * 3 ^ 2", "(Add 1 (Mul 2 (Pow 3 2)))"),
            ("-(x + y) * 2", "(Mul (neg (Add x y)) 2)"),
            ("+x", "x"),
            ("min(x, y^2)", "(min x (Pow y 2))"),
            ("2*-x", "(Mul 2 (neg x))"),
        ];
        for (text, expected) in cases {
            assert_eq!(shape(&parse_text(text).unwrap()), expected, "{text}");
        }
    }

    #[test]
    fn spans_cover_the_source() {
        let ast = parse_text(" (x + 1) * y").unwrap();
        assert_eq!(ast.span, Span { start: 1, end: 12 });
        let AstKind::Binary(_, left, _) = &ast.kind else {
            panic!("{ast:?}")
        };
        assert_eq!(left.span, Span { start: 1, end: 8 });
    }

    #[test]
    fn depth_is_limited() {
        let deep = format!(
            "{}x{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(
            parse_text(&deep)
                .unwrap_err()
                .message
                .contains("nested more than")
        );
        let shallow = format!(
            "{}x{}",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert!(parse_text(&shallow).is_ok());
        let long_sum = vec!["x"; MAX_DEPTH + 1].join("+");
        let error = parse_text(&long_sum).unwrap_err();
        assert!(
            error.message.contains("nested more than"),
            "{}",
            error.message
        );
    }
}
