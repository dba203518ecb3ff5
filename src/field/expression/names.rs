//! Name resolution: turns the syntax tree into an expression tree, resolving x, y, the
//! constants, the functions and the parameters, and rejecting constants the GPU cannot
//! represent, each error at the span it comes from.

use super::lexer::{Span, SyntaxError};
use super::parser::{Ast, AstKind};
use super::tree::{self, BinaryOp, Function, Node};

/// Constants by name.
pub const CONSTANTS: [(&str, f64); 2] = [("pi", std::f64::consts::PI), ("e", std::f64::consts::E)];

/// The coordinates.
pub const COORDINATES: [&str; 2] = ["x", "y"];

/// Functions of two arguments.
pub const BINARY_FUNCTIONS: [(&str, BinaryOp); 2] =
    [("min", BinaryOp::Min), ("max", BinaryOp::Max)];

/// Returns every function name, in the order messages list them.
pub fn function_names() -> Vec<&'static str> {
    let unary = Function::WRITABLE.iter().map(|f| f.name());
    unary
        .chain(BINARY_FUNCTIONS.iter().map(|(name, _)| *name))
        .collect()
}

/// Returns what kind of reserved name `name` is, for messages, or `None` if a parameter
/// may use it.
pub fn reserved_kind(name: &str) -> Option<&'static str> {
    if COORDINATES.contains(&name) {
        Some("a coordinate")
    } else if CONSTANTS.iter().any(|(constant, _)| *constant == name) {
        Some("a constant")
    } else if function_names().contains(&name) {
        Some("a function")
    } else {
        None
    }
}

/// Resolves the names of `ast` against `parameters` and builds the simplified tree.
/// `chars` is the expression, for quoting constants in messages.
pub fn resolve(ast: &Ast, parameters: &[String], chars: &[char]) -> Result<Node, SyntaxError> {
    let resolver = Resolver { parameters, chars };
    let node = resolver.resolve(ast)?;
    resolver.check_constant(&node, ast.span)?;
    Ok(node)
}

#[derive(Clone, Copy)]
enum Callee {
    Unary(Function),
    Binary(BinaryOp),
}

struct Resolver<'a> {
    parameters: &'a [String],
    chars: &'a [char],
}

impl Resolver<'_> {
    fn resolve(&self, ast: &Ast) -> Result<Node, SyntaxError> {
        match &ast.kind {
            AstKind::Number(value) => Ok(Node::Const(*value)),
            AstKind::Name(name) => self.resolve_name(name, ast.span),
            AstKind::Negate(operand) => {
                let inner = self.resolve(operand)?;
                Ok(tree::neg(inner))
            }
            AstKind::Binary(op, left, right) => {
                let a = self.resolve(left)?;
                let b = self.resolve(right)?;
                let node = tree::binary(*op, a.clone(), b.clone());
                self.check_operands(&node, &[(a, left.span), (b, right.span)])?;
                Ok(node)
            }
            AstKind::Call {
                name,
                name_span,
                arguments,
            } => self.resolve_call(name, *name_span, arguments),
        }
    }

    fn resolve_name(&self, name: &str, span: Span) -> Result<Node, SyntaxError> {
        match name {
            "x" => return Ok(Node::X),
            "y" => return Ok(Node::Y),
            _ => {}
        }
        if let Some((_, value)) = CONSTANTS.iter().find(|(constant, _)| *constant == name) {
            return Ok(Node::Const(*value));
        }
        if let Some(index) = self.parameters.iter().position(|p| p == name) {
            return Ok(Node::Param(index));
        }
        if function_names().contains(&name) {
            return Err(SyntaxError::new(
                span,
                format!("`{name}` is a function; write `{name}(...)`"),
            ));
        }
        Err(SyntaxError::new(
            span,
            format!("unknown name `{name}`; {}", self.known_names()),
        ))
    }

    fn resolve_call(
        &self,
        name: &str,
        name_span: Span,
        arguments: &[Ast],
    ) -> Result<Node, SyntaxError> {
        let callee = if let Some((_, op)) = BINARY_FUNCTIONS.iter().find(|(f, _)| *f == name) {
            Callee::Binary(*op)
        } else if let Some(function) = Function::WRITABLE.iter().find(|f| f.name() == name) {
            Callee::Unary(*function)
        } else if COORDINATES.contains(&name) || self.parameters.iter().any(|p| p == name) {
            return Err(SyntaxError::new(
                name_span,
                format!("`{name}` is not a function; write `{name}*(...)` for a product"),
            ));
        } else {
            return Err(SyntaxError::new(
                name_span,
                format!(
                    "unknown function `{name}`; the functions are {}",
                    function_names().join(", ")
                ),
            ));
        };

        let resolved = arguments
            .iter()
            .map(|argument| Ok((self.resolve(argument)?, argument.span)))
            .collect::<Result<Vec<_>, SyntaxError>>()?;
        let node = match (callee, &resolved[..]) {
            (Callee::Binary(op), [(a, _), (b, _)]) => tree::binary(op, a.clone(), b.clone()),
            (Callee::Unary(function), [(u, _)]) => tree::call(function, u.clone()),
            (callee, _) => {
                let expected = if matches!(callee, Callee::Binary(_)) {
                    "2 arguments"
                } else {
                    "1 argument"
                };
                return Err(SyntaxError::new(
                    name_span,
                    format!("`{name}` takes {expected}, found {}", arguments.len()),
                ));
            }
        };
        self.check_operands(&node, &resolved)?;
        Ok(node)
    }

    /// Checks each operand that folded to a constant where `node` is not constant, so that
    /// an out-of-range constant is reported at its own span.
    fn check_operands(&self, node: &Node, operands: &[(Node, Span)]) -> Result<(), SyntaxError> {
        if node.constant().is_some() {
            return Ok(());
        }
        for (operand, span) in operands {
            self.check_constant(operand, *span)?;
        }
        Ok(())
    }

    /// Rejects a constant that is not a finite f32, the type the GPU computes in.
    fn check_constant(&self, node: &Node, span: Span) -> Result<(), SyntaxError> {
        let Some(value) = node.constant() else {
            return Ok(());
        };
        let text: String = self.chars[span.start..span.end.min(self.chars.len())]
            .iter()
            .collect();
        let quoted = if text.chars().count() <= 40 {
            format!("`{text}`")
        } else {
            "the constant part".to_string()
        };
        if !value.is_finite() {
            return Err(SyntaxError::new(
                span,
                format!("{quoted} evaluates to {value}; a constant must be a finite number"),
            ));
        }
        if value.abs() > f64::from(f32::MAX) {
            return Err(SyntaxError::new(
                span,
                format!(
                    "{quoted} evaluates to {value:.4e}, beyond the f32 range (magnitude up to \
                     {:.4e}) that the GPU computes in",
                    f32::MAX
                ),
            ));
        }
        Ok(())
    }

    fn known_names(&self) -> String {
        let parameters = if self.parameters.is_empty() {
            "no parameters (a scene file gives them in [field.params], the command line with \
             --param NAME=VALUE)"
                .to_string()
        } else {
            let noun = if self.parameters.len() == 1 {
                "parameter"
            } else {
                "parameters"
            };
            format!("the {noun} {}", self.parameters.join(", "))
        };
        format!(
            "the known names are x, y, pi, e, the functions {} and {parameters}",
            function_names().join(", ")
        )
    }
}
