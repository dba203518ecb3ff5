// Initial velocities of the underdamped integrator: one invocation per particle of one
// buffer draws v ~ N(0, T I) from stream STREAM_VELOCITY at step 0.

struct VelocityInit {
    temperature: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> velocity_init: VelocityInit;
@group(0) @binding(1) var<uniform> dispatch: DispatchParams;
@group(0) @binding(2) var<storage, read_write> velocities: array<vec2<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn init_velocity_main(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let index = linear_invocation_index(global_id, workgroup_count);
    if (index >= dispatch.particle_count) {
        return;
    }
    let key = vec2<u32>(dispatch.seed_lo, dispatch.seed_hi);
    let words = particle_words(dispatch.particle_offset + index, 0u, STREAM_VELOCITY, key);
    velocities[index] = sqrt(velocity_init.temperature) * normal_pair(words.x, words.y);
}
