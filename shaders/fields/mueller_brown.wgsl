// Mueller-Brown potential (Mueller and Brown 1979), scaled:
// V = scale * sum_k A_k exp(a_k dx^2 + b_k dx dy + c_k dy^2), dx = x - x0_k, dy = y - y0_k.
// No closed-form smoothing exists, so the noise schedule does not apply.
//
// field_params.rows[0].x      = scale
// field_params.rows[1 + k]    = (A_k, a_k, b_k, c_k), k = 0..3
// field_params.rows[5 + k].xy = (x0_k, y0_k)

fn mueller_brown_term(k: u32, x: vec2<f32>) -> vec3<f32> {
    let coefficients = field_params.rows[1u + k];
    let d = x - field_params.rows[5u + k].xy;
    let term = coefficients.x * exp(
        coefficients.y * d.x * d.x + coefficients.z * d.x * d.y + coefficients.w * d.y * d.y);
    let gradient = term * vec2<f32>(
        2.0 * coefficients.y * d.x + coefficients.z * d.y,
        coefficients.z * d.x + 2.0 * coefficients.w * d.y);
    return vec3<f32>(term, gradient);
}

// Returns (V, force x, force y).
fn mueller_brown_eval(x: vec2<f32>) -> vec3<f32> {
    var sum = vec3<f32>(0.0);
    for (var k = 0u; k < 4u; k += 1u) {
        sum += mueller_brown_term(k, x);
    }
    let scale = field_params.rows[0].x;
    return vec3<f32>(scale * sum.x, -scale * sum.yz);
}

fn field_potential(x: vec2<f32>) -> f32 {
    return mueller_brown_eval(x).x;
}

fn field_force(x: vec2<f32>) -> vec2<f32> {
    return mueller_brown_eval(x).yz;
}

fn field_eval(x: vec2<f32>) -> vec3<f32> {
    return mueller_brown_eval(x);
}
