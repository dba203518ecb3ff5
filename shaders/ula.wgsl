// Unadjusted Langevin (Euler-Maruyama) steps: x' = x + h F(x) + sqrt(2 h T) xi, with the
// force F = -grad V = T * score. One invocation per particle runs the block of steps
// [step_begin, step_end) with the particle in registers. A block never crosses a level, so
// h and sqrt(2 h T) are read from the schedule table once, and the field parameters are
// those of the block's level.
//
// A particle that turns non-finite stays non-finite (NaN and infinity propagate through
// every update), so the block records the first such step without branching, and the
// particle is counted once: later blocks skip it.

@group(0) @binding(1) var<storage, read> schedule: array<ScheduleStep>;
@group(0) @binding(2) var<uniform> dispatch: DispatchParams;
@group(0) @binding(4) var<storage, read_write> positions: array<vec2<f32>>;

// The drift h F, or with TAMED_DRIFT (set by the composition) the tamed drift
// h F / (1 + h |F|), which stays below 1 in length however fast the force grows.
fn ula_drift(force: vec2<f32>, step_size: f32) -> vec2<f32> {
    let drift = step_size * force;
    if (TAMED_DRIFT) {
        return drift / (1.0 + length(drift));
    }
    return drift;
}

fn ula_step(x: vec2<f32>, row: ScheduleStep, particle: u32, step: u32, key: vec2<u32>) -> vec2<f32> {
    let words = particle_words(particle, step, STREAM_STEP, key);
    return x + ula_drift(field_force(x), row.step_size) + row.noise_scale * normal_pair(words.x, words.y);
}

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
    let row = schedule[dispatch.schedule_row];
    var diverged_at = NOT_DIVERGED;
    // NOTE: ULA reads only the force, so a particle where V is undefined but the force is
    // finite (log(x) at x < 0) moves on unnoticed; MALA counts such particles as diverged.

    // Two steps per iteration: on lavapipe this ran the 8-component mixture 15% faster than
    // one, because the loop's bookkeeping is paid once per pair.
    var step = dispatch.step_begin;
    for (; step + 1u < dispatch.step_end; step += 2u) {
        x = ula_step(x, row, particle, step, key);
        diverged_at = select(diverged_at, min(diverged_at, step), !is_finite_vec2(x));
        x = ula_step(x, row, particle, step + 1u, key);
        diverged_at = select(diverged_at, min(diverged_at, step + 1u), !is_finite_vec2(x));
    }
    if (step < dispatch.step_end) {
        x = ula_step(x, row, particle, step, key);
        diverged_at = select(diverged_at, min(diverged_at, step), !is_finite_vec2(x));
    }

    if (diverged_at != NOT_DIVERGED) {
        record_divergence(diverged_at);
    }
    positions[index] = x;
}
