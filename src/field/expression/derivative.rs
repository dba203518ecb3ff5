//! Symbolic differentiation of expression trees with respect to x or y.
//!
//! abs, min and max have kinks, and there the derivative is the mean of the one-sided
//! derivatives: abs'(0) = 0, and where min(a, b) or max(a, b) has a = b it is the mean of
//! the derivatives of a and b. This is what writing abs(u) as max(u, -u) gives, and it
//! leaves a particle resting at the minimum of abs(x) without a force. In formulas:
//!
//! ```text
//! d abs(u)    = sign(u) du
//! d min(a, b) = (1 + sign(b - a))/2 da + (1 - sign(b - a))/2 db
//! d max(a, b) = (1 + sign(a - b))/2 da + (1 - sign(a - b))/2 db
//! ```
//!
//! with sign(0) = 0.

use super::tree::{
    BinaryOp, Function, Node, add, call, constant, div, mul, neg, pow, pow_int, sub,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variable {
    X,
    Y,
}

/// Returns the derivative of `node` with respect to `variable`, simplified as it is built.
pub fn derivative(node: &Node, variable: Variable) -> Node {
    let d = |n: &Node| derivative(n, variable);
    match node {
        Node::Const(_) | Node::Param(_) => constant(0.0),
        Node::X => constant(if variable == Variable::X { 1.0 } else { 0.0 }),
        Node::Y => constant(if variable == Variable::Y { 1.0 } else { 0.0 }),
        Node::Neg(a) => neg(d(a)),
        Node::Binary(op, a, b) => binary_derivative(*op, a, b, d(a), d(b)),
        Node::PowInt(u, n) => {
            let outer = mul(constant(f64::from(*n)), pow_int(u.as_ref().clone(), n - 1));
            mul(outer, d(u))
        }
        Node::Call(Function::Log, u) => div(d(u), u.as_ref().clone()),
        Node::Call(function, u) => mul(function_derivative(*function, u), d(u)),
    }
}

fn binary_derivative(op: BinaryOp, a: &Node, b: &Node, da: Node, db: Node) -> Node {
    match op {
        BinaryOp::Add => add(da, db),
        BinaryOp::Sub => sub(da, db),
        BinaryOp::Mul => add(mul(da, b.clone()), mul(a.clone(), db)),
        // (a/b)' = a'/b - a b' / b^2
        BinaryOp::Div => sub(
            div(da, b.clone()),
            div(mul(a.clone(), db), pow_int(b.clone(), 2)),
        ),
        BinaryOp::Pow => power_derivative(a, b, da, db),
        BinaryOp::Min => kink_derivative(sub(b.clone(), a.clone()), da, db),
        BinaryOp::Max => kink_derivative(sub(a.clone(), b.clone()), da, db),
    }
}

/// Returns (a^b)' for an exponent that is not an integer constant (those are `PowInt`).
fn power_derivative(a: &Node, b: &Node, da: Node, db: Node) -> Node {
    let power = || pow(a.clone(), b.clone());
    match b.constant() {
        // c a^(c-1) a'
        Some(c) => mul(mul(constant(c), pow(a.clone(), constant(c - 1.0))), da),
        // a^b (b' ln a + b a' / a), which is a^b ln(a) b' for a constant base.
        None => {
            let from_exponent = mul(db, call(Function::Log, a.clone()));
            let from_base = div(mul(b.clone(), da), a.clone());
            mul(power(), add(from_exponent, from_base))
        }
    }
}

/// Returns the derivative of min or max, w da + (1 - w) db with w = (1 + sign(difference))/2,
/// where `difference` is positive where the first argument is the one chosen. Each of da
/// and db appears once, so nested min and max do not double the tree at every level.
fn kink_derivative(difference: Node, da: Node, db: Node) -> Node {
    let sign = call(Function::Sign, difference);
    let first_weight = mul(constant(0.5), add(constant(1.0), sign.clone()));
    let second_weight = mul(constant(0.5), sub(constant(1.0), sign));
    add(mul(first_weight, da), mul(second_weight, db))
}

/// Returns f'(u) for the function `function`, without the inner derivative u'.
fn function_derivative(function: Function, u: &Node) -> Node {
    let u = || u.clone();
    match function {
        Function::Exp => call(Function::Exp, u()),
        Function::Log => div(constant(1.0), u()),
        Function::Sqrt => div(constant(0.5), call(Function::Sqrt, u())),
        Function::Sin => call(Function::Cos, u()),
        Function::Cos => neg(call(Function::Sin, u())),
        Function::Tan => add(constant(1.0), pow_int(call(Function::Tan, u()), 2)),
        Function::Tanh => sub(constant(1.0), pow_int(call(Function::Tanh, u()), 2)),
        Function::Abs => call(Function::Sign, u()),
        Function::Sign => constant(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(node: &Node) -> String {
        node.display(&[]).to_string()
    }

    #[test]
    fn simple_derivatives_are_simplified() {
        let x = || Node::X;
        let y = || Node::Y;
        let square = pow_int(x(), 2);
        assert_eq!(text(&derivative(&square, Variable::X)), "2*x");
        assert_eq!(text(&derivative(&square, Variable::Y)), "0");
        let product = mul(x(), y());
        assert_eq!(text(&derivative(&product, Variable::X)), "y");
        let exponential = call(Function::Exp, mul(constant(3.0), x()));
        assert_eq!(text(&derivative(&exponential, Variable::X)), "3*exp(3*x)");
        let shifted = pow_int(sub(square.clone(), constant(1.0)), 2);
        assert_eq!(text(&derivative(&shifted, Variable::X)), "4*((x^2 - 1)*x)");
    }

    #[test]
    fn kinks_take_the_mean_gradient() {
        use crate::field::expression::eval::evaluate;
        let abs = call(Function::Abs, Node::X);
        let slope = derivative(&abs, Variable::X);
        assert_eq!(evaluate(&slope, 0.0, 0.0, &[]), 0.0);
        assert_eq!(evaluate(&slope, -2.0, 0.0, &[]), -1.0);
        let lower = crate::field::expression::tree::min(Node::X, mul(constant(3.0), Node::X));
        let slope = derivative(&lower, Variable::X);
        assert_eq!(evaluate(&slope, 1.0, 0.0, &[]), 1.0);
        assert_eq!(evaluate(&slope, -1.0, 0.0, &[]), 3.0);
        assert_eq!(evaluate(&slope, 0.0, 0.0, &[]), 2.0);
    }
}
