// Types and helpers shared by the overlay stages (force arrows and contour lines of V): the
// view rectangle in world units, the area of the framebuffer it fills, and the colours. The
// structs mirror #[repr(C)] types in src/overlay/gpu_data.rs; a test checks their layout.

struct OverlayParams {
    // World rectangle shown in the area: (x_min, y_min) and (x_max, y_max).
    world_min: vec2<f32>,
    world_max: vec2<f32>,
    // Framebuffer pixel of the area's top-left corner, and the area's size in pixels.
    area_origin: vec2<f32>,
    area_size: vec2<f32>,
    // Columns and rows of the arrow grid; one arrow sits at the centre of each cell.
    arrow_grid: vec2<u32>,
    // Longest arrow, and the length of an arrow whose force has the reference magnitude,
    // both in pixels.
    arrow_max_length: f32,
    arrow_reference_length: f32,
    // 1 when the target stores linear values (an sRGB format), so sRGB colours are decoded.
    linear_output: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// One force arrow: its centre in pixels from the area's top-left corner, the force in world
// units, the unit direction on screen (y down), the force's magnitude, and the length in
// pixels that overlay_arrow_scale.wgsl sets.
struct ArrowInstance {
    centre: vec2<f32>,
    force: vec2<f32>,
    direction: vec2<f32>,
    magnitude: f32,
    length: f32,
}

@group(0) @binding(1) var<uniform> overlay: OverlayParams;

// World position of a point given in pixels from the area's top-left corner. Pixel rows grow
// downwards and y grows upwards, as in the density grid.
fn world_of_area_pixel(p: vec2<f32>) -> vec2<f32> {
    let t = p / overlay.area_size;
    return vec2<f32>(
        mix(overlay.world_min.x, overlay.world_max.x, t.x),
        mix(overlay.world_max.y, overlay.world_min.y, t.y));
}

// Clip-space position of a point given in pixels from the area's top-left corner, for a
// render pass whose viewport is the area.
fn clip_of_area_pixel(p: vec2<f32>) -> vec4<f32> {
    let ndc = vec2<f32>(p.x / overlay.area_size.x * 2.0 - 1.0, 1.0 - p.y / overlay.area_size.y * 2.0);
    return vec4<f32>(ndc, 0.0, 1.0);
}

// A premultiplied colour from an sRGB colour and an opacity, decoded to linear values when
// the target is an sRGB format.
fn overlay_colour(srgb: vec3<f32>, alpha: f32) -> vec4<f32> {
    var rgb = srgb;
    if (overlay.linear_output == 1u) {
        let low = srgb / 12.92;
        let high = pow((srgb + 0.055) / 1.055, vec3<f32>(2.4));
        rgb = select(high, low, srgb <= vec3<f32>(0.04045));
    }
    return vec4<f32>(rgb * alpha, alpha);
}

// The contour levels of V, written by overlay_contour_levels.wgsl: level j (1 to `count`)
// is low + span (j / count)^2. `count` is 0 when the view holds too few finite values of V.
struct ContourLevels {
    low: f32,
    span: f32,
    count: u32,
    _pad: u32,
}

// Position of `value` on the scale of the levels: level j lies at j. Mirrors
// `contour_coordinate` in src/overlay/geometry.rs.
fn contour_coordinate(value: f32, levels: ContourLevels) -> f32 {
    return f32(levels.count) * sqrt(max(value - levels.low, 0.0) / levels.span);
}
