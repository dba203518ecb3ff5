// Underdamped (kinetic) Langevin with unit mass by the BAOAB splitting (Leimkuhler and
// Matthews): half kick v += (h/2) F(x), half drift x += (h/2) v, exact Ornstein-Uhlenbeck
// step v = c v + sqrt((1 - c^2) T) xi with c = exp(-gamma h), half drift, half kick.
//
// The stored velocity is the one right after the O step, so a step here runs the previous
// step's final half kick and its own first as one full kick: v = w + h F(x), then A, O
// (which stores w) and A. The positions are BAOAB's. On a Gaussian the stored velocity has
// exactly variance T, where the velocity after the final kick is cooler by a factor
// 1 - h^2 omega^2 / 4. One invocation per particle runs the block of steps
// [step_begin, step_end) with position and velocity in registers and one force evaluation
// per step. A noise-free row (the final denoising step of the noise schedule) moves the
// position x += h F(x) and leaves the velocity alone.

@group(0) @binding(1) var<storage, read> schedule: array<ScheduleStep>;
@group(0) @binding(2) var<uniform> dispatch: DispatchParams;
@group(0) @binding(4) var<storage, read_write> positions: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> velocities: array<vec2<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn baoab_main(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let index = linear_invocation_index(global_id, workgroup_count);
    if (index >= dispatch.particle_count) {
        return;
    }
    var x = positions[index];
    var v = velocities[index];
    if (!is_finite_vec2(x)) {
        return;
    }
    let particle = dispatch.particle_offset + index;
    let key = vec2<u32>(dispatch.seed_lo, dispatch.seed_hi);
    let row = schedule[dispatch.schedule_row];
    let half_step = 0.5 * row.step_size;
    let c = exp(-dispatch.friction * row.step_size);
    let kick_noise = sqrt(max(1.0 - c * c, 0.0) * row.temperature);
    var diverged_at = NOT_DIVERGED;

    for (var step = dispatch.step_begin; step < dispatch.step_end; step += 1u) {
        let force = field_force(x);
        if (row.noise_scale == 0.0) {
            x += row.step_size * force;
        } else {
            let words = particle_words(particle, step, STREAM_STEP, key);
            let kicked = v + row.step_size * force;
            x += half_step * kicked;
            v = c * kicked + kick_noise * normal_pair(words.x, words.y);
            x += half_step * v;
        }
        diverged_at = select(diverged_at, min(diverged_at, step), !is_finite_vec2(x));
    }

    if (diverged_at != NOT_DIVERGED) {
        record_divergence(diverged_at);
    }
    positions[index] = x;
    velocities[index] = v;
}
