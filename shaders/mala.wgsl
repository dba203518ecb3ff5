// Metropolis-adjusted Langevin (MALA). One invocation per particle runs the block of steps
// [step_begin, step_end) with the particle, its V and its force in registers. Each step
// proposes y = x + h F(x) + sqrt(2 h T) xi and accepts it with probability
// min(1, exp(-(V(y) - V(x)) / T) q(x | y) / q(y | x)), where
// log q(b | a) = -|b - a - h F(a)|^2 / (4 h T): the reverse density uses the force at the
// proposal. A non-finite log ratio is a rejection. Words 0 and 1 of the step's Philox block
// give the normal pair and word 2 the uniform of the accept test. The counts of accepted
// and proposed moves are added to the status once per block. A noise-free row (the final
// denoising step of the noise schedule) moves x += h F(x) without a test.

@group(0) @binding(1) var<storage, read> schedule: array<ScheduleStep>;
@group(0) @binding(2) var<uniform> dispatch: DispatchParams;
@group(0) @binding(4) var<storage, read_write> positions: array<vec2<f32>>;

// log q(end | start) for the proposal N(start + h F(start), 2 h T I), up to a constant.
fn mala_log_proposal(end: vec2<f32>, start: vec2<f32>, force_at_start: vec2<f32>, row: ScheduleStep) -> f32 {
    let d = end - start - row.step_size * force_at_start;
    return -dot(d, d) / (2.0 * row.noise_scale * row.noise_scale);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn mala_main(
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
    let row = schedule[dispatch.schedule_row];
    var current = field_eval(x);
    if (!(is_finite_vec2(current.yz) && abs(current.x) < 3.0e38)) {
        // V or its force is not finite here, outside the density's support (sqrt of a
        // negative x, say). Every proposal would be rejected and the particle would stay,
        // so it counts as diverged and leaves the density, as a ULA step would make it.
        record_divergence(dispatch.step_begin);
        positions[index] = vec2<f32>(bitcast<f32>(0x7fc00000u));
        return;
    }
    var accepted = 0u;
    var diverged_at = NOT_DIVERGED;

    for (var step = dispatch.step_begin; step < dispatch.step_end; step += 1u) {
        if (row.noise_scale == 0.0) {
            // A noise-free row (the final denoising step) is deterministic: no test.
            x += row.step_size * current.yz;
            current = field_eval(x);
            diverged_at = select(diverged_at, min(diverged_at, step), !is_finite_vec2(x));
            continue;
        }
        let words = particle_words(particle, step, STREAM_STEP, key);
        let y = x + row.step_size * current.yz + row.noise_scale * normal_pair(words.x, words.y);
        let proposal = field_eval(y);
        let log_ratio = -(proposal.x - current.x) / row.temperature
            + mala_log_proposal(x, y, proposal.yz, row)
            - mala_log_proposal(y, x, current.yz, row);
        // A NaN or infinite ratio fails this comparison, so the move is rejected.
        let accept = log(uniform_open_closed(words.z)) < log_ratio && is_finite_vec2(y)
            && is_finite_vec2(proposal.yz) && abs(proposal.x) < 3.0e38;
        x = select(x, y, accept);
        current = select(current, proposal, accept);
        accepted += u32(accept);
        diverged_at = select(diverged_at, min(diverged_at, step), !is_finite_vec2(x));
    }

    if (diverged_at != NOT_DIVERGED) {
        record_divergence(diverged_at);
    }
    record_acceptance(accepted, dispatch.step_end - dispatch.step_begin);
    positions[index] = x;
}
