// Philox4x32-10 counter-based random numbers and the Box-Muller transform.
// Shared by every stage that draws noise; the CPU reference is src/rng.rs, and the
// constants PHILOX_* and STREAM_* come from the generated prelude. The 32x32 -> 64-bit
// product `philox_mulhilo` comes from philox_mulhilo_int64.wgsl where the device has
// 64-bit integers, else from philox_mulhilo_u32.wgsl.

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var round = 0u; round < PHILOX_ROUNDS; round += 1u) {
        if (round > 0u) {
            k += vec2<u32>(PHILOX_W0, PHILOX_W1);
        }
        let p0 = philox_mulhilo(PHILOX_M0, c.x);
        let p1 = philox_mulhilo(PHILOX_M1, c.z);
        c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    }
    return c;
}

// Maps a word to (0, 1] as cuRAND does: w * 2^-32 + 2^-33, so log(u) is finite.
fn uniform_open_closed(word: u32) -> f32 {
    return f32(word) * 2.3283064e-10 + 1.1641532e-10;
}

// Box-Muller: returns (r sin(2 pi v), r cos(2 pi v)) with r = sqrt(-2 ln u).
fn normal_pair(word_u: u32, word_v: u32) -> vec2<f32> {
    let radius = sqrt(-2.0 * log(uniform_open_closed(word_u)));
    let angle = 6.2831853 * uniform_open_closed(word_v);
    return radius * vec2<f32>(sin(angle), cos(angle));
}

// The four words of one particle at one step of one stream.
fn particle_words(particle_index: u32, step: u32, stream: u32, key: vec2<u32>) -> vec4<u32> {
    return philox4x32_10(vec4<u32>(particle_index, step, stream, 0u), key);
}
