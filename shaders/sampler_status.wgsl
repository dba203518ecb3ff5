// Counters shared by the Langevin stages (ULA, MALA, BAOAB), reset by the CPU at each
// level. Mirrors SamplerStatus in src/sampler/gpu_data.rs. 64-bit totals are kept as
// (low, high) pairs of u32 words because core WGSL has no 64-bit atomics.
struct SamplerStatus {
    diverged: atomic<u32>,
    first_diverged_step: atomic<u32>,
    accepted_lo: atomic<u32>,
    accepted_hi: atomic<u32>,
    proposed_lo: atomic<u32>,
    proposed_hi: atomic<u32>,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(3) var<storage, read_write> status: SamplerStatus;

fn record_divergence(step: u32) {
    atomicAdd(&status.diverged, 1u);
    atomicMin(&status.first_diverged_step, step);
}

// Adds a particle's MALA counts for one block. The carry into the high word is exact
// because atomicAdd returns the previous low word.
fn record_acceptance(accepted: u32, proposed: u32) {
    let previous_accepted = atomicAdd(&status.accepted_lo, accepted);
    if (previous_accepted > 0xffffffffu - accepted) {
        atomicAdd(&status.accepted_hi, 1u);
    }
    let previous_proposed = atomicAdd(&status.proposed_lo, proposed);
    if (previous_proposed > 0xffffffffu - proposed) {
        atomicAdd(&status.proposed_hi, 1u);
    }
}
const NOT_DIVERGED: u32 = 0xffffffffu;
