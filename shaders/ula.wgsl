// Unadjusted Langevin (Euler-Maruyama) steps: x' = x + h F(x) + sqrt(2 h T) xi, with the
// force F = -grad V = T * score. One invocation per particle runs the block of steps
// [step_begin, step_end) with the particle in registers, reading h, sqrt(2 h T) and sigma
// from the schedule table. A particle that turns non-finite stops, is counted once with
// the step where it happened, and is skipped by every later block.

@group(0) @binding(1) var<storage, read> schedule: array<ScheduleStep>;
@group(0) @binding(2) var<uniform> dispatch: DispatchParams;
@group(0) @binding(4) var<storage, read_write> positions: array<vec2<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn ula_main(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let index = linear_invocation_index(global_id, workgroup_count);
    if (index >= dispatch.particle_count) {
        return;
    }
    var x = positions[index];
    if (!is_finite_vec2(x)) {
        return;
    }
    let particle = dispatch.particle_offset + index;
    let key = vec2<u32>(dispatch.seed_lo, dispatch.seed_hi);
    for (var step = dispatch.step_begin; step < dispatch.step_end; step += 1u) {
        let row = schedule[step];
        let words = particle_words(particle, step, STREAM_STEP, key);
        let noise = normal_pair(words.x, words.y);
        x += row.step_size * field_force(x, row.sigma) + row.noise_scale * noise;
        if (!is_finite_vec2(x)) {
            record_divergence(step);
            break;
        }
    }
    positions[index] = x;
}
