// Every field file defines `field_potential(x) -> f32` (V), `field_force(x) -> vec2<f32>`
// (-grad V) and `field_eval(x) -> vec3<f32>` ((V, force)), for stages that need both.
//
// Parameters of the field, at binding 0 of group 0 in every stage that evaluates it. The
// layout of the rows belongs to the field kind (see each fields/*.wgsl file). A uniform
// buffer, because every invocation reads the same rows: on lavapipe this doubled the step
// rate of the 8-component mixture over a storage buffer. A slider rewrites it in place.
struct FieldParams {
    rows: array<vec4<f32>, FIELD_PARAM_ROWS>,
}

@group(0) @binding(0) var<uniform> field_params: FieldParams;
