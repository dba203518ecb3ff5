//! The expression field: a potential V(x, y) typed as text.
//!
//! How it works: the text is split into tokens (`lexer`), parsed into a syntax tree with
//! spans (`parser`), and its names resolved into an expression tree (`names`), which the
//! constructors in `tree` simplify as it is built. `derivative` differentiates that tree
//! with respect to x and y. `emit` writes WGSL for V and the force -grad V from the trees,
//! and `eval` evaluates the same trees in f64 as the CPU reference.
//!
//! The language has numbers (`2`, `0.5`, `1e-3`), `x`, `y`, named parameters, `+ - * / ^`,
//! parentheses, the functions exp, log (natural), sqrt, sin, cos, tan, tanh, abs, min and
//! max (two arguments), and the constants pi and e. `^` is right-associative and binds
//! tighter than unary minus, so `-x^2` is `-(x^2)`.
//!
//! `a^b` with an integer constant b (|b| up to `tree::MAX_INTEGER_EXPONENT`) is repeated
//! multiplication and works for any a. Any other exponent means exp(b ln a) and needs
//! a >= 0.
//! At the kinks of abs, min and max the force is the mean of the one-sided forces (see
//! `derivative`). Constants must be finite f32 values, because the GPU computes in f32.

mod derivative;
mod emit;
mod eval;
mod lexer;
mod names;
mod parser;
mod tree;

use std::fmt;

use glam::DVec2;

use crate::shader::{self, FIELD_PARAM_ROWS};
use derivative::Variable;
use tree::Node;

/// Maximum nesting depth of an expression, counting parentheses, function calls, signs
/// and binary operators (a sum of n terms is n - 1 levels deep). It bounds the recursion
/// of the parser, the derivative and the evaluator.
pub const MAX_DEPTH: usize = 128;

/// Maximum length of an expression, in characters.
pub const MAX_LENGTH: usize = 4096;

/// Maximum number of parameters: four fit in each row of the field parameter block.
pub const MAX_PARAMETERS: usize = 4 * FIELD_PARAM_ROWS as usize;

/// An invalid expression or parameter, or WGSL that naga rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ExpressionError {
    /// An error at a column of the expression: syntax, an unknown name, a constant out of
    /// the f32 range, nesting too deep.
    #[error("column {column}: {message}\n{}", caret_lines(expression, *column))]
    Syntax {
        expression: String,
        column: usize,
        message: String,
    },
    /// A parameter name or value that cannot be used.
    #[error("{message}")]
    Parameter { name: String, message: String },
    /// The derivative or the generated WGSL could not be built for a valid-looking
    /// expression.
    #[error("{message}")]
    Generated { expression: String, message: String },
}

impl ExpressionError {
    /// Returns the 1-based column the error points at, if it has one.
    pub fn column(&self) -> Option<usize> {
        match self {
            ExpressionError::Syntax { column, .. } => Some(*column),
            _ => None,
        }
    }

    /// Returns the message without the expression and caret lines.
    pub fn message(&self) -> &str {
        match self {
            ExpressionError::Syntax { message, .. }
            | ExpressionError::Parameter { message, .. }
            | ExpressionError::Generated { message, .. } => message,
        }
    }
}

/// Formats the expression on one indented line, and a caret under `column` below it.
fn caret_lines(expression: &str, column: usize) -> String {
    // One character per column: tabs and line breaks become spaces so the caret lines up.
    let one_line: String = expression
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!(
        "    {one_line}\n    {}^",
        " ".repeat(column.saturating_sub(1))
    )
}

/// A potential V(x, y) given as text, with its parameter values.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpressionField {
    source: String,
    names: Vec<String>,
    values: Vec<f64>,
    potential: Node,
    gradient: [Node; 2],
    force: [Node; 2],
    wgsl: String,
}

impl ExpressionField {
    /// Parses `source`, differentiates it and generates its WGSL, which naga validates.
    /// Every parameter must be used in the expression, and every name in the expression
    /// must be x, y, a constant, a function or a parameter.
    pub fn new(source: &str, parameters: &[(String, f64)]) -> Result<Self, ExpressionError> {
        check_parameters(parameters)?;
        let names: Vec<String> = parameters.iter().map(|(name, _)| name.clone()).collect();
        let values: Vec<f64> = parameters.iter().map(|(_, value)| *value).collect();

        let chars: Vec<char> = source.chars().collect();
        let syntax_error = |error: lexer::SyntaxError| ExpressionError::Syntax {
            expression: source.to_string(),
            column: error.span.column(),
            message: error.message,
        };
        if chars.len() > MAX_LENGTH {
            return Err(syntax_error(lexer::SyntaxError::new(
                lexer::Span {
                    start: MAX_LENGTH,
                    end: chars.len(),
                },
                format!("the expression is longer than {MAX_LENGTH} characters"),
            )));
        }
        if chars.iter().all(|c| c.is_whitespace()) {
            return Err(ExpressionError::Syntax {
                expression: source.to_string(),
                column: 1,
                message: "the expression is empty; write V(x, y), e.g. x^2 + y^2".to_string(),
            });
        }
        let tokens = lexer::tokenize(&chars).map_err(syntax_error)?;
        let ast = parser::parse(&tokens).map_err(syntax_error)?;
        let potential = names::resolve(&ast, &names, &chars).map_err(syntax_error)?;

        // Unused means absent from the text: a parameter that simplification removes, as
        // in 0*a, still counts as used.
        for name in &names {
            if !mentions(&ast, name) {
                return Err(ExpressionError::Parameter {
                    name: name.clone(),
                    message: format!(
                        "the parameter `{name}` is given but `{}` does not use it; remove the \
                         parameter or use it in the expression",
                        source.trim()
                    ),
                });
            }
        }

        let gradient = [
            derivative::derivative(&potential, Variable::X),
            derivative::derivative(&potential, Variable::Y),
        ];
        let force = [
            tree::neg(gradient[0].clone()),
            tree::neg(gradient[1].clone()),
        ];
        let wgsl = emit::field_wgsl(source, &names, &potential, [&force[0], &force[1]]).map_err(
            |emit::NonFiniteConstant(value)| ExpressionError::Generated {
                expression: source.to_string(),
                message: format!(
                    "the gradient of `{}` contains the constant {value}, which is not a \
                     finite f32; rewrite the expression (a constant base of ^ must be \
                     positive, for example)",
                    source.trim()
                ),
            },
        )?;
        let field = ExpressionField {
            source: source.to_string(),
            names,
            values,
            potential,
            gradient,
            force,
            wgsl,
        };
        field.validate_wgsl()?;
        Ok(field)
    }

    /// Checks the generated WGSL with naga, composed with the field parameter binding.
    fn validate_wgsl(&self) -> Result<(), ExpressionError> {
        let module = [
            shader::prelude().as_str(),
            shader::FIELD_BINDING_WGSL,
            &self.wgsl,
        ]
        .join("\n");
        shader::validate("expression field", &module)
            .map(|_| ())
            .map_err(|error| ExpressionError::Generated {
                expression: self.source.clone(),
                message: format!(
                    "naga rejected the WGSL generated for the expression `{}`; this is a bug \
                     in scoreforce's WGSL generator, please report it with the expression:\n{}",
                    self.source.trim(),
                    error.report
                ),
            })
    }

    /// Returns the expression as the user wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns the parameter names and values, in the order of their slots in `gpu_params`.
    pub fn parameters(&self) -> impl Iterator<Item = (&str, f64)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().copied())
    }

    pub fn parameter(&self, name: &str) -> Option<f64> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|index| self.values[index])
    }

    /// Sets the value of the parameter `name`. The WGSL does not change, so a sampler or
    /// probe built for this field takes the new value through its parameter buffer.
    pub fn set_parameter(&mut self, name: &str, value: f64) -> Result<(), ExpressionError> {
        let Some(index) = self.names.iter().position(|n| n == name) else {
            let known = if self.names.is_empty() {
                "none".to_string()
            } else {
                self.names.join(", ")
            };
            return Err(ExpressionError::Parameter {
                name: name.to_string(),
                message: format!(
                    "`{name}` is not a parameter of `{}`; its parameters are: {known}",
                    self.source.trim()
                ),
            });
        };
        check_value(name, value)?;
        self.values[index] = value;
        Ok(())
    }

    /// Evaluates V and grad V at `p` in f64.
    pub fn potential_and_gradient(&self, p: DVec2) -> (f64, DVec2) {
        let value = eval::evaluate(&self.potential, p.x, p.y, &self.values);
        let gradient = DVec2::new(
            eval::evaluate(&self.gradient[0], p.x, p.y, &self.values),
            eval::evaluate(&self.gradient[1], p.x, p.y, &self.values),
        );
        (value, gradient)
    }

    /// Packs the parameter values four to a row, in the order of `parameters`.
    pub fn gpu_params(&self) -> Vec<[f32; 4]> {
        self.values
            .chunks(4)
            .map(|chunk| {
                let mut row = [0.0f32; 4];
                for (slot, value) in row.iter_mut().zip(chunk) {
                    *slot = *value as f32;
                }
                row
            })
            .collect()
    }

    /// Returns the WGSL defining `field_potential(x)` and `field_force(x)`.
    pub fn wgsl(&self) -> &str {
        &self.wgsl
    }

    /// Formats V after simplification.
    pub fn potential_text(&self) -> String {
        self.potential.display(&self.names).to_string()
    }

    /// Formats dV/dx and dV/dy after simplification.
    pub fn gradient_text(&self) -> [String; 2] {
        self.gradient
            .each_ref()
            .map(|g| g.display(&self.names).to_string())
    }

    /// Counts the operations of one evaluation of the force on the GPU.
    pub fn force_operations(&self) -> usize {
        emit::force_operations([&self.force[0], &self.force[1]])
    }
}

impl fmt::Display for ExpressionField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expression V(x, y) = {}", self.source.trim())?;
        for (name, value) in self.parameters() {
            write!(f, ", {name} = {value}")?;
        }
        Ok(())
    }
}

/// Returns whether the syntax tree contains the name `name` outside a function position.
fn mentions(ast: &parser::Ast, name: &str) -> bool {
    use parser::AstKind;
    match &ast.kind {
        AstKind::Number(_) => false,
        AstKind::Name(n) => n == name,
        AstKind::Negate(a) => mentions(a, name),
        AstKind::Binary(_, a, b) => mentions(a, name) || mentions(b, name),
        AstKind::Call { arguments, .. } => arguments.iter().any(|a| mentions(a, name)),
    }
}

fn check_parameters(parameters: &[(String, f64)]) -> Result<(), ExpressionError> {
    if parameters.len() > MAX_PARAMETERS {
        return Err(ExpressionError::Parameter {
            name: String::new(),
            message: format!(
                "{} parameters given; the most is {MAX_PARAMETERS}",
                parameters.len()
            ),
        });
    }
    for (index, (name, value)) in parameters.iter().enumerate() {
        let invalid = |message: String| ExpressionError::Parameter {
            name: name.clone(),
            message,
        };
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(invalid(format!(
                "`{name}` is not a valid parameter name; use letters, digits and `_`, \
                 starting with a letter or `_`"
            )));
        }
        if let Some(kind) = names::reserved_kind(name) {
            return Err(invalid(format!(
                "the parameter name `{name}` is {kind} of the expression language; rename \
                 the parameter"
            )));
        }
        if parameters[..index]
            .iter()
            .any(|(earlier, _)| earlier == name)
        {
            return Err(invalid(format!("the parameter `{name}` is given twice")));
        }
        check_value(name, *value)?;
    }
    Ok(())
}

/// Rejects a value that is not a finite f32, the type the GPU reads it as.
fn check_value(name: &str, value: f64) -> Result<(), ExpressionError> {
    if value.is_finite() && value.abs() <= f64::from(f32::MAX) {
        return Ok(());
    }
    Err(ExpressionError::Parameter {
        name: name.to_string(),
        message: format!(
            "the parameter `{name}` = {value} is not a finite f32 number (magnitude up to {:.4e})",
            f32::MAX
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str, parameters: &[(&str, f64)]) -> Result<ExpressionField, ExpressionError> {
        let parameters: Vec<(String, f64)> = parameters
            .iter()
            .map(|(n, v)| (n.to_string(), *v))
            .collect();
        ExpressionField::new(text, &parameters)
    }

    #[test]
    fn double_well_values_and_gradient() {
        let f = field("(x^2-1)^2 + a*y^2", &[("a", 0.5)]).unwrap();
        let (value, gradient) = f.potential_and_gradient(DVec2::new(2.0, 3.0));
        assert_eq!(value, 9.0 + 4.5);
        assert_eq!(gradient, DVec2::new(4.0 * 2.0 * 3.0, 3.0));
        assert_eq!(f.gpu_params(), vec![[0.5, 0.0, 0.0, 0.0]]);
        assert!(f.wgsl().contains("field_params.rows[0].x"), "{}", f.wgsl());
    }

    #[test]
    fn error_display_puts_caret_under_column() {
        let error = field("x + (y", &[]).unwrap_err();
        assert_eq!(error.column(), Some(7));
        let text = error.to_string();
        assert_eq!(
            text,
            "column 7: missing `)` to close the `(` at column 5\n    x + (y\n          ^"
        );
    }

    #[test]
    fn rejected_wgsl_error_quotes_expression() {
        let mut f = field("x^2 + y^2", &[]).unwrap();
        f.wgsl = "fn field_potential(x: vec2<f32>) -> f32 { return x; }".to_string();
        let error = f.validate_wgsl().unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("naga rejected the WGSL generated for the expression `x^2 + y^2`"),
            "{message}"
        );
        assert!(
            matches!(error, ExpressionError::Generated { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn parameters_are_set_by_name() {
        let mut f = field("a*x^2 + b*y^2", &[("a", 1.0), ("b", 2.0)]).unwrap();
        f.set_parameter("b", 4.0).unwrap();
        assert_eq!(f.parameter("b"), Some(4.0));
        assert_eq!(f.potential_and_gradient(DVec2::new(1.0, 1.0)).0, 5.0);
        assert!(
            f.set_parameter("c", 1.0)
                .unwrap_err()
                .to_string()
                .contains("parameters are: a, b")
        );
        assert!(f.set_parameter("a", f64::NAN).is_err());
    }
}
