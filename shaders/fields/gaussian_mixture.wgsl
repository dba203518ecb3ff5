// Gaussian mixture with K components and full 2x2 covariances, smoothed by N(0, sigma^2 I):
// component k keeps its weight and mean, and its covariance becomes Sigma_k + sigma^2 I, so
// the annealed score is exact at every noise level. V = -log p_sigma. The CPU writes the
// rows for the current level's sigma (src/field/mixture.rs), so the shader does no
// divisions or logarithms per component.
//
// The rows are in base-2 logarithms, which saves exp2 the multiply that exp needs:
// The composition defines MIXTURE_COMPONENTS = K, the loop's bound. lavapipe compiles the
// shader again at every dispatch for a bound read from the uniform buffer.
// rows[0].x       = K
// rows[1 + 2k]    = (log2 of w_k / (2 pi sqrt(det S_k)), mean x, mean y, 0)
// rows[2 + 2k]    = (Q_xx, Q_xy, Q_yy, 0), Q = log2(e) S_k^-1, S_k = Sigma_k + sigma^2 I

// Returns (V, force x, force y) with a running log-sum-exp over components: one exp2 each.
fn mixture_eval(x: vec2<f32>) -> vec3<f32> {
    var max_log = -3.0e38;
    var total = 0.0;
    var force = vec2<f32>(0.0);
    for (var k = 0u; k < MIXTURE_COMPONENTS; k += 1u) {
        let head = field_params.rows[1u + 2u * k];
        let scaled_inverse = field_params.rows[2u + 2u * k].xyz;
        let d = x - head.yz;
        // log2(e) times the component's force -S^-1 d.
        let component_force = -vec2<f32>(
            scaled_inverse.x * d.x + scaled_inverse.y * d.y,
            scaled_inverse.y * d.x + scaled_inverse.z * d.y);
        let log_density = head.x + 0.5 * dot(d, component_force);

        let e = exp2(-abs(log_density - max_log));
        let larger = log_density > max_log;
        total = select(total + e, total * e + 1.0, larger);
        force = select(force + e * component_force, force * e + component_force, larger);
        max_log = max(max_log, log_density);
    }
    // Back from base 2: V = -ln p = -ln(2) log2 p, and the force is ln(2) times the
    // weighted base-2 component forces.
    return 0.6931472 * vec3<f32>(-(max_log + log2(total)), force / total);
}

fn field_potential(x: vec2<f32>) -> f32 {
    return mixture_eval(x).x;
}

fn field_force(x: vec2<f32>) -> vec2<f32> {
    return mixture_eval(x).yz;
}

fn field_eval(x: vec2<f32>) -> vec3<f32> {
    return mixture_eval(x);
}
