// The 32x32 -> 64-bit product for Philox with 64-bit integers (wgpu's SHADER_INT64):
// on lavapipe it made the Philox part of a step about 20% cheaper than 16-bit halves.

// Returns (high word, low word) of the 64-bit product a * b.
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
    let product = u64(a) * u64(b);
    return vec2<u32>(u32(product >> 32u), u32(product));
}
