// Field probe: one invocation per point evaluates V and the force of the field, for the
// force-arrow and contour overlays and for the tests that compare the shader with the f64
// reference. Each point is (x, y); each result is (V, force x, force y, 0). The noise level
// is the one the field parameters were written for.

@group(0) @binding(1) var<storage, read> probe_points: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> probe_results: array<vec4<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn probe_main(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let index = linear_invocation_index(global_id, workgroup_count);
    if (index >= arrayLength(&probe_points)) {
        return;
    }
    let x = probe_points[index];
    probe_results[index] = vec4<f32>(field_potential(x), field_force(x), 0.0);
}
