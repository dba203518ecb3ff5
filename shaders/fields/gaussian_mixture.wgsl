// Gaussian mixture with K components and full 2x2 covariances, smoothed by N(0, sigma^2 I):
// component k keeps its weight and mean, its covariance becomes Sigma_k + sigma^2 I, so the
// annealed score is exact at every noise level. V = -log p_sigma.
//
// field_params[0].x                = K
// field_params[1 + 2k]             = (log of normalised weight, mean x, mean y, 0)
// field_params[2 + 2k]             = (covariance xx, covariance xy, covariance yy, 0)

// Returns (V, force x, force y) with a running log-sum-exp over components: one exp each.
fn mixture_eval(x: vec2<f32>, sigma: f32) -> vec3<f32> {
    let count = u32(field_params[0].x);
    let sigma2 = sigma * sigma;
    var max_log = -3.0e38;
    var total = 0.0;
    var force = vec2<f32>(0.0);
    for (var k = 0u; k < count; k += 1u) {
        let head = field_params[1u + 2u * k];
        let cov = field_params[2u + 2u * k].xyz + vec3<f32>(sigma2, 0.0, sigma2);
        let det = cov.x * cov.z - cov.y * cov.y;
        let d = x - head.yz;
        let precision_d = vec2<f32>(cov.z * d.x - cov.y * d.y, cov.x * d.y - cov.y * d.x) / det;
        let log_density = head.x - 0.5 * dot(d, precision_d) - 0.5 * log(det) - 1.8378771;
        let component_force = -precision_d;

        let e = exp(-abs(log_density - max_log));
        let larger = log_density > max_log;
        total = select(total + e, total * e + 1.0, larger);
        force = select(force + e * component_force, force * e + component_force, larger);
        max_log = max(max_log, log_density);
    }
    return vec3<f32>(-(max_log + log(total)), force / total);
}

fn field_potential(x: vec2<f32>, sigma: f32) -> f32 {
    return mixture_eval(x, sigma).x;
}

fn field_force(x: vec2<f32>, sigma: f32) -> vec2<f32> {
    return mixture_eval(x, sigma).yz;
}
