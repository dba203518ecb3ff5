// Double well (as bgflow's DoubleWellEnergy): V = a x + b x^2 + c x^4 + y^2 / 2.
//
//
// field_params.rows[0].xyz = (a, b, c)

fn field_potential(x: vec2<f32>) -> f32 {
    let p = field_params.rows[0];
    let x2 = x.x * x.x;
    return p.x * x.x + p.y * x2 + p.z * x2 * x2 + 0.5 * x.y * x.y;
}

fn field_force(x: vec2<f32>) -> vec2<f32> {
    let p = field_params.rows[0];
    return -vec2<f32>(p.x + 2.0 * p.y * x.x + 4.0 * p.z * x.x * x.x * x.x, x.y);
}

// Returns (V, force x, force y).
fn field_eval(x: vec2<f32>) -> vec3<f32> {
    return vec3<f32>(field_potential(x), field_force(x));
}
