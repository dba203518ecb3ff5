//! Perceptual colormaps as 256-entry tables, from the `colorous` crate (which carries
//! matplotlib's published viridis, magma, inferno, plasma and cividis tables).

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Colormap {
    #[default]
    Viridis,
    Magma,
    Inferno,
    Plasma,
    Cividis,
    /// Dark grey (fewest) to white (densest): matplotlib's Greys, reversed.
    Greys,
}

pub const COLORMAPS: [Colormap; 6] = [
    Colormap::Viridis,
    Colormap::Magma,
    Colormap::Inferno,
    Colormap::Plasma,
    Colormap::Cividis,
    Colormap::Greys,
];

impl Colormap {
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Inferno => "inferno",
            Colormap::Plasma => "plasma",
            Colormap::Cividis => "cividis",
            Colormap::Greys => "greys",
        }
    }

    /// sRGB colour at `t` in [0, 1], as 8-bit channels.
    pub fn colour(self, t: f64) -> [u8; 3] {
        let t = t.clamp(0.0, 1.0);
        let colour = match self {
            Colormap::Viridis => colorous::VIRIDIS.eval_continuous(t),
            Colormap::Magma => colorous::MAGMA.eval_continuous(t),
            Colormap::Inferno => colorous::INFERNO.eval_continuous(t),
            Colormap::Plasma => colorous::PLASMA.eval_continuous(t),
            Colormap::Cividis => colorous::CIVIDIS.eval_continuous(t),
            // Start at 15% so the sparsest pixels stay visible against a black background.
            Colormap::Greys => colorous::GREYS.eval_continuous(0.85 * (1.0 - t)),
        };
        [colour.r, colour.g, colour.b]
    }

    /// The 256-entry table the colormap shader reads: sRGB values in [0, 1], alpha 1.
    pub fn table(self) -> [[f32; 4]; 256] {
        std::array::from_fn(|i| {
            let [r, g, b] = self.colour(i as f64 / 255.0);
            [f32::from(r) / 255.0, f32::from(g) / 255.0, f32::from(b) / 255.0, 1.0]
        })
    }
}

impl fmt::Display for Colormap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
