//! Every WGSL file parses and validates with naga in each composition the program builds,
//! and the Rust structs shared with WGSL match naga's layout of them.

use std::collections::BTreeSet;

use scoreforce::density::{self, BinParams, ColormapParams, DensityStats, GridParams};
use scoreforce::field::probe::FIELD_PROBE_WGSL;
use scoreforce::overlay::gpu_data::{ArrowInstance, ContourLevels, OverlayParams};
use scoreforce::overlay::{self, stage_source};
use scoreforce::sampler::gpu_data::{DispatchParams, InitParams, SamplerStatus, ScheduleStep, VelocityInit};
use scoreforce::sampler::{INIT_VELOCITY_WGSL, INIT_WGSL, INTEGRATORS, Integrator, step_shader_source};
use scoreforce::scene::{PRESETS, Scene};
use scoreforce::shader::{self, ShaderOptions};

/// One field of each kind: the presets and an expression.
fn fields() -> Vec<scoreforce::field::Field> {
    let mut fields: Vec<_> = PRESETS
        .iter()
        .map(|(name, _)| Scene::preset(name).unwrap().validate().unwrap().field)
        .collect();
    let expression = Scene::expression("(x^2 - 1)^2 + 0.5*y^2 + sin(x*y)").unwrap();
    fields.push(expression.validate().unwrap().field);
    fields
}

/// Every composed module the program builds, with a label.
fn modules() -> Vec<(String, String)> {
    let mut modules = vec![
        ("init".to_string(), shader::compose_stage(INIT_WGSL, None, ShaderOptions { int64: false })),
        ("init.int64".to_string(), shader::compose_stage(INIT_WGSL, None, ShaderOptions { int64: true })),
        (
            "init_velocity".to_string(),
            shader::compose_stage(INIT_VELOCITY_WGSL, None, ShaderOptions { int64: false }),
        ),
        ("bin".to_string(), shader::compose(density::BIN_WGSL)),
        (
            "density_stats".to_string(),
            shader::compose(&[density::DENSITY_COMMON_WGSL, density::DENSITY_STATS_WGSL].join("\n")),
        ),
        (
            "colormap".to_string(),
            shader::compose(&[density::DENSITY_COMMON_WGSL, density::COLORMAP_WGSL].join("\n")),
        ),
    ];
    modules.push((
        "viewer_panel_composite".to_string(),
        shader::compose(scoreforce::viewer::PANEL_COMPOSITE_WGSL),
    ));
    for (label, stage) in [
        ("overlay_arrow_scale", overlay::ARROW_SCALE_WGSL),
        ("overlay_arrow_draw", overlay::ARROW_DRAW_WGSL),
        ("overlay_contour_levels", overlay::CONTOUR_LEVELS_WGSL),
    ] {
        modules.push((label.to_string(), stage_source(stage, None, ShaderOptions::default())));
    }
    for field in fields() {
        for integrator in INTEGRATORS {
            for int64 in [false, true] {
                for tamed in [false, integrator == Integrator::Ula] {
                    modules.push((
                        format!("{}[{}] int64 {int64} tamed {tamed}", integrator.name(), field.kind_name()),
                        step_shader_source(&field, integrator, tamed, ShaderOptions { int64 }),
                    ));
                }
            }
        }
        modules.push((
            format!("field_probe[{}]", field.kind_name()),
            shader::compose_stage(FIELD_PROBE_WGSL, Some(&field), ShaderOptions::default()),
        ));
        for (label, stage) in [
            ("overlay_arrow_field", overlay::ARROW_FIELD_WGSL),
            ("overlay_contour_sample", overlay::CONTOUR_SAMPLE_WGSL),
            ("overlay_contour_draw", overlay::CONTOUR_DRAW_WGSL),
        ] {
            modules.push((
                format!("{label}[{}]", field.kind_name()),
                stage_source(stage, Some(&field), ShaderOptions::default()),
            ));
        }
    }
    modules
}

#[test]
fn every_composed_module_validates() {
    for (label, source) in modules() {
        if let Err(error) = shader::validate(&label, &source) {
            panic!("{error}");
        }
    }
}

#[test]
fn every_shader_file_is_in_a_validated_module() {
    let modules = modules();
    let mut uncovered = BTreeSet::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "wgsl") {
                let text = std::fs::read_to_string(&path).unwrap();
                if !modules.iter().any(|(_, source)| source.contains(&text)) {
                    uncovered.insert(path.strip_prefix(&root).unwrap().display().to_string());
                }
            }
        }
    }
    assert!(uncovered.is_empty(), "WGSL files in no validated module: {uncovered:?}");
}

fn check_layout(module: &naga::Module, name: &str, rust_size: usize, rust_offsets: &[usize]) {
    let size = shader::struct_size(module, name).unwrap_or_else(|| panic!("no struct {name}"));
    assert_eq!(size as usize, rust_size, "size of {name}");
    let offsets = shader::struct_offsets(module, name).unwrap();
    let offsets: Vec<usize> = offsets.into_iter().map(|o| o as usize).collect();
    assert_eq!(offsets, rust_offsets, "member offsets of {name}");
}

#[test]
fn gpu_struct_layouts() {
    use std::mem::{offset_of, size_of};

    let field = &fields()[0];
    let step =
        shader::validate("ula", &step_shader_source(field, Integrator::Ula, false, ShaderOptions::default())).unwrap();
    check_layout(
        &step,
        "ScheduleStep",
        size_of::<ScheduleStep>(),
        &[
            offset_of!(ScheduleStep, step_size),
            offset_of!(ScheduleStep, noise_scale),
            offset_of!(ScheduleStep, sigma),
            offset_of!(ScheduleStep, temperature),
        ],
    );
    check_layout(
        &step,
        "DispatchParams",
        size_of::<DispatchParams>(),
        &[
            offset_of!(DispatchParams, particle_offset),
            offset_of!(DispatchParams, particle_count),
            offset_of!(DispatchParams, step_begin),
            offset_of!(DispatchParams, step_end),
            offset_of!(DispatchParams, seed_lo),
            offset_of!(DispatchParams, seed_hi),
            offset_of!(DispatchParams, friction),
            offset_of!(DispatchParams, schedule_row),
        ],
    );

    let velocity_source = shader::compose_stage(INIT_VELOCITY_WGSL, None, ShaderOptions::default());
    let velocity = shader::validate("init_velocity", &velocity_source).unwrap();
    check_layout(
        &velocity,
        "VelocityInit",
        size_of::<VelocityInit>(),
        &[offset_of!(VelocityInit, temperature), 4, 8, 12],
    );
    check_layout(&step, "SamplerStatus", size_of::<SamplerStatus>(), &[0, 4, 8, 12, 16, 20, 24, 28]);

    let init = shader::validate("init", &shader::compose_stage(INIT_WGSL, None, ShaderOptions::default())).unwrap();
    check_layout(
        &init,
        "InitParams",
        size_of::<InitParams>(),
        &[offset_of!(InitParams, kind), 4, 8, 12, offset_of!(InitParams, a), offset_of!(InitParams, b)],
    );

    let bin = shader::validate("bin", &shader::compose(density::BIN_WGSL)).unwrap();
    check_layout(
        &bin,
        "BinParams",
        size_of::<BinParams>(),
        &[
            offset_of!(BinParams, world_min),
            offset_of!(BinParams, world_max),
            offset_of!(BinParams, width),
            offset_of!(BinParams, height),
            24,
            28,
        ],
    );

    let stats_source =
        shader::compose(&[density::DENSITY_COMMON_WGSL, density::DENSITY_STATS_WGSL].join("\n"));
    let stats = shader::validate("density_stats", &stats_source).unwrap();
    check_layout(&stats, "GridParams", size_of::<GridParams>(), &[0, 4, 8, 12]);
    check_layout(
        &stats,
        "DensityStats",
        size_of::<DensityStats>(),
        &[
            offset_of!(DensityStats, max_count),
            offset_of!(DensityStats, min_count),
            offset_of!(DensityStats, nonzero),
            12,
        ],
    );

    let colormap_source =
        shader::compose(&[density::DENSITY_COMMON_WGSL, density::COLORMAP_WGSL].join("\n"));
    let colormap = shader::validate("colormap", &colormap_source).unwrap();
    check_layout(&colormap, "DensityStats", size_of::<DensityStats>(), &[0, 4, 8, 12]);
    check_layout(
        &colormap,
        "ColormapParams",
        size_of::<ColormapParams>(),
        &[
            offset_of!(ColormapParams, width),
            offset_of!(ColormapParams, height),
            offset_of!(ColormapParams, scale),
            offset_of!(ColormapParams, linear_output),
            offset_of!(ColormapParams, origin),
            24,
            28,
            offset_of!(ColormapParams, background),
        ],
    );
}

#[test]
fn overlay_struct_layouts() {
    use std::mem::{offset_of, size_of};

    let field = &fields()[0];
    let arrows = shader::validate(
        "overlay_arrow_field",
        &stage_source(overlay::ARROW_FIELD_WGSL, Some(field), ShaderOptions::default()),
    )
    .unwrap();
    check_layout(
        &arrows,
        "OverlayParams",
        size_of::<OverlayParams>(),
        &[
            offset_of!(OverlayParams, world_min),
            offset_of!(OverlayParams, world_max),
            offset_of!(OverlayParams, area_origin),
            offset_of!(OverlayParams, area_size),
            offset_of!(OverlayParams, arrow_grid),
            offset_of!(OverlayParams, arrow_max_length),
            offset_of!(OverlayParams, arrow_reference_length),
            offset_of!(OverlayParams, linear_output),
            52,
            56,
            60,
        ],
    );
    check_layout(
        &arrows,
        "ArrowInstance",
        size_of::<ArrowInstance>(),
        &[
            offset_of!(ArrowInstance, centre),
            offset_of!(ArrowInstance, force),
            offset_of!(ArrowInstance, direction),
            offset_of!(ArrowInstance, magnitude),
            offset_of!(ArrowInstance, length),
        ],
    );

    let levels = shader::validate(
        "overlay_contour_levels",
        &stage_source(overlay::CONTOUR_LEVELS_WGSL, None, ShaderOptions::default()),
    )
    .unwrap();
    check_layout(
        &levels,
        "ContourLevels",
        size_of::<ContourLevels>(),
        &[
            offset_of!(ContourLevels, low),
            offset_of!(ContourLevels, span),
            offset_of!(ContourLevels, count),
            12,
        ],
    );
}
