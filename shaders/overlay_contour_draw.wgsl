// Contour lines, drawing stage: a full-screen triangle clipped to the area, whose fragments
// each evaluate V at their pixel centre and draw the lines where V crosses a contour level.
// The distance to the nearest level in pixels is the distance on the levels' scale over its
// fwidth, so the lines keep their width at any zoom, and lines closer than a few pixels fade
// out instead of filling steep walls with white.

@group(0) @binding(4) var<storage, read> contour_levels: ContourLevels;

// Half the line width in pixels, the line colour (sRGB) and opacity, and the spacing between
// lines in pixels below which they start to fade and are gone.
const CONTOUR_HALF_WIDTH: f32 = 0.6;
const CONTOUR_COLOUR: vec3<f32> = vec3<f32>(1.0, 1.0, 1.0);
const CONTOUR_ALPHA: f32 = 0.6;
const CONTOUR_FADE_START_PIXELS: f32 = 4.0;
const CONTOUR_FADE_END_PIXELS: f32 = 2.0;

@vertex
fn contour_vs_main(@builtin(vertex_index) vertex: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((vertex << 1u) & 2u), f32(vertex & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn contour_fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let levels = contour_levels;
    let value = field_potential(world_of_area_pixel(position.xy - overlay.area_origin));
    let t = contour_coordinate(value, levels);
    // Computed before any branch: derivatives need uniform control flow.
    let t_per_pixel = fwidth(t);

    let nearest = round(t);
    let on_a_level = levels.count > 0u && nearest >= 1.0 && nearest <= f32(levels.count);
    if (!on_a_level || !(t_per_pixel > 0.0) || !is_finite_vec2(vec2<f32>(t, t_per_pixel))) {
        discard;
    }
    let distance_pixels = abs(t - nearest) / t_per_pixel;
    let coverage = clamp(CONTOUR_HALF_WIDTH + 0.5 - distance_pixels, 0.0, 1.0);
    let spacing_pixels = 1.0 / t_per_pixel;
    let fade = clamp(
        (spacing_pixels - CONTOUR_FADE_END_PIXELS) / (CONTOUR_FADE_START_PIXELS - CONTOUR_FADE_END_PIXELS),
        0.0, 1.0);
    return overlay_colour(CONTOUR_COLOUR, CONTOUR_ALPHA * coverage * fade);
}
