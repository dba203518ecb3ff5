//! Scales that map a pixel's particle count to a colormap position, named as datashader
//! names them.

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scale {
    /// count / max.
    Linear,
    /// log(1 + count) / log(1 + max).
    #[default]
    Log,
    /// (count / max)^(1/3).
    Cbrt,
    /// Histogram equalisation over the non-zero counts.
    EqHist,
}

pub const SCALES: [Scale; 4] = [Scale::Linear, Scale::Log, Scale::Cbrt, Scale::EqHist];

impl Scale {
    pub fn name(self) -> &'static str {
        match self {
            Scale::Linear => "linear",
            Scale::Log => "log",
            Scale::Cbrt => "cbrt",
            Scale::EqHist => "eq-hist",
        }
    }

    /// The code `shaders/colormap.wgsl` switches on.
    pub fn shader_code(self) -> u32 {
        match self {
            Scale::Linear => 0,
            Scale::Log => 1,
            Scale::Cbrt => 2,
            Scale::EqHist => 3,
        }
    }

    /// CPU reference of the shader's mapping for the scales that need only the maximum.
    pub fn map(self, count: u32, max_count: u32) -> Option<f64> {
        let (c, m) = (f64::from(count), f64::from(max_count));
        match self {
            Scale::Linear => Some(c / m),
            Scale::Log => Some((1.0 + c).ln() / (1.0 + m).ln()),
            Scale::Cbrt => Some((c / m).cbrt()),
            Scale::EqHist => None,
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
