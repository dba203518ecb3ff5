// Initial positions: one invocation per particle of one buffer, drawing from stream
// STREAM_INIT at step 0, so the start does not depend on how particles are split.

struct InitParams {
    // 0: Gaussian with mean `a` and per-axis standard deviation `b`.
    // 1: uniform over the rectangle from `a` (minimum) to `b` (maximum).
    kind: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    a: vec2<f32>,
    b: vec2<f32>,
}

@group(0) @binding(0) var<uniform> init: InitParams;
@group(0) @binding(1) var<uniform> dispatch: DispatchParams;
@group(0) @binding(2) var<storage, read_write> positions: array<vec2<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn init_main(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let index = linear_invocation_index(global_id, workgroup_count);
    if (index >= dispatch.particle_count) {
        return;
    }
    let key = vec2<u32>(dispatch.seed_lo, dispatch.seed_hi);
    let words = particle_words(dispatch.particle_offset + index, 0u, STREAM_INIT, key);
    var position: vec2<f32>;
    if (init.kind == 0u) {
        position = init.a + init.b * normal_pair(words.x, words.y);
    } else {
        let u = vec2<f32>(uniform_open_closed(words.z), uniform_open_closed(words.w));
        position = init.a + (init.b - init.a) * u;
    }
    positions[index] = position;
}
