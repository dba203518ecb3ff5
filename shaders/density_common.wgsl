// The histogram bin of a non-zero count for eq-hist, shared by the statistics and colormap
// stages. Counts up to HISTOGRAM_BINS get a bin each; above that the range [1, max] is
// split evenly (in f32, which is exact enough for a colour).
fn histogram_bin(count: u32, max_count: u32) -> u32 {
    if (max_count <= HISTOGRAM_BINS) {
        return count - 1u;
    }
    let fraction = f32(count - 1u) / f32(max_count - 1u);
    return min(u32(fraction * f32(HISTOGRAM_BINS - 1u)), HISTOGRAM_BINS - 1u);
}
