// Contour lines, first stage: one invocation per point of a CONTOUR_GRID x CONTOUR_GRID grid
// over the area (cell centres) evaluates V there, by the same WGSL the sampler runs. The next
// stage picks the contour levels from these samples.

@group(0) @binding(3) var<storage, read_write> contour_samples: array<f32, CONTOUR_SAMPLES>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn contour_sample_main(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let index = linear_invocation_index(global_id, workgroup_count);
    if (index >= CONTOUR_SAMPLES) {
        return;
    }
    let cell = vec2<u32>(index % CONTOUR_GRID, index / CONTOUR_GRID);
    let pixel = (vec2<f32>(cell) + 0.5) / f32(CONTOUR_GRID) * overlay.area_size;
    contour_samples[index] = field_potential(world_of_area_pixel(pixel));
}
