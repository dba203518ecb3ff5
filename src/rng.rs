//! Philox4x32-10 counter-based random numbers (Salmon et al. 2011, Random123) and the
//! Box-Muller transform, as the CPU reference for `shaders/philox.wgsl`.
//!
//! The sampler never keeps per-particle RNG state: the words for particle `i` at step `s`
//! come from the counter `(i, s, stream, 0)` under the key `(seed_lo, seed_hi)`, so they do
//! not depend on dispatch sizes, chunking or the device, and this module reproduces them.

/// Round multipliers of Philox4x32.
pub const PHILOX_M0: u32 = 0xD251_1F53;
pub const PHILOX_M1: u32 = 0xCD9E_8D57;
/// Key increments per round (golden ratio and sqrt(3) - 1 in 32-bit fixed point).
pub const PHILOX_W0: u32 = 0x9E37_79B9;
pub const PHILOX_W1: u32 = 0xBB67_AE85;
/// Number of rounds; 10 is the variant that passes BigCrush with margin.
pub const PHILOX_ROUNDS: u32 = 10;

/// Third counter word of each use of the generator, so that the streams never overlap.
pub const STREAM_STEP: u32 = 0;
pub const STREAM_INIT: u32 = 1;
pub const STREAM_VELOCITY: u32 = 2;

fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let product = u64::from(a) * u64::from(b);
    ((product >> 32) as u32, product as u32)
}

/// Returns the four output words of Philox4x32-10 for one counter and key.
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..PHILOX_ROUNDS {
        if round > 0 {
            k[0] = k[0].wrapping_add(PHILOX_W0);
            k[1] = k[1].wrapping_add(PHILOX_W1);
        }
        let (hi0, lo0) = mulhilo(PHILOX_M0, c[0]);
        let (hi1, lo1) = mulhilo(PHILOX_M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Splits a 64-bit seed into the Philox key.
pub fn key_from_seed(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// Maps a word to (0, 1]: `w * 2^-32 + 2^-33`, as cuRAND does, so that `ln(u)` is finite.
/// Computed in f32 exactly as the shader does.
pub fn uniform_open_closed(word: u32) -> f32 {
    word as f32 * 2.328_306_4e-10 + 1.164_153_2e-10
}

/// Box-Muller on two words: `r = sqrt(-2 ln u)`, angle `2 pi v`, returns
/// `(r sin(angle), r cos(angle))`. f32 throughout, like the shader.
pub fn normal_pair(word_u: u32, word_v: u32) -> [f32; 2] {
    let u = uniform_open_closed(word_u);
    let v = uniform_open_closed(word_v);
    let radius = (-2.0 * u.ln()).sqrt();
    let angle = std::f32::consts::TAU * v;
    [radius * angle.sin(), radius * angle.cos()]
}

/// The four words a particle draws at one step of one stream.
pub fn particle_words(seed: u64, particle_index: u32, step: u32, stream: u32) -> [u32; 4] {
    philox4x32_10([particle_index, step, stream, 0], key_from_seed(seed))
}

/// The standard normal pair a particle draws at one step (words 0 and 1 of its block).
pub fn particle_normal_pair(seed: u64, particle_index: u32, step: u32, stream: u32) -> [f32; 2] {
    let words = particle_words(seed, particle_index, step, stream);
    normal_pair(words[0], words[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_known_answers() {
        // Random123 known-answer vectors for philox4x32_10.
        let cases: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
            ([0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
            (
                [0xffffffff; 4],
                [0xffffffff; 2],
                [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
            ),
            (
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0],
                [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
            ),
        ];
        for (counter, key, expected) in cases {
            assert_eq!(philox4x32_10(counter, key), expected, "counter {counter:08x?}");
        }
    }

    #[test]
    fn uniform_stays_in_open_closed_interval() {
        assert!(uniform_open_closed(0) > 0.0);
        assert!(uniform_open_closed(u32::MAX) <= 1.0);
        assert!(normal_pair(0, 0)[0].is_finite());
        assert!(normal_pair(u32::MAX, u32::MAX)[1].is_finite());
    }
}
