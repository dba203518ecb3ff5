// Image field: V = -log p_sigma, where p_sigma is the picture's brightness smoothed to
// the level's noise, tabulated on a grid in `field_data` (written per level by
// src/field/image.rs, which holds the f64 reference) and interpolated by Catmull-Rom
// splines; the force is the interpolant's exact gradient. Beyond the grid V grows as
// stiffness * d^2 / 2 with the distance d from it, and only the wall's force acts across
// the edge.
//
// rows[0] = (origin x, origin y, cell x, cell y): node (i, j) lies at origin + (i, j) * cell
// rows[1] = (columns, rows, stiffness, 0); field_data holds the nodes row by row, y rising

// Catmull-Rom weights of the four nodes around t and their derivatives.
fn image_weights(t: f32) -> array<vec4<f32>, 2> {
    let t2 = t * t;
    let t3 = t2 * t;
    let weights = 0.5 * vec4<f32>(-t3 + 2.0 * t2 - t, 3.0 * t3 - 5.0 * t2 + 2.0, -3.0 * t3 + 4.0 * t2 + t, t3 - t2);
    let derivatives = 0.5 * vec4<f32>(-3.0 * t2 + 4.0 * t - 1.0, 9.0 * t2 - 10.0 * t, -9.0 * t2 + 8.0 * t + 1.0, 3.0 * t2 - 2.0 * t);
    return array<vec4<f32>, 2>(weights, derivatives);
}

// Returns (V, force x, force y).
fn image_eval(x: vec2<f32>) -> vec3<f32> {
    let head = field_params.rows[0];
    let sizes = field_params.rows[1];
    let columns = i32(sizes.x);
    let rows = i32(sizes.y);
    let limit = sizes.xy - 1.0;
    let coordinates = (x - head.xy) / head.zw;
    let clamped = clamp(coordinates, vec2<f32>(0.0), limit);
    let base = max(min(vec2<i32>(floor(clamped)), vec2<i32>(columns - 2, rows - 2)), vec2<i32>(0));
    let t = clamped - vec2<f32>(base);
    let along_x = image_weights(t.x);
    let along_y = image_weights(t.y);

    var value = 0.0;
    var gradient = vec2<f32>(0.0);
    for (var b = 0; b < 4; b += 1) {
        let row = clamp(base.y + b - 1, 0, rows - 1);
        for (var a = 0; a < 4; a += 1) {
            let column = clamp(base.x + a - 1, 0, columns - 1);
            let node = field_data[row * columns + column];
            value += along_x[0][a] * along_y[0][b] * node;
            gradient += vec2<f32>(along_x[1][a] * along_y[0][b], along_x[0][a] * along_y[1][b]) * node;
        }
    }

    let inside_gradient = select(-gradient / head.zw, vec2<f32>(0.0), coordinates != clamped);
    let outside = (coordinates - clamped) * head.zw;
    let stiffness = sizes.z;
    let potential = -value + 0.5 * stiffness * dot(outside, outside);
    return vec3<f32>(potential, -(inside_gradient + stiffness * outside));
}

fn field_potential(x: vec2<f32>) -> f32 {
    return image_eval(x).x;
}

fn field_force(x: vec2<f32>) -> vec2<f32> {
    return image_eval(x).yz;
}

fn field_eval(x: vec2<f32>) -> vec3<f32> {
    return image_eval(x);
}
