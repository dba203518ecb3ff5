// Ring: log p = log N(|x|; radius, width) - log(2 pi |x|) + const, so
// V = (r - radius)^2 / (2 width^2) + log r.
//
// field_params.rows[0].xy = (radius, width)

fn field_potential(x: vec2<f32>) -> f32 {
    let p = field_params.rows[0];
    let r = length(x);
    let d = (r - p.x) / p.y;
    return 0.5 * d * d + log(r);
}

fn field_force(x: vec2<f32>) -> vec2<f32> {
    let p = field_params.rows[0];
    let r = length(x);
    let radial = (r - p.x) / (p.y * p.y) + 1.0 / r;
    return -radial * x / r;
}

// Returns (V, force x, force y).
fn field_eval(x: vec2<f32>) -> vec3<f32> {
    return vec3<f32>(field_potential(x), field_force(x));
}
