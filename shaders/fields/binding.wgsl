// Parameters of the field, at binding 0 of group 0 in every stage that evaluates it. The
// layout of the vec4 rows belongs to the field kind (see each fields/*.wgsl file); a slider
// rewrites this buffer without a new pipeline.
@group(0) @binding(0) var<storage, read> field_params: array<vec4<f32>>;
