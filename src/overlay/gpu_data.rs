//! `#[repr(C)]` structs shared with the overlay shaders. Keep in sync with
//! `shaders/overlay_common.wgsl`. The test `overlay_struct_layouts` in `tests/shaders.rs`
//! compares sizes and offsets with naga's reflection.

use bytemuck::{Pod, Zeroable};

/// The view and the framebuffer area the overlays draw into. Mirrors `OverlayParams`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct OverlayParams {
    /// World rectangle shown in the area: (x_min, y_min) and (x_max, y_max).
    pub world_min: [f32; 2],
    pub world_max: [f32; 2],
    /// Framebuffer pixel of the area's top-left corner, and the area's size in pixels.
    pub area_origin: [f32; 2],
    pub area_size: [f32; 2],
    /// Columns and rows of the arrow grid.
    pub arrow_grid: [u32; 2],
    /// Maximum arrow length in pixels.
    pub arrow_max_length: f32,
    /// Length in pixels of an arrow whose force has the reference magnitude.
    pub arrow_reference_length: f32,
    /// 1 when the target is an sRGB format.
    pub linear_output: u32,
    pub _pad: [u32; 3],
}

/// One force arrow as the compute stages write it and the draw stage reads it as instance
/// attributes. Mirrors `ArrowInstance`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ArrowInstance {
    /// Pixels from the area's top-left corner.
    pub centre: [f32; 2],
    /// The force -grad V in world units.
    pub force: [f32; 2],
    /// Unit direction on screen, rows growing downwards; zero for a zero or non-finite force.
    pub direction: [f32; 2],
    pub magnitude: f32,
    /// Pixels.
    pub length: f32,
}

/// The contour levels the GPU picked: level j (1 to `count`) is low + span (j / count)^2.
/// Mirrors `ContourLevels`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ContourLevels {
    pub low: f32,
    pub span: f32,
    pub count: u32,
    pub _pad: u32,
}
