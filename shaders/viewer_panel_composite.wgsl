// Panel composite: a full-screen triangle, scissored to what egui drew, whose fragments copy
// the premultiplied pixels of the texture the panel was drawn into over the frame. egui draws
// into that texture only when the panel changes, because on a software adapter drawing the
// panel costs more than the rest of a frame.

@group(0) @binding(0) var panel_texture: texture_2d<f32>;

@vertex
fn composite_vs_main(@builtin(vertex_index) vertex: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((vertex << 1u) & 2u), f32(vertex & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn composite_fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return textureLoad(panel_texture, vec2<i32>(position.xy), 0);
}
