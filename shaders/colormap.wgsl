// Colormap render pass: a full-screen triangle whose fragments each read the count of their
// pixel, map it through the scale to [0, 1] and look the colour up in a 256-entry table.
// Zero counts get the background colour. One framebuffer pixel per bin, from `origin`.

struct ColormapParams {
    width: u32,
    height: u32,
    // 0 linear, 1 log (log1p), 2 cbrt, 3 eq-hist. Mirrors Scale in src/density/scale.rs.
    scale: u32,
    // 1 when the target stores linear values (an sRGB format), so table colours are decoded.
    linear_output: u32,
    // Framebuffer pixel of the grid's top-left corner (the window draws beside a panel).
    origin: vec2<u32>,
    _pad0: u32,
    _pad1: u32,
    background: vec4<f32>,
}

struct DensityStats {
    max_count: u32,
    min_count: u32,
    nonzero: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: ColormapParams;
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read> stats: DensityStats;
@group(0) @binding(3) var<storage, read> cumulative: array<u32, HISTOGRAM_BINS>;
@group(0) @binding(4) var<storage, read> lut: array<vec4<f32>, 256>;

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((vertex << 1u) & 2u), f32(vertex & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

// Maps a count of at least 1 to (0, 1] by the scale.
fn scaled(count: u32) -> f32 {
    let c = f32(count);
    let max_count = f32(stats.max_count);
    switch params.scale {
        case 1u: {
            return log(1.0 + c) / log(1.0 + max_count);
        }
        case 2u: {
            return pow(c / max_count, 1.0 / 3.0);
        }
        case 3u: {
            // Histogram equalisation, (cdf(c) - cdf(min)) / (N - cdf(min)), so the lowest
            // count takes the bottom of the colormap; a single level takes the top.
            let lowest = f32(cumulative[histogram_bin(stats.min_count, stats.max_count)]);
            let total = f32(stats.nonzero);
            if (total <= lowest) {
                return 1.0;
            }
            let rank = f32(cumulative[histogram_bin(count, stats.max_count)]);
            return (rank - lowest) / (total - lowest);
        }
        default: {
            return c / max_count;
        }
    }
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let pixel = vec2<u32>(position.xy) - params.origin;
    if (pixel.x >= params.width || pixel.y >= params.height) {
        return params.background;
    }
    let count = counts[pixel.y * params.width + pixel.x];
    var colour = params.background;
    if (count > 0u) {
        let t = clamp(scaled(count), 0.0, 1.0);
        colour = lut[u32(round(t * 255.0))];
    }
    if (params.linear_output == 1u) {
        colour = vec4<f32>(srgb_to_linear(colour.rgb), colour.a);
    }
    return colour;
}
