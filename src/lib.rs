//! scoreforce: a GPU Langevin sampler. WGSL compute shaders evaluate a parametric force
//! field (force = -grad V = T * score) and move millions of particles by (annealed)
//! Langevin dynamics inside GPU buffers; their density is binned on the GPU and written
//! to PNG, shown in a window, or timed headless.

pub mod accuracy;
pub mod bench;
pub mod density;
pub mod field;
pub mod gpu;
pub mod overlay;
pub mod rng;
pub mod sampler;
pub mod scene;
pub mod schedule;
pub mod shader;
pub mod viewer;
