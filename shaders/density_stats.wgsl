// Statistics of the count grid for the scales: the largest and smallest non-zero counts,
// the number of non-zero pixels, and for eq-hist a histogram of the non-zero counts in
// HISTOGRAM_BINS bins and its running sum. Three entry points, run in order:
// `find_range` and `fill_histogram` take one invocation per pixel, `scan_histogram` runs
// as a single workgroup.

struct GridParams {
    width: u32,
    height: u32,
    _pad0: u32,
    _pad1: u32,
}

struct DensityStats {
    max_count: atomic<u32>,
    min_count: atomic<u32>,
    nonzero: atomic<u32>,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> grid: GridParams;
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> stats: DensityStats;
@group(0) @binding(3) var<storage, read_write> histogram: array<atomic<u32>, HISTOGRAM_BINS>;
@group(0) @binding(4) var<storage, read_write> cumulative: array<u32, HISTOGRAM_BINS>;

fn pixel_count(global_id: vec3<u32>, workgroup_count: vec3<u32>) -> u32 {
    let index = linear_invocation_index(global_id, workgroup_count);
    if (index >= grid.width * grid.height) {
        return 0u;
    }
    return counts[index];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn find_range(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let count = pixel_count(global_id, workgroup_count);
    if (count == 0u) {
        return;
    }
    atomicMax(&stats.max_count, count);
    atomicMin(&stats.min_count, count);
    atomicAdd(&stats.nonzero, 1u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fill_histogram(
    @builtin(global_invocation_id) global_id: vec3<u32>,
    @builtin(num_workgroups) workgroup_count: vec3<u32>,
) {
    let count = pixel_count(global_id, workgroup_count);
    if (count == 0u) {
        return;
    }
    atomicAdd(&histogram[histogram_bin(count, atomicLoad(&stats.max_count))], 1u);
}

const SCAN_THREADS: u32 = 256u;
const BINS_PER_THREAD: u32 = HISTOGRAM_BINS / SCAN_THREADS;
var<workgroup> partial_sums: array<u32, SCAN_THREADS>;

@compute @workgroup_size(SCAN_THREADS)
fn scan_histogram(@builtin(local_invocation_index) thread: u32) {
    let first = thread * BINS_PER_THREAD;
    var sum = 0u;
    for (var i = 0u; i < BINS_PER_THREAD; i += 1u) {
        sum += atomicLoad(&histogram[first + i]);
    }
    partial_sums[thread] = sum;
    workgroupBarrier();

    // Hillis-Steele inclusive scan of the per-thread sums.
    for (var stride = 1u; stride < SCAN_THREADS; stride *= 2u) {
        var value = partial_sums[thread];
        if (thread >= stride) {
            value += partial_sums[thread - stride];
        }
        workgroupBarrier();
        partial_sums[thread] = value;
        workgroupBarrier();
    }

    var running = select(0u, partial_sums[thread - 1u], thread > 0u);
    for (var i = 0u; i < BINS_PER_THREAD; i += 1u) {
        running += atomicLoad(&histogram[first + i]);
        cumulative[first + i] = running;
    }
}
