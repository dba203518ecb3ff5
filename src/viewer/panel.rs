//! The egui side panel: the field's parameters, the sampler's settings, the picture's style
//! and the live figures. The panel edits a `Controls` value and reports what changed as
//! `PanelAction`s, which the session applies to the GPU state.

use egui::{Color32, RichText};

use super::timing::{AUTO_MAX_STEPS, AUTO_TARGET_FPS, FrameSummary};
use crate::density::colormap::COLORMAPS;
use crate::density::scale::SCALES;
use crate::density::{Style, View};
use crate::field::{Component, Field};
use crate::overlay::OverlayLayers;

/// Width of the panel in points.
pub const PANEL_WIDTH: f32 = 300.0;

/// Values the panel edits.
#[derive(Clone, Debug)]
pub struct Controls {
    /// The field as edited; the session applies it when it is valid.
    pub field: Field,
    pub temperature: f64,
    pub step_size: f64,
    pub auto_steps: bool,
    /// Steps per frame when `auto_steps` is off.
    pub fixed_steps: u32,
    /// Particle count for the next reallocation.
    pub particles: u64,
    pub seed: u64,
    pub style: Style,
    pub layers: OverlayLayers,
    pub paused: bool,
}

/// A change the session applies after the panel has run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelAction {
    /// `Controls::field` changed.
    Field,
    /// The temperature or the step size changed: replace the schedule by a constant one.
    ConstantSchedule,
    /// Restore the scene's schedule and start again.
    SceneSchedule,
    /// Draw the initial positions again and restart the schedule.
    Restart,
    /// Allocate `Controls::particles` particles and start again.
    Reallocate,
    /// The seed changed: start again with it.
    Seed,
    Style,
    Screenshot,
}

/// The schedule's state, for the progress bar.
#[derive(Clone, Debug)]
pub struct Progress {
    pub next_step: u32,
    pub total_steps: u32,
    pub level: usize,
    pub levels: usize,
    /// "sigma = 0.5" or "T = 2".
    pub level_label: String,
    pub schedule_kind: &'static str,
    /// Whether the panel replaced the scene's schedule.
    pub replaced: bool,
}

/// Figures the panel shows.
#[derive(Clone, Debug)]
pub struct Figures {
    pub recent: Option<FrameSummary>,
    /// Below 1 where the auto mode runs a step every few frames.
    pub steps_per_frame: f64,
    pub particles: u32,
    /// Non-finite particles since the last start, where read.
    pub non_finite: Option<u32>,
    pub progress: Progress,
    pub view: Option<View>,
    pub adapter: String,
    /// The last error of a panel change, shown in red.
    pub message: Option<String>,
}

/// Shows the panel on the left of `ui` and returns the rectangle it covers, in points.
pub fn show(
    ui: &mut egui::Ui,
    controls: &mut Controls,
    figures: &Figures,
    actions: &mut Vec<PanelAction>,
) -> egui::Rect {
    let response =
        egui::Panel::left("scoreforce.panel").exact_size(PANEL_WIDTH).resizable(false).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.heading("scoreforce");
                figures_section(ui, figures);
                ui.separator();
                sampler_section(ui, controls, figures, actions);
                ui.separator();
                field_section(ui, controls, actions);
                ui.separator();
                picture_section(ui, controls, actions);
                ui.separator();
                ui.label(
                    RichText::new(
                        "Drag to pan, wheel to zoom. Keys: space pause, R restart, S screenshot, \
                 A arrows, C contours, Esc quit.",
                    )
                    .small(),
                );
            });
        });
    response.response.rect
}

fn figures_section(ui: &mut egui::Ui, figures: &Figures) {
    match figures.recent {
        Some(recent) => {
            ui.label(format!("{:.1} frames/s ({:.1} ms median)", recent.frames_per_sec, recent.median_ms));
            ui.label(format!("{:.3e} particle-steps/s", recent.particle_steps_per_sec));
        }
        None => {
            ui.label("measuring the frame rate");
        }
    }
    let steps = if figures.steps_per_frame >= 1.0 {
        format!("{:.0}", figures.steps_per_frame)
    } else {
        format!("{:.2}", figures.steps_per_frame)
    };
    ui.label(format!("{} particles, {steps} steps per frame", figures.particles));
    match figures.non_finite {
        Some(0) => ui.label("no non-finite particles"),
        Some(count) => ui.colored_label(
            Color32::from_rgb(255, 140, 80),
            format!("{count} non-finite particles (left out); a smaller step size avoids this"),
        ),
        None => ui.label("non-finite particles: not read yet"),
    };
    if let Some(view) = figures.view {
        ui.label(
            RichText::new(format!(
                "view x [{:.3}, {:.3}], y [{:.3}, {:.3}]",
                view.min.x, view.max.x, view.min.y, view.max.y
            ))
            .small(),
        );
    }
    ui.label(RichText::new(&figures.adapter).small().weak());
    if let Some(message) = &figures.message {
        ui.colored_label(Color32::from_rgb(255, 90, 90), message);
    }
}

fn sampler_section(
    ui: &mut egui::Ui,
    controls: &mut Controls,
    figures: &Figures,
    actions: &mut Vec<PanelAction>,
) {
    ui.strong("Sampler");
    let progress = &figures.progress;
    let fraction =
        f64::from(progress.next_step.min(progress.total_steps)) / f64::from(progress.total_steps.max(1));
    let text = if progress.next_step >= progress.total_steps {
        format!("{} schedule done; sampling goes on at {}", progress.schedule_kind, progress.level_label)
    } else {
        format!(
            "{} step {} of {}, level {} of {}: {}",
            progress.schedule_kind,
            progress.next_step,
            progress.total_steps,
            progress.level + 1,
            progress.levels,
            progress.level_label
        )
    };
    ui.add(egui::ProgressBar::new(fraction as f32).text(RichText::new(text).small()));
    ui.horizontal(|ui| {
        let label = if controls.paused { "Resume" } else { "Pause" };
        if ui.button(label).clicked() {
            controls.paused = !controls.paused;
        }
        if ui.button("Restart").on_hover_text("Draw the initial positions again (R)").clicked() {
            actions.push(PanelAction::Restart);
        }
        if progress.replaced
            && ui
                .button("Scene schedule")
                .on_hover_text("Go back to the scene's schedule and restart")
                .clicked()
        {
            actions.push(PanelAction::SceneSchedule);
        }
    });

    let temperature = ui.add(
        egui::Slider::new(&mut controls.temperature, 0.01..=100.0).logarithmic(true).text("temperature T"),
    );
    let step_size =
        ui.add(egui::Slider::new(&mut controls.step_size, 1e-7..=1.0).logarithmic(true).text("step size h"));
    if temperature.changed() || step_size.changed() {
        actions.push(PanelAction::ConstantSchedule);
    }
    ui.label(
        RichText::new(
            "Changing T or h replaces the schedule by a constant one at these values, which goes on \
         from the particles' current positions.",
        )
        .small(),
    );

    ui.checkbox(&mut controls.auto_steps, format!("auto steps per frame (aim at {AUTO_TARGET_FPS} frames/s)"))
        .on_hover_text("Below one step per frame, only some frames run a step");
    ui.add_enabled(
        !controls.auto_steps,
        egui::Slider::new(&mut controls.fixed_steps, 1..=AUTO_MAX_STEPS)
            .logarithmic(true)
            .text("steps per frame"),
    );

    ui.horizontal(|ui| {
        ui.label("particles");
        ui.add(egui::DragValue::new(&mut controls.particles).range(1..=u64::from(u32::MAX)).speed(1000.0));
        if ui.button("Apply").on_hover_text("Allocate this many particles and restart").clicked() {
            actions.push(PanelAction::Reallocate);
        }
    });
    ui.horizontal(|ui| {
        ui.label("seed");
        if ui.add(egui::DragValue::new(&mut controls.seed)).changed() {
            actions.push(PanelAction::Seed);
        }
    });
}

fn field_section(ui: &mut egui::Ui, controls: &mut Controls, actions: &mut Vec<PanelAction>) {
    ui.strong(format!("Field: {}", controls.field.kind_name()));
    let mut changed = false;
    let mut slider = |ui: &mut egui::Ui,
                      value: &mut f64,
                      range: std::ops::RangeInclusive<f64>,
                      logarithmic: bool,
                      text: &str| {
        changed |= ui.add(egui::Slider::new(value, range).logarithmic(logarithmic).text(text)).changed();
    };
    match &mut controls.field {
        Field::GaussianMixture(mixture) => {
            for (k, component) in mixture.components.iter_mut().enumerate() {
                egui::CollapsingHeader::new(format!("component {k}")).default_open(k < 2).show(ui, |ui| {
                    slider(ui, &mut component.weight, 0.0..=10.0, false, "weight");
                    slider(ui, &mut component.mean.x, -12.0..=12.0, false, "mean x");
                    slider(ui, &mut component.mean.y, -12.0..=12.0, false, "mean y");
                    let mut std = component_std(component);
                    let before = std;
                    slider(ui, &mut std, 0.02..=5.0, true, "std");
                    if std != before {
                        scale_covariance(component, std / before);
                    }
                });
            }
        }
        Field::MuellerBrown(f) => slider(ui, &mut f.scale, 0.01..=1.0, true, "scale"),
        Field::DoubleWell(f) => {
            slider(ui, &mut f.a, -5.0..=5.0, false, "a (tilt)");
            slider(ui, &mut f.b, -10.0..=5.0, false, "b");
            slider(ui, &mut f.c, 0.05..=5.0, true, "c");
        }
        Field::Banana(f) => {
            slider(ui, &mut f.twist, -0.5..=0.5, false, "twist");
            slider(ui, &mut f.variance_x, 1.0..=400.0, true, "variance x");
            slider(ui, &mut f.variance_y, 0.05..=20.0, true, "variance y");
        }
        Field::Ring(f) => {
            slider(ui, &mut f.radius, 0.2..=10.0, false, "radius");
            slider(ui, &mut f.width, 0.02..=3.0, true, "width");
        }
        Field::Expression(f) => {
            ui.label(format!("V = {}", f.source()));
            let parameters: Vec<(String, f64)> = f.parameters().map(|(n, v)| (n.to_string(), v)).collect();
            if parameters.is_empty() {
                ui.label("no parameters; give some with --param NAME=VALUE");
            }
            for (name, mut value) in parameters {
                // Parameters have no natural range, so they are dragged, in steps of 1%.
                let speed = 0.01 * value.abs().max(0.1);
                let response = ui.horizontal(|ui| {
                    let response = ui.add(egui::DragValue::new(&mut value).speed(speed));
                    ui.label(&name);
                    response
                });
                if response.inner.changed() && f.set_parameter(&name, value).is_ok() {
                    actions.push(PanelAction::Field);
                }
            }
        }
        Field::Image(f) => {
            let (width, height) = f.pixels();
            ui.label(format!("{} ({width} x {height} pixels)", f.source.display()));
            ui.label("the picture has no sliders; --invert and the scene's floor change it");
        }
    }
    if changed {
        actions.push(PanelAction::Field);
    }
}

/// Returns the standard deviation of an isotropic Gaussian with the same area: det(S)^(1/4).
fn component_std(component: &Component) -> f64 {
    let [xx, xy, yy] = component.covariance;
    (xx * yy - xy * xy).sqrt().sqrt()
}

/// Scales a component's covariance so that its standard deviations grow by `factor`,
/// keeping its shape.
fn scale_covariance(component: &mut Component, factor: f64) {
    let squared = factor * factor;
    component.covariance = component.covariance.map(|c| c * squared);
}

fn picture_section(ui: &mut egui::Ui, controls: &mut Controls, actions: &mut Vec<PanelAction>) {
    ui.strong("Picture");
    let style_before = controls.style;
    egui::ComboBox::from_label("colormap").selected_text(controls.style.colormap.name()).show_ui(ui, |ui| {
        for colormap in COLORMAPS {
            ui.selectable_value(&mut controls.style.colormap, colormap, colormap.name());
        }
    });
    egui::ComboBox::from_label("scale").selected_text(controls.style.scale.name()).show_ui(ui, |ui| {
        for scale in SCALES {
            ui.selectable_value(&mut controls.style.scale, scale, scale.name());
        }
    });
    if controls.style != style_before {
        actions.push(PanelAction::Style);
    }
    ui.horizontal(|ui| {
        ui.checkbox(&mut controls.layers.arrows, "force arrows (A)");
        ui.checkbox(&mut controls.layers.contours, "contours of V (C)");
    });
    if ui.button("Screenshot (S)").clicked() {
        actions.push(PanelAction::Screenshot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::DVec2;

    #[test]
    fn covariance_scaling_keeps_shape() {
        let mut component = Component { weight: 1.0, mean: DVec2::ZERO, covariance: [4.0, 1.0, 1.0] };
        let std = component_std(&component);
        assert!((std - 3.0f64.sqrt().sqrt()).abs() < 1e-12);
        scale_covariance(&mut component, 2.0);
        assert_eq!(component.covariance, [16.0, 4.0, 4.0]);
        assert!((component_std(&component) - 2.0 * std).abs() < 1e-12);
    }
}
