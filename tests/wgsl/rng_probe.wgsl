// Test probe for shaders/philox.wgsl: one invocation per input row.
// `philox_probe` applies Philox4x32-10 to (counter, key) rows; `normal_probe` returns the
// Box-Muller pair and the two uniforms of particle `index` at step `step` of the stream.

@group(0) @binding(0) var<storage, read> inputs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> keys: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> outputs: array<vec4<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn philox_probe(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let i = linear_invocation_index(global_id, workgroup_count);
    if (i >= arrayLength(&inputs)) {
        return;
    }
    outputs[i] = philox4x32_10(inputs[i], keys[i].xy);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn normal_probe(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let i = linear_invocation_index(global_id, workgroup_count);
    if (i >= arrayLength(&inputs)) {
        return;
    }
    // inputs[i] = (particle index, step, stream, unused)
    let words = particle_words(inputs[i].x, inputs[i].y, inputs[i].z, keys[i].xy);
    let pair = normal_pair(words.x, words.y);
    let uniforms = vec2<f32>(uniform_open_closed(words.z), uniform_open_closed(words.w));
    outputs[i] = bitcast<vec4<u32>>(vec4<f32>(pair, uniforms));
}
