//! The expression field: symbolic gradients against central differences, the GPU against
//! the f64 evaluation, error messages and columns, and a seeded fuzz test of the parser,
//! differentiator, emitter and evaluator.

mod common;

use glam::DVec2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scoreforce::field::expression::{ExpressionError, MAX_DEPTH, MAX_LENGTH};
use scoreforce::field::probe::{FIELD_PROBE_WGSL, FieldProbe};
use scoreforce::field::{ExpressionField, Field};
use scoreforce::shader::{self, ShaderOptions};

/// An expression with its parameters, the rectangle to test it on, and, for expressions
/// with kinks, a function that is zero on the kinks, so points near them can be skipped.
struct Case {
    text: &'static str,
    parameters: &'static [(&'static str, f64)],
    rect: [f64; 4],
    kink: Option<fn(DVec2) -> f64>,
}

const SQUARE: [f64; 4] = [-2.0, 2.0, -2.0, 2.0];
const POSITIVE: [f64; 4] = [0.5, 2.0, 0.5, 2.0];

fn case(text: &'static str) -> Case {
    Case {
        text,
        parameters: &[],
        rect: SQUARE,
        kink: None,
    }
}

fn cases() -> Vec<Case> {
    vec![
        case("x^2 + y^2"),
        case("(x^2 - 1)^2 + 0.5*y^2"),
        case("x^3*y - 2*x*y^2 + 7"),
        case("x^4 - 3*x^2*y + y^4/4"),
        case("exp(-x^2 - y^2)"),
        case("log(1 + x^2 + y^2)"),
        case("exp(0.5*x)*log(2 + sin(y))"),
        case("sin(x)*cos(y)"),
        case("tan(0.5*x) + cos(x*y)^2"),
        case("tanh(2*x - y)^2 + tanh(y)"),
        case("sqrt(1 + x^2 + y^2)"),
        case("sqrt(x^2 + y^2 + 0.1)*exp(-y)"),
        case("1/(1 + x^2) + y^2/(1 + x^2)"),
        case("-x^2 + x^4 + pi*y^2"),
        case("2^(x*y) + e^(-y)"),
        case("((x^2 + y^2)^2)^3/100"),
        case("exp(sin(x)*y)/(2 + cos(x + y))"),
        case("-(-x)^3 + --y^2"),
        Case {
            rect: POSITIVE,
            ..case("x^y^2")
        },
        Case {
            rect: POSITIVE,
            ..case("(x^2 + 1)^1.5 + y^0.5")
        },
        Case {
            rect: POSITIVE,
            ..case("(x*y)^-2 + log(x)*y")
        },
        Case {
            parameters: &[("a", 1.5), ("b", 0.7), ("c", -0.3)],
            ..case("a*x^2 + b*y^2 + c*x*y")
        },
        Case {
            parameters: &[("mu", 0.4), ("s", 0.8)],
            ..case("(x - mu)^2/(2*s^2) + y^2/2")
        },
        Case {
            parameters: &[("k", -2.0), ("w", 0.5)],
            ..case("k*exp(-((x - 1)^2 + y^2)/w) + x^2 + y^2")
        },
        Case {
            kink: Some(|p| (p.x - 0.3) * p.y),
            ..case("abs(x - 0.3) + abs(y)")
        },
        Case {
            kink: Some(|p| p.x - 0.5),
            ..case("min(x^2, (x - 1)^2) + y^2")
        },
        Case {
            kink: Some(|p| p.x - 2.0 * p.y),
            ..case("max(x + y, 2*x - y) + 0.1*x^2")
        },
        Case {
            kink: Some(|p| p.y - 0.2),
            ..case("x*abs(y - 0.2) + x^2")
        },
    ]
}

fn build(case: &Case) -> ExpressionField {
    let parameters: Vec<(String, f64)> = case
        .parameters
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    ExpressionField::new(case.text, &parameters).unwrap_or_else(|e| panic!("{}: {e}", case.text))
}

/// Draws points of `case.rect`, at least 1e-3 away from the kinks where the case has them.
fn random_points(case: &Case, count: usize, seed: u64) -> Vec<DVec2> {
    let mut rng = StdRng::seed_from_u64(seed);
    let [x_min, x_max, y_min, y_max] = case.rect;
    let mut points = Vec::with_capacity(count);
    while points.len() < count {
        let p = DVec2::new(
            rng.random_range(x_min..x_max),
            rng.random_range(y_min..y_max),
        );
        if case.kink.is_none_or(|kink| kink(p).abs() > 1e-3) {
            points.push(p);
        }
    }
    points
}

#[test]
fn gradient_matches_central_differences() {
    let cases = cases();
    assert!(cases.len() >= 20);
    for case in &cases {
        let field = build(case);
        let mut worst = 0.0f64;
        for p in random_points(case, 500, 7) {
            let step = 1e-6 * (1.0 + p.length());
            let potential = |q: DVec2| field.potential_and_gradient(q).0;
            let dx = DVec2::new(step, 0.0);
            let dy = DVec2::new(0.0, step);
            let central = DVec2::new(
                potential(p + dx) - potential(p - dx),
                potential(p + dy) - potential(p - dy),
            ) / (2.0 * step);
            let gradient = field.potential_and_gradient(p).1;
            let error = (gradient - central).length() / gradient.length().max(1e-3);
            worst = worst.max(error);
        }
        let [gx, gy] = field.gradient_text();
        println!(
            "{}: largest relative error {worst:.2e}; dV/dx = {gx}; dV/dy = {gy}",
            case.text
        );
        assert!(
            worst < 1e-5,
            "{}: gradient differs from central differences by {worst:e}",
            case.text
        );
    }
}

#[test]
fn values_follow_precedence_rules() {
    let (x, y) = (1.3f64, -0.7f64);
    let table: [(&str, f64); 12] = [
        ("-x^2", -(x * x)),
        ("2^-x^2", 2f64.powf(-(x * x))),
        ("x^2^3", x.powi(8)),
        ("x - y - 1", x - y - 1.0),
        ("x / y / 2", x / y / 2.0),
        ("x * y ^ 2", x * y * y),
        ("-y^3", -(y * y * y)),
        ("(-y)^3", -(y * y * y)),
        ("1e-3*x + .5", 1e-3 * x + 0.5),
        ("min(x, y) + max(x, y)*2", y + 2.0 * x),
        ("e^x - exp(x) + pi", std::f64::consts::PI),
        ("abs(y) + sqrt(x)*tanh(y)", 0.7 + x.sqrt() * y.tanh()),
    ];
    for (text, expected) in table {
        let field = ExpressionField::new(text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"));
        let value = field.potential_and_gradient(DVec2::new(x, y)).0;
        println!(
            "{text} = {value}, expected {expected}, simplified {}",
            field.potential_text()
        );
        assert!(
            (value - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "{text} = {value}, expected {expected}"
        );
    }
}

#[test]
fn malformed_expressions_report_message_and_column() {
    let deep_parentheses = format!("{}x{}", "(".repeat(200), ")".repeat(200));
    let deep_signs = format!("{}x", "-".repeat(300));
    let long_sum = vec!["x"; 200].join("+");
    let long_power = vec!["x"; 200].join("^");
    let too_long = "x+".repeat(MAX_LENGTH);
    let table: Vec<(&str, &str, usize)> = vec![
        ("", "the expression is empty", 1),
        ("   ", "the expression is empty", 1),
        ("x +", "found the end of the expression", 4),
        ("x + (y", "missing `)` to close the `(` at column 5", 7),
        ("x + y)", "unmatched `)`", 6),
        ("2x", "missing operator before `x`", 2),
        ("sin x", "missing operator before `x`", 5),
        ("(x + 1) (y - 1)", "missing operator before `(`", 9),
        ("x ** 2", "`**` is not an operator", 3),
        ("x # y", "unexpected character '#'", 3),
        ("x + é", "unexpected character 'é'", 5),
        ("1.2.3", "missing operator before the number `0.3`", 4),
        ("x, y", "unexpected `,`", 2),
        ("x^", "found the end of the expression", 3),
        ("x * * y", "expected a number, a name or `(`, found `*`", 5),
        (
            "z + 1",
            "unknown name `z`; the known names are x, y, pi, e, the functions exp",
            1,
        ),
        ("x + foo(y)", "unknown function `foo`", 5),
        ("exp + 1", "`exp` is a function", 1),
        ("exp()", "needs an argument", 5),
        ("min(x)", "`min` takes 2 arguments, found 1", 1),
        ("sin(x, y)", "`sin` takes 1 argument, found 2", 1),
        ("y + x(2)", "`x` is not a function", 5),
        ("x + 1e999", "the number `1e999` is too large", 5),
        ("x * exp(100)", "beyond the f32 range", 5),
        ("x + 2^200", "beyond the f32 range", 5),
        ("x + log(0)", "evaluates to -inf", 5),
        ("y + 0/0", "evaluates to NaN", 5),
        (
            &deep_parentheses,
            "nested more than 128 levels",
            MAX_DEPTH + 1,
        ),
        (&deep_signs, "nested more than 128 levels", MAX_DEPTH + 1),
        // The 128th `+` makes the 129th level of a left-nested sum. In a power tower the
        // 129th `^` opens the 129th level before its exponent is read.
        (&long_sum, "nested more than 128 levels", 2 * MAX_DEPTH),
        (
            &long_power,
            "nested more than 128 levels",
            2 * MAX_DEPTH + 2,
        ),
        (&too_long, "longer than 4096 characters", MAX_LENGTH + 1),
    ];
    for (text, phrase, column) in table {
        let error = match ExpressionField::new(text, &[]) {
            Ok(_) => panic!("`{text}` was accepted"),
            Err(error) => error,
        };
        let displayed = error.to_string();
        println!("{:.40}: {}", text, error.message());
        assert_eq!(error.column(), Some(column), "`{text}`: {displayed}");
        assert!(
            error.message().contains(phrase),
            "`{text}`: expected `{phrase}` in {displayed}"
        );
        let lines: Vec<&str> = displayed.lines().collect();
        assert_eq!(lines.len(), 3, "`{text}`: {displayed}");
        assert_eq!(
            lines[2].find('^'),
            Some(4 + column - 1),
            "`{text}`: caret misplaced in\n{displayed}"
        );
    }
    assert_eq!(MAX_DEPTH, 128, "the table's messages assume 128 levels");
}

#[test]
fn malformed_parameters_are_rejected() {
    let table: [(&str, &[(&str, f64)], &str); 8] = [
        (
            "x^2 + y^2",
            &[("a", 1.0)],
            "the parameter `a` is given but `x^2 + y^2` does not use it",
        ),
        (
            "x^2 + exp",
            &[("exp", 1.0)],
            "`exp` is a function of the expression language",
        ),
        (
            "x^2 + min",
            &[("min", 1.0)],
            "`min` is a function of the expression language",
        ),
        ("x^2 + pi", &[("pi", 1.0)], "`pi` is a constant"),
        ("y^2", &[("x", 1.0)], "`x` is a coordinate"),
        ("a*x^2", &[("a", 1.0), ("a", 2.0)], "given twice"),
        ("a*x^2", &[("a", f64::INFINITY)], "not a finite f32 number"),
        ("x^2", &[("2a", 1.0)], "`2a` is not a valid parameter name"),
    ];
    for (text, parameters, phrase) in table {
        let parameters: Vec<(String, f64)> = parameters
            .iter()
            .map(|(n, v)| (n.to_string(), *v))
            .collect();
        let error = ExpressionField::new(text, &parameters)
            .err()
            .unwrap_or_else(|| panic!("`{text}` was accepted"));
        println!("{text} {parameters:?}: {error}");
        assert!(
            matches!(error, ExpressionError::Parameter { .. }),
            "{error:?}"
        );
        assert_eq!(error.column(), None);
        assert!(
            error.to_string().contains(phrase),
            "`{text}`: expected `{phrase}` in {error}"
        );
    }
    let mut field = ExpressionField::new("a*x^2 + y^2", &[("a".to_string(), 1.0)]).unwrap();
    assert!(
        field
            .set_parameter("b", 1.0)
            .unwrap_err()
            .to_string()
            .contains("parameters are: a")
    );
    assert!(
        field
            .set_parameter("a", 1e39)
            .unwrap_err()
            .to_string()
            .contains("not a finite f32")
    );
    assert_eq!(field.parameter("a"), Some(1.0));
}

#[test]
fn gpu_matches_f64_at_random_points() {
    let ctx = common::gpu();
    for case in cases() {
        let field = Field::Expression(build(&case));
        let probe = FieldProbe::new(&ctx, &field).unwrap_or_else(|e| panic!("{}: {e}", case.text));
        let (worst_force, worst_potential) = compare_with_gpu(&ctx, &probe, &field, &case);
        println!(
            "{}: largest relative error of force {worst_force:.2e}, of V {worst_potential:.2e}",
            case.text
        );
        assert!(
            worst_force < 1e-4,
            "{}: force relative error {worst_force:e}",
            case.text
        );
        assert!(
            worst_potential < 1e-4,
            "{}: V relative error {worst_potential:e}",
            case.text
        );
    }
}

#[test]
fn parameter_change_keeps_the_pipeline() {
    let ctx = common::gpu();
    let case = Case {
        parameters: &[("a", 1.0), ("b", 0.5)],
        ..case("a*(x^2 - 1)^2 + b*y^2")
    };
    let mut expression = build(&case);
    let mut probe = FieldProbe::new(&ctx, &Field::Expression(expression.clone())).unwrap();
    for (a, b) in [(3.0, 0.25), (0.1, 4.0)] {
        expression.set_parameter("a", a).unwrap();
        expression.set_parameter("b", b).unwrap();
        let field = Field::Expression(expression.clone());
        probe.set_field(&field).unwrap();
        let (worst_force, worst_potential) = compare_with_gpu(&ctx, &probe, &field, &case);
        println!(
            "a = {a}, b = {b}: largest relative error of force {worst_force:.2e}, of V {worst_potential:.2e}"
        );
        assert!(
            worst_force < 1e-4,
            "a = {a}, b = {b}: force relative error {worst_force:e}"
        );
        assert!(
            worst_potential < 1e-4,
            "a = {a}, b = {b}: V relative error {worst_potential:e}"
        );
    }
    let other = Field::Expression(ExpressionField::new("x^2 + y^2", &[]).unwrap());
    let error = probe.set_field(&other).unwrap_err();
    assert!(
        error.to_string().contains("create a new FieldProbe"),
        "{error}"
    );
}

/// Returns the largest relative errors of the GPU's force and V against the f64 evaluation
/// at random points of the case, measured as `tests/fields.rs` measures the built-in kinds.
fn compare_with_gpu(
    ctx: &scoreforce::gpu::GpuContext,
    probe: &FieldProbe,
    field: &Field,
    case: &Case,
) -> (f64, f64) {
    // Round the points to f32 first, so both sides see the same inputs.
    let gpu_points: Vec<[f32; 2]> = random_points(case, 4096, 11)
        .iter()
        .map(|p| [p.x as f32, p.y as f32])
        .collect();
    let results = probe.evaluate(ctx, &gpu_points, 0.0).unwrap();
    let references: Vec<(f64, DVec2)> = gpu_points
        .iter()
        .map(|p| field.potential_and_gradient(DVec2::new(f64::from(p[0]), f64::from(p[1])), 0.0))
        .collect();
    // Near a stationary point the force is a difference of larger terms, so f32 cannot
    // give it to 1e-4 of itself: there the error is measured against 1% of the
    // root-mean-square force instead.
    let rms_force = (references
        .iter()
        .map(|(_, g)| g.length_squared())
        .sum::<f64>()
        / references.len() as f64)
        .sqrt();
    let floor = 0.01 * rms_force;

    let mut worst_force = 0.0f64;
    let mut worst_potential = 0.0f64;
    for ((potential, gradient), result) in references.iter().zip(&results) {
        let force = -*gradient;
        let gpu_force = DVec2::new(f64::from(result.force[0]), f64::from(result.force[1]));
        let force_error = (gpu_force - force).length() / force.length().max(floor);
        let potential_error =
            (f64::from(result.potential) - potential).abs() / potential.abs().max(1.0);
        // NaN compares false with everything, so a NaN result must fail explicitly.
        worst_force = if force_error.is_nan() {
            f64::INFINITY
        } else {
            worst_force.max(force_error)
        };
        worst_potential = if potential_error.is_nan() {
            f64::INFINITY
        } else {
            worst_potential.max(potential_error)
        };
    }
    (worst_force, worst_potential)
}

/// Builds a field from `text` with the parameters `a` and `b` where the text names them,
/// catching panics so that a failure names its input.
fn build_without_panic(text: &str) -> Result<ExpressionField, ExpressionError> {
    let mut parameters = Vec::new();
    for name in ["a", "b"] {
        let named = text
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|word| word == name);
        if named {
            parameters.push((name.to_string(), 0.75));
        }
    }
    let text_owned = text.to_string();
    std::panic::catch_unwind(move || {
        let result = ExpressionField::new(&text_owned, &parameters);
        if let Ok(field) = &result {
            for p in [DVec2::new(0.3, -1.2), DVec2::new(2.0, 0.5), DVec2::ZERO] {
                let _ = field.potential_and_gradient(p);
            }
            let _ = (
                field.potential_text(),
                field.gradient_text(),
                field.force_operations(),
                field.to_string(),
            );
        }
        if let Err(error) = &result {
            let _ = error.to_string();
        }
        result
    })
    .unwrap_or_else(|_| panic!("panicked on {text:?}"))
}

/// Checks what every accepted expression must satisfy: naga validates the composed probe
/// module, and the simplified V, printed and parsed again, has the same values.
fn check_accepted(text: &str, field: &ExpressionField) {
    let source = shader::compose_stage(
        FIELD_PROBE_WGSL,
        Some(&Field::Expression(field.clone())),
        ShaderOptions::default(),
    );
    if let Err(error) = shader::validate("field_probe[expression]", &source) {
        panic!(
            "naga rejected the WGSL of {text:?}: {error}\n{}",
            field.wgsl()
        );
    }
    let parameters: Vec<(String, f64)> = field
        .parameters()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    let printed = field.potential_text();
    let used: Vec<(String, f64)> = parameters
        .iter()
        .filter(|(name, _)| {
            printed
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|w| w == name)
        })
        .cloned()
        .collect();
    let reparsed = ExpressionField::new(&printed, &used)
        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which does not parse: {e}"));
    for p in [DVec2::new(0.3, -1.2), DVec2::new(1.7, 0.4)] {
        let (a, b) = (
            field.potential_and_gradient(p).0,
            reparsed.potential_and_gradient(p).0,
        );
        let same = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(1.0);
        assert!(
            same,
            "{text:?} = {a} at {p}, but its printed form {printed:?} = {b}"
        );
    }
}

const FUZZ_NAMES: [&str; 19] = [
    "x", "y", "a", "b", "pi", "e", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "abs", "min",
    "max", "z", "sign", "x1",
];
const FUZZ_NUMBERS: [&str; 10] = [
    "0", "1", "2", "0.5", "1e-3", "3.25", "1e30", "1e-40", "100", ".5",
];
const FUZZ_SYMBOLS: [&str; 9] = ["+", "-", "*", "/", "^", "(", ")", ",", " "];

#[test]
fn fuzz_arbitrary_strings_never_panic() {
    let mut rng = StdRng::seed_from_u64(2024);
    let alphabet: Vec<char> = "xyab epi0123456789.eE+-*/^(),#_\t\né∞\u{0}"
        .chars()
        .collect();
    let mut accepted = 0;
    for _ in 0..20_000 {
        let length = rng.random_range(0..40);
        let text: String = (0..length)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        if let Ok(field) = build_without_panic(&text) {
            accepted += 1;
            check_accepted(&text, &field);
        }
    }
    println!("{accepted} of 20000 random strings were valid expressions");
}

#[test]
fn fuzz_token_sequences_parse_or_report_column() {
    let mut rng = StdRng::seed_from_u64(77);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let length = rng.random_range(1..25);
        let tokens: Vec<&str> = (0..length)
            .map(|_| match rng.random_range(0..3) {
                0 => FUZZ_NAMES[rng.random_range(0..FUZZ_NAMES.len())],
                1 => FUZZ_NUMBERS[rng.random_range(0..FUZZ_NUMBERS.len())],
                _ => FUZZ_SYMBOLS[rng.random_range(0..FUZZ_SYMBOLS.len())],
            })
            .collect();
        let text = tokens.join(if rng.random_bool(0.5) { " " } else { "" });
        match build_without_panic(&text) {
            Ok(field) => {
                accepted += 1;
                check_accepted(&text, &field);
            }
            Err(ExpressionError::Syntax { column, .. }) => {
                assert!(
                    (1..=text.chars().count() + 1).contains(&column),
                    "{text:?}: column {column}"
                );
            }
            Err(ExpressionError::Generated { message, .. }) => {
                assert!(!message.contains("naga"), "{text:?}: {message}");
            }
            Err(ExpressionError::Parameter { .. }) => {}
        }
    }
    println!("{accepted} of 20000 random token sequences were valid expressions");
    assert!(
        accepted > 100,
        "too few valid sequences to test the emitter"
    );
}

/// Generates a random well-formed expression of at most `depth` levels from every construct.
fn random_expression(rng: &mut StdRng, depth: u32) -> String {
    if depth == 0 || rng.random_bool(0.25) {
        let leaves = [
            "x", "y", "a", "b", "pi", "e", "2", "0.5", "1e-3", "0", "1", "3",
        ];
        return leaves[rng.random_range(0..leaves.len())].to_string();
    }
    let mut sub = || random_expression(rng, depth - 1);
    let (p, q) = (sub(), sub());
    let choice = rng.random_range(0..14);
    match choice {
        0 => format!("{p} + {q}"),
        1 => format!("{p} - ({q})"),
        2 => format!("({p})*({q})"),
        3 => format!("({p})/({q})"),
        4 => format!("({p})^({q})"),
        5 => format!("({p})^{}", rng.random_range(-3..5)),
        6 => format!("-({p})"),
        7 => format!("min({p}, {q})"),
        8 => format!("max({p}, {q})"),
        _ => {
            let functions = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "abs"];
            format!("{}({p})", functions[rng.random_range(0..functions.len())])
        }
    }
}

#[test]
fn fuzz_grammar_expressions_emit_valid_wgsl() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut accepted = 0;
    let mut rejected_constants = 0;
    for _ in 0..3000 {
        let depth = rng.random_range(1..7);
        let text = random_expression(&mut rng, depth);
        match build_without_panic(&text) {
            Ok(field) => {
                accepted += 1;
                check_accepted(&text, &field);
            }
            // Well-formed text fails only on constants the GPU cannot hold.
            Err(ExpressionError::Syntax { message, .. }) => {
                assert!(message.contains("evaluates to"), "{text:?}: {message}");
                rejected_constants += 1;
            }
            Err(ExpressionError::Generated { message, .. }) => {
                assert!(message.contains("not a finite f32"), "{text:?}: {message}");
                rejected_constants += 1;
            }
            Err(error) => panic!("{text:?}: {error}"),
        }
    }
    println!(
        "{accepted} of 3000 generated expressions accepted, {rejected_constants} rejected for constants"
    );
    assert!(
        accepted > 2000,
        "too few accepted expressions to test the emitter"
    );
}

#[test]
fn deep_input_is_rejected_without_overflow() {
    for text in [
        "(".repeat(100_000),
        "-".repeat(100_000) + "x",
        "x^".repeat(3000) + "x",
        "exp(".repeat(3000) + "x" + &")".repeat(3000),
        vec!["x"; 2000].join("*"),
    ] {
        let error = build_without_panic(&text)
            .err()
            .unwrap_or_else(|| panic!("accepted {:.20}", text));
        println!("{:.20}...: {}", text, error.message());
        assert!(
            error.message().contains("nested more than") || error.message().contains("longer than"),
            "{error}"
        );
    }
    // Each derivative rule uses the derivatives of the operands once, so nesting near the
    // limit gives gradients that grow about quadratically, not exponentially.
    let nestings = [
        (0..60).fold("x".to_string(), |inner, k| match k % 2 {
            0 => format!("min({inner}, y + {k})"),
            _ => format!("max({inner}, x - {k})"),
        }),
        (0..60).fold("x".to_string(), |inner, k| {
            format!("(x + {k})*({inner}) / (y^2 + {k})")
        }),
        (0..40).fold("x".to_string(), |inner, k| {
            format!("exp(0.01*({inner}))^{}", k % 3 + 1)
        }),
        (0..35).fold("y".to_string(), |inner, k| {
            format!("({inner} + x*{k})^(y^2 + 1)")
        }),
    ];
    for text in &nestings {
        let field = build_without_panic(text).unwrap_or_else(|e| panic!("{e}"));
        let [gx, gy] = field.gradient_text();
        let size = gx.len() + gy.len();
        println!(
            "{:.30}... ({} characters): gradient text {size} characters",
            text,
            text.len()
        );
        assert!(
            size < 2_000_000,
            "gradient of {:.30}... has {size} characters",
            text
        );
    }

    // Just inside the limit, the derivative and evaluation recurse deeper than the parser.
    let nested = "sin(".repeat(MAX_DEPTH - 1) + "x" + &")".repeat(MAX_DEPTH - 1);
    let field = build_without_panic(&nested).unwrap();
    let (value, gradient) = field.potential_and_gradient(DVec2::new(0.5, 0.0));
    assert!(value.is_finite(), "V = {value}");
    assert!(gradient.x.is_finite(), "grad V = {gradient}");
}
