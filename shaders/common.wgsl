// Types and helpers shared by the sampler, binning and overlay stages. The structs mirror
// #[repr(C)] types in src/sampler/gpu_data.rs; a test checks their sizes with naga.

// One row of the schedule table: the step size h, the noise amplitude sqrt(2 h T), the noise
// level sigma of the smoothed field, and the temperature T.
struct ScheduleStep {
    step_size: f32,
    noise_scale: f32,
    sigma: f32,
    temperature: f32,
}

// Per-dispatch parameters: which particles this chunk holds and which steps to run.
struct DispatchParams {
    particle_offset: u32,
    particle_count: u32,
    step_begin: u32,
    step_end: u32,
    seed_lo: u32,
    seed_hi: u32,
    friction: f32,
    schedule_row: u32,
}

// Returns whether both components are finite (not NaN and not infinite). WGSL has no isnan,
// and a compiler may fold x != x away, so the exponent bits are tested instead.
fn is_finite_vec2(v: vec2<f32>) -> bool {
    let exponent = bitcast<vec2<u32>>(v) & vec2<u32>(0x7f800000u);
    return all(exponent != vec2<u32>(0x7f800000u));
}

// Linear index of this invocation over a 2-D grid of workgroups, so that more than
// 65535 workgroups fit in one dispatch.
fn linear_invocation_index(global_id: vec3<u32>, workgroup_count: vec3<u32>) -> u32 {
    return global_id.y * workgroup_count.x * WORKGROUP_SIZE + global_id.x;
}
