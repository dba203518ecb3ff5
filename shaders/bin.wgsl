// Density binning: one invocation per particle of one buffer adds 1 to the count of the
// pixel under it, with u32 atomics (core WGSL has no float atomics). Row 0 is the top of
// the view (largest y). Non-finite particles and particles outside the view are skipped.

struct BinParams {
    world_min: vec2<f32>,
    world_max: vec2<f32>,
    width: u32,
    height: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> bin_params: BinParams;
@group(0) @binding(1) var<storage, read> positions: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn bin_main(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let index = linear_invocation_index(global_id, workgroup_count);
    if (index >= arrayLength(&positions)) {
        return;
    }
    let x = positions[index];
    if (!is_finite_vec2(x)) {
        return;
    }
    let size = vec2<f32>(f32(bin_params.width), f32(bin_params.height));
    let extent = bin_params.world_max - bin_params.world_min;
    let pixel = floor(vec2<f32>(
        (x.x - bin_params.world_min.x) / extent.x * size.x,
        (bin_params.world_max.y - x.y) / extent.y * size.y));
    if (any(pixel < vec2<f32>(0.0)) || any(pixel >= size)) {
        return;
    }
    let cell = u32(pixel.y) * bin_params.width + u32(pixel.x);
    atomicAdd(&counts[cell], 1u);
}
