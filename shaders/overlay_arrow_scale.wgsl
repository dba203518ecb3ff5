// Force arrows, second stage: one workgroup sets the length of every arrow. The reference
// magnitude is the geometric mean of the finite, non-zero magnitudes over the grid, so one
// steep region (the walls of a potential grow fast) does not shrink every other arrow; an
// arrow of the reference magnitude is `arrow_reference_length` pixels long, lengths grow in
// proportion to the magnitude and stop at `arrow_max_length`.

@group(0) @binding(2) var<storage, read_write> arrows: array<ArrowInstance>;

var<workgroup> log_sums: array<f32, WORKGROUP_SIZE>;
var<workgroup> counts: array<u32, WORKGROUP_SIZE>;

// Mirrors `arrow_length` in src/overlay/geometry.rs.
fn arrow_length(magnitude: f32, reference: f32) -> f32 {
    if (!(magnitude > 0.0) || !(reference > 0.0) || !is_finite_vec2(vec2<f32>(magnitude, reference))) {
        return 0.0;
    }
    return min(overlay.arrow_reference_length * (magnitude / reference), overlay.arrow_max_length);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn arrow_scale_main(@builtin(local_invocation_index) lane: u32) {
    let count = overlay.arrow_grid.x * overlay.arrow_grid.y;
    var log_sum = 0.0;
    var finite = 0u;
    for (var i = lane; i < count; i += WORKGROUP_SIZE) {
        let magnitude = arrows[i].magnitude;
        if (magnitude > 0.0 && is_finite_vec2(vec2<f32>(magnitude, 0.0))) {
            log_sum += log(magnitude);
            finite += 1u;
        }
    }
    log_sums[lane] = log_sum;
    counts[lane] = finite;
    workgroupBarrier();

    // Tree reduction over the lanes.
    for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
        if (lane < stride) {
            log_sums[lane] += log_sums[lane + stride];
            counts[lane] += counts[lane + stride];
        }
        workgroupBarrier();
    }

    var reference = 0.0;
    if (counts[0] > 0u) {
        reference = exp(log_sums[0] / f32(counts[0]));
    }
    for (var i = lane; i < count; i += WORKGROUP_SIZE) {
        arrows[i].length = arrow_length(arrows[i].magnitude, reference);
    }
}
