//! Figures around a density picture, drawn on the CPU after the GPU passes: a colour bar
//! with count ticks for the scale, axis ticks in world units, panel labels for
//! filmstrips, and the background of the margins. Text is the Hack font embedded by the
//! `epaint_default_fonts` crate, rasterised with `ab_glyph`.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use super::{Colormap, DensityStats, Scale, View};
use crate::shader::HISTOGRAM_BINS;

/// Text height in pixels.
pub const TEXT_SIZE: f32 = 14.0;
const PADDING: u32 = 8;
const TICK_LENGTH: u32 = 5;
const BAR_WIDTH: u32 = 16;
const BAR_GAP: u32 = 12;
const PANEL_GAP: u32 = 4;

/// An RGBA8 image being composed, rows from the top.
#[derive(Clone, Debug, PartialEq)]
pub struct Canvas {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u32, height: u32, fill: [u8; 4]) -> Self {
        Canvas { width, height, rgba: fill.repeat((width * height) as usize) }
    }

    /// Copies tightly packed RGBA rows of `width` x `height` with the top-left at (x, y).
    pub fn paste(&mut self, rgba: &[u8], width: u32, height: u32, x: u32, y: u32) {
        for row in 0..height {
            let source = (row * width * 4) as usize..((row + 1) * width * 4) as usize;
            let start = (((y + row) * self.width + x) * 4) as usize;
            self.rgba[start..start + (width * 4) as usize].copy_from_slice(&rgba[source]);
        }
    }

    /// Draws `colour` over the pixel with the given coverage (the "over" operator).
    fn blend(&mut self, x: i64, y: i64, colour: [u8; 4], coverage: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let index = ((y as u32 * self.width + x as u32) * 4) as usize;
        let source_alpha = coverage.clamp(0.0, 1.0) * f32::from(colour[3]) / 255.0;
        let target_alpha = f32::from(self.rgba[index + 3]) / 255.0;
        let alpha = source_alpha + target_alpha * (1.0 - source_alpha);
        if alpha <= 0.0 {
            return;
        }
        for channel in 0..3 {
            let source = f32::from(colour[channel]);
            let target = f32::from(self.rgba[index + channel]);
            let mixed = (source * source_alpha + target * target_alpha * (1.0 - source_alpha)) / alpha;
            self.rgba[index + channel] = mixed.round() as u8;
        }
        self.rgba[index + 3] = (alpha * 255.0).round() as u8;
    }

    pub fn fill_rect(&mut self, x: i64, y: i64, width: u32, height: u32, colour: [u8; 4]) {
        for row in 0..i64::from(height) {
            for column in 0..i64::from(width) {
                self.blend(x + column, y + row, colour, 1.0);
            }
        }
    }
}

/// Horizontal and vertical placement of text relative to a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Start,
    Centre,
    End,
}

pub struct TextPainter {
    font: FontRef<'static>,
}

impl Default for TextPainter {
    fn default() -> Self {
        Self::new()
    }
}

impl TextPainter {
    pub fn new() -> Self {
        // NOTE: the font is compiled in, so parsing it cannot fail at run time.
        let font = FontRef::try_from_slice(epaint_default_fonts::HACK_REGULAR)
            .expect("the embedded Hack font parses");
        TextPainter { font }
    }

    /// Width of `text` in pixels at `size`.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let font = self.font.as_scaled(PxScale::from(size));
        text.chars().map(|c| font.h_advance(font.glyph_id(c))).sum()
    }

    /// Draws `text` with its box aligned to (x, y).
    pub fn draw(&self, canvas: &mut Canvas, text: &str, size: f32, x: f32, y: f32, horizontal: Align, vertical: Align, colour: [u8; 4]) {
        let scaled = self.font.as_scaled(PxScale::from(size));
        let width = self.width(text, size);
        let height = scaled.ascent() - scaled.descent();
        let left = match horizontal {
            Align::Start => x,
            Align::Centre => x - 0.5 * width,
            Align::End => x - width,
        };
        let top = match vertical {
            Align::Start => y,
            Align::Centre => y - 0.5 * height,
            Align::End => y - height,
        };
        let baseline = top + scaled.ascent();
        let mut caret = left;
        for character in text.chars() {
            let id = scaled.glyph_id(character);
            let glyph = id.with_scale_and_position(PxScale::from(size), point(caret, baseline));
            caret += scaled.h_advance(id);
            if let Some(outlined) = self.font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                outlined.draw(|gx, gy, coverage| {
                    let px = bounds.min.x as i64 + i64::from(gx);
                    let py = bounds.min.y as i64 + i64::from(gy);
                    canvas.blend(px, py, colour, coverage);
                });
            }
        }
    }
}

/// Background of empty pixels and margins.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Background(pub [u8; 4]);

impl Background {
    /// Parses `transparent`, a name (black, white, grey, gray) or `#rrggbb` / `#rrggbbaa`.
    pub fn parse(text: &str) -> Result<Background, String> {
        let lower = text.trim().to_lowercase();
        let named = match lower.as_str() {
            "transparent" => Some([0, 0, 0, 0]),
            "black" => Some([0, 0, 0, 255]),
            "white" => Some([255, 255, 255, 255]),
            "grey" | "gray" => Some([128, 128, 128, 255]),
            _ => None,
        };
        if let Some(rgba) = named {
            return Ok(Background(rgba));
        }
        let error = || {
            format!("`{text}` is not a colour; write transparent, black, white, grey, #rrggbb or #rrggbbaa")
        };
        let hex = lower.strip_prefix('#').ok_or_else(error)?;
        if !(hex.len() == 6 || hex.len() == 8) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(error());
        }
        let channel = |i: usize| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| error());
        let alpha = if hex.len() == 8 { channel(3)? } else { 255 };
        Ok(Background([channel(0)?, channel(1)?, channel(2)?, alpha]))
    }

    /// As linear-free sRGB floats for the colormap pass.
    pub fn as_floats(self) -> [f32; 4] {
        self.0.map(|c| f32::from(c) / 255.0)
    }

    /// Text and tick colour that reads on this background: dark on light or transparent
    /// backgrounds (figures usually go on white pages), light on dark ones.
    pub fn ink(self) -> [u8; 4] {
        let [r, g, b, a] = self.0.map(f32::from);
        let luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255.0;
        if a < 128.0 || luminance > 0.5 { [30, 30, 30, 255] } else { [225, 225, 225, 255] }
    }
}

/// About `count` round tick values (1, 2 or 5 times a power of ten) within [min, max].
pub fn nice_ticks(min: f64, max: f64, count: usize) -> Vec<f64> {
    if !(max > min) || !min.is_finite() || !max.is_finite() {
        return vec![min];
    }
    let rough = (max - min) / count.max(1) as f64;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|f| f * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick label with as many decimals as the spacing needs, and no "-0".
pub fn format_tick(value: f64, spacing: f64) -> String {
    let decimals = if spacing >= 1.0 { 0 } else { (-spacing.log10().floor()) as usize };
    let text = format!("{value:.decimals$}");
    if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') { text.trim_start_matches('-').to_string() } else { text }
}

/// What the colour bar needs to know about the counts.
#[derive(Clone, Debug, PartialEq)]
pub struct CountScale {
    pub scale: Scale,
    pub stats: DensityStats,
    /// The running sum of the eq-hist histogram, for `Scale::EqHist`.
    pub cumulative: Option<Vec<u32>>,
}

impl CountScale {
    /// Position in [0, 1] of `count` on the colormap, as the colormap shader computes it.
    pub fn position(&self, count: u32) -> f64 {
        let max = self.stats.max_count.max(1);
        match (self.scale, &self.cumulative) {
            (Scale::EqHist, Some(cumulative)) => {
                let lowest = f64::from(cumulative[histogram_bin(self.stats.min_count, max) as usize]);
                let total = f64::from(self.stats.nonzero);
                if total <= lowest {
                    return 1.0;
                }
                (f64::from(cumulative[histogram_bin(count, max) as usize]) - lowest) / (total - lowest)
            }
            (scale, _) => scale.map(count, max).unwrap_or(0.0),
        }
    }

    /// Tick counts and their positions on the bar.
    pub fn ticks(&self) -> Vec<(f64, String)> {
        let max = self.stats.max_count;
        if max == 0 {
            return Vec::new();
        }
        let counts: Vec<u32> = match self.scale {
            Scale::Log => {
                let mut decades = Vec::new();
                let mut value = 1u64;
                while value <= u64::from(max) {
                    decades.push(value as u32);
                    value *= 10;
                }
                decades
            }
            Scale::EqHist => {
                // The smallest count at each quarter of the equalised range.
                let mut counts = Vec::new();
                for quarter in 0..=4 {
                    let target = f64::from(quarter) / 4.0;
                    let found = (self.stats.min_count.max(1)..=max)
                        .step_by(((max / 4096).max(1)) as usize)
                        .find(|&c| self.position(c) >= target - 1e-9)
                        .unwrap_or(max);
                    if counts.last() != Some(&found) {
                        counts.push(found);
                    }
                }
                counts
            }
            Scale::Linear | Scale::Cbrt => nice_ticks(0.0, f64::from(max), 5)
                .into_iter()
                .filter(|&v| v >= 1.0)
                .map(|v| v as u32)
                .collect(),
        };
        counts.into_iter().map(|c| (self.position(c), c.to_string())).collect()
    }
}

/// The eq-hist bin of a non-zero count; mirrors `shaders/density_common.wgsl`.
pub fn histogram_bin(count: u32, max_count: u32) -> u32 {
    if max_count <= HISTOGRAM_BINS {
        return count.max(1) - 1;
    }
    let fraction = (count.max(1) - 1) as f32 / (max_count - 1) as f32;
    ((fraction * (HISTOGRAM_BINS - 1) as f32) as u32).min(HISTOGRAM_BINS - 1)
}

/// How `scoreforce render` draws a figure, beside the scene's view table. Stored as JSON
/// in the PNG (`scoreforce:render`) so that `--from-png` can draw it again.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenderOptions {
    /// Panels across the run, from the noisiest level to the end.
    pub filmstrip: Option<u32>,
    pub colorbar: bool,
    pub axes: bool,
    pub arrows: bool,
    pub contours: bool,
    /// Empty pixels and margins; black when absent.
    pub background: Option<Background>,
    /// Resolution written into the PNG's pHYs chunk.
    pub dpi: Option<f64>,
    /// The `--init` file the particles started from.
    pub init: Option<std::path::PathBuf>,
}

impl RenderOptions {
    pub fn background(&self) -> Background {
        self.background.unwrap_or(Background([0, 0, 0, 255]))
    }
}

/// Options of a single-picture figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FigureOptions {
    pub colorbar: bool,
    pub axes: bool,
    pub background: Background,
}

/// Places the density picture with axes and a colour bar as the options ask.
pub fn compose(
    picture: &[u8],
    width: u32,
    height: u32,
    view: View,
    colormap: Colormap,
    counts: &CountScale,
    options: FigureOptions,
) -> Canvas {
    let text = TextPainter::new();
    let ink = options.background.ink();
    let x_ticks = nice_ticks(view.min.x, view.max.x, (width / 70).max(2) as usize);
    let y_ticks = nice_ticks(view.min.y, view.max.y, (height / 50).max(2) as usize);
    let spacing = |ticks: &[f64]| if ticks.len() > 1 { ticks[1] - ticks[0] } else { 1.0 };
    let (x_spacing, y_spacing) = (spacing(&x_ticks), spacing(&y_ticks));
    let bar_ticks = if options.colorbar { counts.ticks() } else { Vec::new() };

    let label_width = |labels: &mut dyn Iterator<Item = String>| {
        labels.map(|l| text.width(&l, TEXT_SIZE)).fold(0.0f32, f32::max).ceil() as u32
    };
    let left = if options.axes {
        PADDING + label_width(&mut y_ticks.iter().map(|v| format_tick(*v, y_spacing))) + TICK_LENGTH + 4
    } else {
        0
    };
    let bottom = if options.axes { TICK_LENGTH + 4 + TEXT_SIZE as u32 + PADDING } else { 0 };
    let right = if options.colorbar {
        BAR_GAP + BAR_WIDTH + TICK_LENGTH + 4 + label_width(&mut bar_ticks.iter().map(|t| t.1.clone())) + PADDING
    } else {
        0
    };
    // Room for half a label above the top tick.
    let top = if options.axes || options.colorbar { PADDING.max(TEXT_SIZE as u32 / 2 + 2) } else { 0 };

    let mut canvas = Canvas::new(left + width + right, top + height + bottom, options.background.0);
    canvas.paste(picture, width, height, left, top);
    let (left_i, top_i) = (i64::from(left), i64::from(top));

    if options.axes {
        frame(&mut canvas, left_i - 1, top_i - 1, width + 2, height + 2, ink);
        for value in &x_ticks {
            let x = left as f64 + (value - view.min.x) / view.size().x * f64::from(width);
            let y = top + height + 1;
            canvas.fill_rect(x.round() as i64, i64::from(y), 1, TICK_LENGTH, ink);
            let label = format_tick(*value, x_spacing);
            text.draw(&mut canvas, &label, TEXT_SIZE, x as f32, (y + TICK_LENGTH + 3) as f32, Align::Centre, Align::Start, ink);
        }
        for value in &y_ticks {
            let y = top as f64 + (view.max.y - value) / view.size().y * f64::from(height);
            canvas.fill_rect(left_i - 1 - i64::from(TICK_LENGTH), y.round() as i64, TICK_LENGTH, 1, ink);
            let label = format_tick(*value, y_spacing);
            let x = left as f32 - 1.0 - TICK_LENGTH as f32 - 3.0;
            text.draw(&mut canvas, &label, TEXT_SIZE, x, y as f32, Align::End, Align::Centre, ink);
        }
    }

    if options.colorbar {
        let bar_left = left + width + BAR_GAP;
        let table = colormap.table();
        for row in 0..height {
            let t = 1.0 - f64::from(row) / f64::from((height - 1).max(1));
            let [r, g, b, _] = table[(t * 255.0).round() as usize];
            let colour = [r, g, b, 1.0].map(|c| (c * 255.0).round() as u8);
            canvas.fill_rect(i64::from(bar_left), i64::from(top + row), BAR_WIDTH, 1, colour);
        }
        frame(&mut canvas, i64::from(bar_left) - 1, top_i - 1, BAR_WIDTH + 2, height + 2, ink);
        for (position, label) in &bar_ticks {
            let y = f64::from(top) + (1.0 - position) * f64::from(height - 1);
            let x = bar_left + BAR_WIDTH + 1;
            canvas.fill_rect(i64::from(x), y.round() as i64, TICK_LENGTH, 1, ink);
            let label_x = (x + TICK_LENGTH + 3) as f32;
            text.draw(&mut canvas, label, TEXT_SIZE, label_x, y as f32, Align::Start, Align::Centre, ink);
        }
    }
    canvas
}

/// Puts panels side by side, each with its label centred above it.
pub fn filmstrip(panels: &[(Vec<u8>, String)], width: u32, height: u32, background: Background) -> Canvas {
    let text = TextPainter::new();
    let ink = background.ink();
    let label_height = TEXT_SIZE as u32 + PADDING;
    let count = panels.len() as u32;
    let total_width = count * width + count.saturating_sub(1) * PANEL_GAP;
    let mut canvas = Canvas::new(total_width, label_height + height, background.0);
    for (index, (picture, label)) in panels.iter().enumerate() {
        let x = index as u32 * (width + PANEL_GAP);
        canvas.paste(picture, width, height, x, label_height);
        let centre = x as f32 + 0.5 * width as f32;
        // A label wider than its panel is drawn smaller, so neighbours do not overlap.
        let fit = (width as f32 - 2.0) / text.width(label, TEXT_SIZE).max(1.0);
        let size = TEXT_SIZE * fit.min(1.0);
        text.draw(&mut canvas, label, size, centre, (PADDING / 2) as f32, Align::Centre, Align::Start, ink);
    }
    canvas
}

fn frame(canvas: &mut Canvas, x: i64, y: i64, width: u32, height: u32, colour: [u8; 4]) {
    canvas.fill_rect(x, y, width, 1, colour);
    canvas.fill_rect(x, y + i64::from(height) - 1, width, 1, colour);
    canvas.fill_rect(x, y, 1, height, colour);
    canvas.fill_rect(x + i64::from(width) - 1, y, 1, height, colour);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round() {
        assert_eq!(nice_ticks(-1.5, 1.2, 6), vec![-1.5, -1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(nice_ticks(-1.5, 1.2, 5), vec![-1.0, 0.0, 1.0]);
        assert_eq!(nice_ticks(0.0, 1000.0, 4), vec![0.0, 500.0, 1000.0]);
        assert_eq!(nice_ticks(0.0, 1000.0, 5), vec![0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]);
        assert_eq!(format_tick(-0.0, 0.5), "0.0");
        assert_eq!(format_tick(1.5, 0.5), "1.5");
        assert_eq!(format_tick(200.0, 200.0), "200");
    }

    #[test]
    fn backgrounds_parse() {
        assert_eq!(Background::parse("transparent"), Ok(Background([0, 0, 0, 0])));
        assert_eq!(Background::parse("#ff8000"), Ok(Background([255, 128, 0, 255])));
        assert_eq!(Background::parse("#ff800080"), Ok(Background([255, 128, 0, 128])));
        assert!(Background::parse("#ff80").is_err());
        assert!(Background::parse("pink").is_err());
    }

    #[test]
    fn text_draws_ink() {
        let mut canvas = Canvas::new(80, 20, [0, 0, 0, 255]);
        TextPainter::new().draw(&mut canvas, "1.5", TEXT_SIZE, 2.0, 2.0, Align::Start, Align::Start, [255, 255, 255, 255]);
        let lit = canvas.rgba.chunks(4).filter(|p| p[0] > 128).count();
        assert!(lit > 10, "{lit} pixels lit");
    }
}
