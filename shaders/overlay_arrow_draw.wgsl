// Force arrows, drawing stage: an instanced draw, one instance per arrow (the vertex buffer is
// the arrow buffer the compute stages wrote) and 18 vertices each: a dark outline of 9
// vertices (shaft quad and head triangle), then the white arrow of 9 vertices on top. The
// arrow is centred on its grid point. Arrows shorter than a pixel collapse to nothing.

// Longest arrow head in pixels, the head's length as a fraction of the arrow, half the shaft's
// width, and the outline's width.
const ARROW_HEAD_MAX: f32 = 9.0;
const ARROW_HEAD_FRACTION: f32 = 0.4;
const ARROW_SHAFT_HALF_WIDTH: f32 = 1.0;
const ARROW_OUTLINE: f32 = 1.0;
const ARROW_FILL: vec3<f32> = vec3<f32>(1.0, 1.0, 1.0);
const ARROW_OUTLINE_COLOUR: vec3<f32> = vec3<f32>(0.0, 0.0, 0.0);

struct ArrowVertexInput {
    @builtin(vertex_index) vertex: u32,
    @location(0) centre: vec2<f32>,
    @location(1) direction: vec2<f32>,
    @location(2) length: f32,
}

struct ArrowVertexOutput {
    @builtin(position) position: vec4<f32>,
    @location(0) colour: vec4<f32>,
}

// Corner `corner` (0 to 8) of an arrow of `arrow_length` pixels grown by `grow` pixels on
// every side, as (along the arrow from its tail, across it to the left) in pixels.
fn arrow_corner(corner: u32, arrow_length: f32, grow: f32) -> vec2<f32> {
    let head_length = min(ARROW_HEAD_FRACTION * arrow_length, ARROW_HEAD_MAX);
    let head_half_width = 0.6 * head_length + grow;
    let shaft = ARROW_SHAFT_HALF_WIDTH + grow;
    let neck = arrow_length - head_length;
    let tail = -grow;
    let tip = arrow_length + 1.5 * grow;
    var corners = array<vec2<f32>, 9>(
        vec2<f32>(tail, -shaft), vec2<f32>(neck, -shaft), vec2<f32>(neck, shaft),
        vec2<f32>(tail, -shaft), vec2<f32>(neck, shaft), vec2<f32>(tail, shaft),
        vec2<f32>(neck, -head_half_width), vec2<f32>(tip, 0.0), vec2<f32>(neck, head_half_width));
    return corners[corner];
}

@vertex
fn arrow_vs_main(input: ArrowVertexInput) -> ArrowVertexOutput {
    let is_fill = input.vertex >= 9u;
    let grow = select(ARROW_OUTLINE, 0.0, is_fill);
    let local = arrow_corner(input.vertex % 9u, input.length, grow);
    let across = vec2<f32>(-input.direction.y, input.direction.x);
    var pixel = input.centre + input.direction * (local.x - 0.5 * input.length) + across * local.y;
    if (!(input.length >= 1.0)) {
        pixel = input.centre;
    }

    var output: ArrowVertexOutput;
    output.position = clip_of_area_pixel(pixel);
    if (is_fill) {
        output.colour = overlay_colour(ARROW_FILL, 1.0);
    } else {
        output.colour = overlay_colour(ARROW_OUTLINE_COLOUR, 0.85);
    }
    return output;
}

@fragment
fn arrow_fs_main(input: ArrowVertexOutput) -> @location(0) vec4<f32> {
    return input.colour;
}
