// Force arrows, first stage: one invocation per arrow of the grid evaluates the field's force
// at the centre of its cell, by the same WGSL the sampler runs, and stores the arrow's centre,
// force, direction on screen and magnitude. The next stage (overlay_arrow_scale.wgsl) sets the
// lengths, because they depend on every magnitude.

@group(0) @binding(2) var<storage, read_write> arrows: array<ArrowInstance>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn arrow_field_main(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let index = linear_invocation_index(global_id, workgroup_count);
    let columns = overlay.arrow_grid.x;
    if (index >= columns * overlay.arrow_grid.y) {
        return;
    }
    let cell = vec2<u32>(index % columns, index / columns);
    let cell_size = overlay.area_size / vec2<f32>(overlay.arrow_grid);
    let centre = (vec2<f32>(cell) + 0.5) * cell_size;
    let force = field_force(world_of_area_pixel(centre));

    // The force in pixels per unit time on screen: pixels need not be square, and rows grow
    // downwards.
    let world_per_pixel = (overlay.world_max - overlay.world_min) / overlay.area_size;
    let on_screen = vec2<f32>(force.x / world_per_pixel.x, -force.y / world_per_pixel.y);
    let screen_length = length(on_screen);
    var direction = vec2<f32>(0.0);
    if (is_finite_vec2(on_screen) && screen_length > 0.0) {
        direction = on_screen / screen_length;
    }
    arrows[index] = ArrowInstance(centre, force, direction, length(force), 0.0);
}
