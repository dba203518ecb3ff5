//! `scoreforce fields`: the field kinds, their parameters and the presets.

use anyhow::Result;

use scoreforce::scene::{self, Scene};

pub(crate) fn run() -> Result<()> {
    println!("Field kinds and their parameters ([field] table of a scene file):\n");
    for (kind, parameters) in [
        ("gaussian-mixture", "components: list of { weight = 1.0, mean = [x, y], std = s } or \
          covariance = [[xx, xy], [xy, yy]] instead of std; exact smoothed score, so the \
          noise schedule applies"),
        ("mueller-brown", "scale = 0.15 (factor on V)"),
        ("double-well", "a = 0.0, b = -4.0, c = 1.0 (V = a x + b x^2 + c x^4 + y^2 / 2)"),
        ("banana", "twist = 0.1, variance_x = 100.0, variance_y = 1.0"),
        ("ring", "radius = 3.0, width = 0.3"),
        ("expression", "potential = \"V(x, y)\" as text, parameters in a [field.params] table \
          (name = value); the noise schedule does not apply"),
    ] {
        println!("  {kind:<18} {parameters}");
    }
    println!(
        "  {:<18} scoreforce render --potential \"(x^2 - 1)^2 + a*y^2\" --param a=0.5 --out expression.png",
        ""
    );
    println!(
        "  {:<18} image = \"photo.png\" (PNG or JPEG, relative to the scene file), rect = [x_min, \
         x_max, y_min, y_max], invert = false, floor = {}; density proportional to brightness, \
         exact smoothing, so the noise schedule applies",
        "image",
        scene::DEFAULT_IMAGE_FLOOR
    );
    println!("  {:<18} scoreforce render --image photo.png --out photo-density.png", "");
    println!("\nPresets (--field NAME):\n");
    for (name, _) in scene::PRESETS {
        let scene = Scene::preset(name)?;
        let config = scene.validate()?;
        println!(
            "  {name:<14} {}; {} schedule, {} steps, h = {}, {} particles",
            config.field,
            config.schedule.kind.name(),
            scene.sampler.steps,
            scene.sampler.step_size,
            scene.sampler.particles
        );
        println!("  {:<14} scoreforce render --field {name} --out {name}.png", "");
    }
    Ok(())
}
