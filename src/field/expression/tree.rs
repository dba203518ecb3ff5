//! The expression tree and its simplifying constructors.
//!
//! Every tree is built through the functions here (`add`, `mul`, `pow`, ...), which fold
//! constants and apply identities such as x*1 = x, x+0 = x, x*0 = 0, x^1 = x, x^0 = 1 and
//! -(-x) = x as they go, so the trees of V and of its derivatives are simplified as they
//! are built. Constant factors move to the front of products, so that they fold.
//!
//! Identities such as x*0 = 0 and x-x = 0 hold for finite x only, so where a subexpression
//! overflows (exp of a large argument, 1/0) the simplified tree gives 0 where a literal
//! evaluation gives NaN.

use std::fmt;

use super::eval;

/// Integer exponents up to this magnitude become repeated multiplication (`Node::PowInt`),
/// which is defined for negative bases too. Larger or fractional exponents use `pow`.
pub const MAX_INTEGER_EXPONENT: i32 = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// a^b = exp(b ln a) for an exponent that is not an integer constant: defined for a > 0,
    /// and for a = 0 with b > 0.
    Pow,
    Min,
    Max,
}

/// Functions of one argument. `Sign` is internal: it comes from differentiating `abs`,
/// `min` and `max` and cannot be written in an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Exp,
    Log,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Tanh,
    Abs,
    Sign,
}

impl Function {
    /// The functions a user can write, by name.
    pub const WRITABLE: [Function; 8] = [
        Function::Exp,
        Function::Log,
        Function::Sqrt,
        Function::Sin,
        Function::Cos,
        Function::Tan,
        Function::Tanh,
        Function::Abs,
    ];

    /// Returns the name in expressions, which is also the name of the WGSL built-in.
    pub fn name(self) -> &'static str {
        match self {
            Function::Exp => "exp",
            Function::Log => "log",
            Function::Sqrt => "sqrt",
            Function::Sin => "sin",
            Function::Cos => "cos",
            Function::Tan => "tan",
            Function::Tanh => "tanh",
            Function::Abs => "abs",
            Function::Sign => "sign",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Const(f64),
    X,
    Y,
    /// A parameter, by its index in the field's parameter list.
    Param(usize),
    Neg(Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    /// u^n for an integer constant n with |n| <= `MAX_INTEGER_EXPONENT`.
    PowInt(Box<Node>, i32),
    Call(Function, Box<Node>),
}

impl Node {
    pub fn constant(&self) -> Option<f64> {
        match self {
            Node::Const(value) => Some(*value),
            _ => None,
        }
    }

    fn is(&self, value: f64) -> bool {
        self.constant() == Some(value)
    }

    /// Formats the tree in the expression language, naming parameters by `names`.
    pub fn display<'a>(&'a self, names: &'a [String]) -> impl fmt::Display + 'a {
        NodeDisplay { node: self, names }
    }
}

pub fn constant(value: f64) -> Node {
    Node::Const(value)
}

pub fn neg(a: Node) -> Node {
    match a {
        Node::Const(value) => Node::Const(-value),
        Node::Neg(inner) => *inner,
        Node::Binary(BinaryOp::Sub, left, right) => sub(*right, *left),
        Node::Binary(BinaryOp::Mul, left, right) if left.constant().is_some() => {
            mul(neg(*left), *right)
        }
        a => Node::Neg(Box::new(a)),
    }
}

pub fn add(a: Node, b: Node) -> Node {
    if let (Some(p), Some(q)) = (a.constant(), b.constant()) {
        return Node::Const(p + q);
    }
    match (a, b) {
        (a, b) if a.is(0.0) => b,
        (a, b) if b.is(0.0) => a,
        (a, Node::Neg(b)) => sub(a, *b),
        (Node::Neg(a), b) => sub(b, *a),
        (a, Node::Const(q)) if q < 0.0 => sub(a, Node::Const(-q)),
        (a, Node::Binary(BinaryOp::Mul, left, right))
            if left.constant().is_some_and(|q| q < 0.0) =>
        {
            sub(a, mul(neg(*left), *right))
        }
        (a, b) if a == b => mul(Node::Const(2.0), a),
        (a, b) => Node::Binary(BinaryOp::Add, Box::new(a), Box::new(b)),
    }
}

pub fn sub(a: Node, b: Node) -> Node {
    if let (Some(p), Some(q)) = (a.constant(), b.constant()) {
        return Node::Const(p - q);
    }
    match (a, b) {
        (a, b) if b.is(0.0) => a,
        (a, b) if a.is(0.0) => neg(b),
        (a, b) if a == b => Node::Const(0.0),
        (a, Node::Neg(b)) => add(a, *b),
        (a, Node::Const(q)) if q < 0.0 => add(a, Node::Const(-q)),
        (a, Node::Binary(BinaryOp::Mul, left, right))
            if left.constant().is_some_and(|q| q < 0.0) =>
        {
            add(a, mul(neg(*left), *right))
        }
        (a, b) => Node::Binary(BinaryOp::Sub, Box::new(a), Box::new(b)),
    }
}

pub fn mul(a: Node, b: Node) -> Node {
    if let (Some(p), Some(q)) = (a.constant(), b.constant()) {
        return Node::Const(p * q);
    }
    match (a, b) {
        (a, b) if a.is(0.0) || b.is(0.0) => Node::Const(0.0),
        (a, b) if a.is(1.0) => b,
        (a, b) if b.is(1.0) => a,
        (a, b) if a.is(-1.0) => neg(b),
        (a, b) if b.is(-1.0) => neg(a),
        // Constants go first, so that c1 * (c2 * u) folds to (c1 c2) * u.
        (a, Node::Const(q)) => mul(Node::Const(q), a),
        (Node::Const(p), Node::Binary(BinaryOp::Mul, left, right)) if left.constant().is_some() => {
            mul(Node::Const(p * left.constant().unwrap_or(1.0)), *right)
        }
        // Constant factors move to the front of a product: u * (c v) = c (u v).
        (a, Node::Binary(BinaryOp::Mul, left, right)) if left.constant().is_some() => {
            mul(*left, mul(a, *right))
        }
        (Node::Binary(BinaryOp::Mul, left, right), b) if left.constant().is_some() => {
            mul(*left, mul(*right, b))
        }
        (Node::Neg(a), Node::Neg(b)) => mul(*a, *b),
        (Node::Neg(a), b) => neg(mul(*a, b)),
        (a, Node::Neg(b)) => neg(mul(a, *b)),
        (a, b) if a == b => pow_int(a, 2),
        (a, b) => Node::Binary(BinaryOp::Mul, Box::new(a), Box::new(b)),
    }
}

pub fn div(a: Node, b: Node) -> Node {
    if let (Some(p), Some(q)) = (a.constant(), b.constant()) {
        return Node::Const(p / q);
    }
    match (a, b) {
        (a, _) if a.is(0.0) => Node::Const(0.0),
        (a, b) if b.is(1.0) => a,
        (a, b) if b.is(-1.0) => neg(a),
        (a, b) if a == b => Node::Const(1.0),
        // (c u) / q = (c / q) u for constants c and q.
        (Node::Binary(BinaryOp::Mul, left, right), Node::Const(q)) if left.constant().is_some() => {
            mul(div(*left, Node::Const(q)), *right)
        }
        (Node::Neg(a), b) => neg(div(*a, b)),
        (a, b) => Node::Binary(BinaryOp::Div, Box::new(a), Box::new(b)),
    }
}

/// a^b: an integer constant exponent becomes `PowInt`, and e^b becomes exp(b).
pub fn pow(a: Node, b: Node) -> Node {
    if let Some(exponent) = b.constant()
        && exponent.fract() == 0.0
        && exponent.abs() <= f64::from(MAX_INTEGER_EXPONENT)
    {
        return pow_int(a, exponent as i32);
    }
    if let (Some(p), Some(q)) = (a.constant(), b.constant()) {
        return Node::Const(eval::power(p, q));
    }
    match (a, b) {
        (a, _) if a.is(1.0) => Node::Const(1.0),
        (a, b) if a.is(std::f64::consts::E) => call(Function::Exp, b),
        (a, b) => Node::Binary(BinaryOp::Pow, Box::new(a), Box::new(b)),
    }
}

/// u^n for an integer n with |n| <= `MAX_INTEGER_EXPONENT`.
pub fn pow_int(u: Node, n: i32) -> Node {
    match u {
        _ if n == 0 => Node::Const(1.0),
        u if n == 1 => u,
        Node::Const(value) => Node::Const(value.powi(n)),
        Node::PowInt(inner, m)
            if (i64::from(m) * i64::from(n)).abs() <= i64::from(MAX_INTEGER_EXPONENT) =>
        {
            pow_int(*inner, m * n)
        }
        Node::Neg(inner) if n % 2 == 0 => pow_int(*inner, n),
        Node::Neg(inner) => neg(pow_int(*inner, n)),
        u => Node::PowInt(Box::new(u), n),
    }
}

pub fn min(a: Node, b: Node) -> Node {
    if let (Some(p), Some(q)) = (a.constant(), b.constant()) {
        return Node::Const(eval::binary(BinaryOp::Min, p, q));
    }
    if a == b {
        return a;
    }
    Node::Binary(BinaryOp::Min, Box::new(a), Box::new(b))
}

pub fn max(a: Node, b: Node) -> Node {
    if let (Some(p), Some(q)) = (a.constant(), b.constant()) {
        return Node::Const(eval::binary(BinaryOp::Max, p, q));
    }
    if a == b {
        return a;
    }
    Node::Binary(BinaryOp::Max, Box::new(a), Box::new(b))
}

pub fn binary(op: BinaryOp, a: Node, b: Node) -> Node {
    match op {
        BinaryOp::Add => add(a, b),
        BinaryOp::Sub => sub(a, b),
        BinaryOp::Mul => mul(a, b),
        BinaryOp::Div => div(a, b),
        BinaryOp::Pow => pow(a, b),
        BinaryOp::Min => min(a, b),
        BinaryOp::Max => max(a, b),
    }
}

pub fn call(function: Function, u: Node) -> Node {
    match u {
        Node::Const(value) => Node::Const(eval::function(function, value)),
        Node::Neg(inner) if matches!(function, Function::Abs | Function::Cos) => {
            call(function, *inner)
        }
        u => Node::Call(function, Box::new(u)),
    }
}

struct NodeDisplay<'a> {
    node: &'a Node,
    names: &'a [String],
}

/// Binding strength when printing: a child that binds looser than its context gets
/// parentheses.
fn precedence(node: &Node) -> u8 {
    match node {
        Node::Binary(BinaryOp::Add | BinaryOp::Sub, ..) => 1,
        Node::Binary(BinaryOp::Mul | BinaryOp::Div, ..) => 2,
        Node::Neg(_) => 3,
        Node::Const(value) if *value < 0.0 || value.is_sign_negative() => 3,
        Node::Binary(BinaryOp::Pow, ..) | Node::PowInt(..) => 4,
        _ => 5,
    }
}

impl NodeDisplay<'_> {
    fn child<'b>(&'b self, node: &'b Node, parenthesize: bool) -> impl fmt::Display + 'b {
        struct Child<'c>(NodeDisplay<'c>, bool);
        impl fmt::Display for Child<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.1 {
                    write!(f, "({})", self.0)
                } else {
                    write!(f, "{}", self.0)
                }
            }
        }
        Child(
            NodeDisplay {
                node,
                names: self.names,
            },
            parenthesize,
        )
    }
}

impl fmt::Display for NodeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let own = precedence(self.node);
        match self.node {
            Node::Const(value) => write!(f, "{}", format_number(*value)),
            Node::X => write!(f, "x"),
            Node::Y => write!(f, "y"),
            Node::Param(index) => match self.names.get(*index) {
                Some(name) => write!(f, "{name}"),
                None => write!(f, "param{index}"),
            },
            Node::Neg(a) => write!(f, "-{}", self.child(a, precedence(a) < own)),
            Node::Binary(op @ (BinaryOp::Min | BinaryOp::Max), a, b) => {
                let name = if *op == BinaryOp::Min { "min" } else { "max" };
                write!(
                    f,
                    "{name}({}, {})",
                    self.child(a, false),
                    self.child(b, false)
                )
            }
            Node::Binary(op, a, b) => {
                let symbol = match op {
                    BinaryOp::Add => " + ",
                    BinaryOp::Sub => " - ",
                    BinaryOp::Mul => "*",
                    BinaryOp::Div => "/",
                    _ => "^",
                };
                // + - * / associate to the left and ^ to the right.
                let (left_loose, right_loose) = if *op == BinaryOp::Pow {
                    (precedence(a) <= own, precedence(b) < own)
                } else {
                    (precedence(a) < own, precedence(b) <= own)
                };
                write!(
                    f,
                    "{}{symbol}{}",
                    self.child(a, left_loose),
                    self.child(b, right_loose)
                )
            }
            Node::PowInt(a, n) => {
                let exponent = if *n < 0 {
                    format!("({n})")
                } else {
                    n.to_string()
                };
                write!(f, "{}^{exponent}", self.child(a, precedence(a) <= own))
            }
            Node::Call(function, a) => write!(f, "{}({})", function.name(), self.child(a, false)),
        }
    }
}

/// Formats `value` as the shortest text that reads back as the same f64: integers without
/// a fraction, others in Rust's round-trip form (`0.5`, `1e-7`).
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(node: &Node) -> String {
        node.display(&["a".to_string()]).to_string()
    }

    #[test]
    fn identities_simplify() {
        let x = || Node::X;
        assert_eq!(mul(x(), constant(1.0)), x());
        assert_eq!(mul(constant(0.0), x()), constant(0.0));
        assert_eq!(add(x(), constant(0.0)), x());
        assert_eq!(sub(constant(0.0), x()), neg(x()));
        assert_eq!(pow(x(), constant(1.0)), x());
        assert_eq!(pow(x(), constant(0.0)), constant(1.0));
        assert_eq!(neg(neg(x())), x());
        assert_eq!(div(x(), constant(1.0)), x());
        assert_eq!(sub(x(), x()), constant(0.0));
        assert_eq!(add(constant(2.0), constant(3.0)), constant(5.0));
        assert_eq!(
            mul(constant(2.0), mul(constant(3.0), x())),
            mul(constant(6.0), x())
        );
        assert_eq!(text(&mul(x(), constant(3.0))), "3*x");
        assert_eq!(text(&pow(pow(x(), constant(2.0)), constant(3.0))), "x^6");
        assert_eq!(text(&pow(constant(std::f64::consts::E), Node::Y)), "exp(y)");
    }

    #[test]
    fn display_parenthesizes_by_precedence() {
        let x = || Node::X;
        let y = || Node::Y;
        assert_eq!(text(&sub(x(), sub(y(), Node::Param(0)))), "x - (y - a)");
        assert_eq!(text(&mul(add(x(), y()), y())), "(x + y)*y");
        assert_eq!(text(&pow(x(), pow(y(), x()))), "x^y^x");
        assert_eq!(text(&pow(pow(x(), y()), x())), "(x^y)^x");
        assert_eq!(text(&neg(pow_int(x(), 2))), "-x^2");
        assert_eq!(text(&pow_int(add(x(), constant(-1.0)), -2)), "(x - 1)^(-2)");
        assert_eq!(text(&min(x(), constant(0.5))), "min(x, 0.5)");
    }
}
