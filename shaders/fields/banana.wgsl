// Banana (Haario et al. 1999): a Gaussian with variances (vx, vy) in the twisted coordinates
// u = x, w = y + b x^2 - vx b. V = u^2 / (2 vx) + w^2 / (2 vy).
//
// field_params.rows[0].xyz = (b, vx, vy)

fn banana_twisted_y(x: vec2<f32>, p: vec4<f32>) -> f32 {
    return x.y + p.x * x.x * x.x - p.y * p.x;
}

fn field_potential(x: vec2<f32>) -> f32 {
    let p = field_params.rows[0];
    let w = banana_twisted_y(x, p);
    return 0.5 * x.x * x.x / p.y + 0.5 * w * w / p.z;
}

fn field_force(x: vec2<f32>) -> vec2<f32> {
    let p = field_params.rows[0];
    let w_over_vy = banana_twisted_y(x, p) / p.z;
    return -vec2<f32>(x.x / p.y + 2.0 * p.x * x.x * w_over_vy, w_over_vy);
}

// Returns (V, force x, force y).
fn field_eval(x: vec2<f32>) -> vec3<f32> {
    return vec3<f32>(field_potential(x), field_force(x));
}
