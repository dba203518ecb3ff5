//! f64 evaluation of expression trees: the CPU reference for the generated WGSL.
//!
//! The scalar functions here define what each operation means where the choice matters,
//! and constant folding in `tree` uses them too, so a folded constant equals the value
//! the unfolded tree would have had.

use super::tree::{BinaryOp, Function, Node};

/// Evaluates `node` at (x, y) with parameter values `params`, indexed as `Node::Param`.
pub fn evaluate(node: &Node, x: f64, y: f64, params: &[f64]) -> f64 {
    match node {
        Node::Const(value) => *value,
        Node::X => x,
        Node::Y => y,
        Node::Param(index) => params.get(*index).copied().unwrap_or(f64::NAN),
        Node::Neg(a) => -evaluate(a, x, y, params),
        Node::Binary(op, a, b) => binary(*op, evaluate(a, x, y, params), evaluate(b, x, y, params)),
        Node::PowInt(a, n) => evaluate(a, x, y, params).powi(*n),
        Node::Call(function, a) => self::function(*function, evaluate(a, x, y, params)),
    }
}

pub fn binary(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Pow => power(a, b),
        // f64::min and max return the other argument for NaN. WGSL leaves that case open,
        // so NaN is propagated here to make it visible.
        BinaryOp::Min if a.is_nan() || b.is_nan() => f64::NAN,
        BinaryOp::Max if a.is_nan() || b.is_nan() => f64::NAN,
        BinaryOp::Min => a.min(b),
        BinaryOp::Max => a.max(b),
    }
}

/// Computes a^b for an exponent that is not an integer constant: exp(b ln a), as WGSL's
/// `pow` defines it. A negative base is NaN even where b happens to be a whole number, because
/// WGSL leaves `pow` of a negative base undefined.
pub fn power(a: f64, b: f64) -> f64 {
    if a < 0.0 { f64::NAN } else { a.powf(b) }
}

pub fn function(function: Function, u: f64) -> f64 {
    match function {
        Function::Exp => u.exp(),
        Function::Log => u.ln(),
        Function::Sqrt => u.sqrt(),
        Function::Sin => u.sin(),
        Function::Cos => u.cos(),
        Function::Tan => u.tan(),
        Function::Tanh => u.tanh(),
        Function::Abs => u.abs(),
        Function::Sign => sign(u),
    }
}

/// Computes WGSL's `sign`: -1, 0 or 1, with sign(0) = 0 (f64::signum would give 1).
pub fn sign(u: f64) -> f64 {
    if u > 0.0 {
        1.0
    } else if u < 0.0 {
        -1.0
    } else {
        u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_semantics() {
        assert_eq!(sign(0.0), 0.0);
        assert_eq!(sign(-3.0), -1.0);
        assert!(power(-2.0, 2.0).is_nan());
        assert_eq!(power(0.0, 0.5), 0.0);
        assert!(binary(BinaryOp::Min, f64::NAN, 1.0).is_nan());
        assert_eq!(binary(BinaryOp::Max, -1.0, 2.0), 2.0);
    }
}
