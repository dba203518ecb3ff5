// Contour lines, second stage: one workgroup sorts the CONTOUR_SAMPLES values of V (bitonic
// sort in workgroup memory, non-finite values last) and places CONTOUR_LEVELS levels above
// the CONTOUR_LOW_QUANTILE quantile up to the CONTOUR_HIGH_QUANTILE quantile. Quantiles
// instead of the minimum and maximum keep a singular point or a steep wall at the edge of the
// view from spreading the levels over values that almost no pixel has.
//
// The levels grow with the square of their index, low + span (j / count)^2, so around a
// harmonic minimum (V = V_min + k r^2 / 2) the lines are evenly spaced circles, lines are
// denser where V is low and the particles are, and fewer crowd on the steep walls.

@group(0) @binding(3) var<storage, read> contour_samples: array<f32, CONTOUR_SAMPLES>;
@group(0) @binding(4) var<storage, read_write> contour_levels: ContourLevels;

// Stands in for non-finite samples, so they sort after every finite one.
const NOT_FINITE_KEY: f32 = 3.4028235e38;

var<workgroup> sorted: array<f32, CONTOUR_SAMPLES>;
var<workgroup> finite_count: atomic<u32>;

// Mirrors `quantile_index` in src/overlay/geometry.rs.
fn quantile_index(quantile: f32, count: u32) -> u32 {
    return u32(floor(quantile * f32(count - 1u) + 0.5));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn contour_levels_main(@builtin(local_invocation_index) lane: u32) {
    var finite = 0u;
    for (var i = lane; i < CONTOUR_SAMPLES; i += WORKGROUP_SIZE) {
        let value = contour_samples[i];
        let is_finite = is_finite_vec2(vec2<f32>(value, 0.0));
        sorted[i] = select(NOT_FINITE_KEY, value, is_finite);
        finite += u32(is_finite);
    }
    atomicAdd(&finite_count, finite);
    workgroupBarrier();

    // Bitonic sort: merge sorted runs of length k / 2 into runs of length k.
    for (var k = 2u; k <= CONTOUR_SAMPLES; k *= 2u) {
        for (var j = k / 2u; j > 0u; j /= 2u) {
            for (var i = lane; i < CONTOUR_SAMPLES; i += WORKGROUP_SIZE) {
                let partner = i ^ j;
                if (partner > i) {
                    let a = sorted[i];
                    let b = sorted[partner];
                    let ascending = (i & k) == 0u;
                    if ((a > b) == ascending) {
                        sorted[i] = b;
                        sorted[partner] = a;
                    }
                }
            }
            workgroupBarrier();
        }
    }

    if (lane != 0u) {
        return;
    }
    var levels = ContourLevels(0.0, 0.0, 0u, 0u);
    let count = atomicLoad(&finite_count);
    if (count >= 2u) {
        let low = sorted[quantile_index(CONTOUR_LOW_QUANTILE, count)];
        let high = sorted[quantile_index(CONTOUR_HIGH_QUANTILE, count)];
        let span = high - low;
        if (span > 0.0 && is_finite_vec2(vec2<f32>(span, low))) {
            levels = ContourLevels(low, span, CONTOUR_LEVELS, 0u);
        }
    }
    contour_levels = levels;
}
