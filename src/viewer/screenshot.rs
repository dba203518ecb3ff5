//! Screenshot files: their names (field and UTC time) and the metadata written with them.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::density::View;
use crate::density::export::PngText;
use crate::overlay::{OverlayLayers, PixelRect};

/// Returns a path in `folder` named after the scene and the UTC time, such as
/// `scoreforce-gmm8-ring-20250101-120000.png`, with a counter added when that file exists.
pub fn screenshot_path(folder: &Path, name: &str, now: SystemTime) -> PathBuf {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_date(secs.div_euclid(86_400) as i64);
    let second_of_day = secs % 86_400;
    let stamp = format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    );
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let mut path = folder.join(format!("scoreforce-{name}-{stamp}.png"));
    let mut counter = 2;
    while path.exists() {
        path = folder.join(format!("scoreforce-{name}-{stamp}-{counter}.png"));
        counter += 1;
    }
    path
}

/// Converts days since 1970-01-01 to a (year, month, day) date of the proleptic Gregorian
/// calendar, counting in 400-year eras of 146097 days that start on 1 March.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, so that February's leap day comes last.
    let march_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * march_month + 2) / 5 + 1) as u32;
    let month = if march_month < 10 { march_month + 3 } else { march_month - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Metadata of a screenshot: the run's own entries plus where the density lies in the
/// picture and which world rectangle it shows, so a reader can map pixels to the world.
pub fn screenshot_text(
    mut text: PngText,
    view: View,
    area: PixelRect,
    field: &str,
    step: u32,
    adapter: &str,
    layers: OverlayLayers,
) -> PngText {
    let overlays: Vec<&str> = [(layers.arrows, "arrows"), (layers.contours, "contours")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    text.push(("scoreforce:adapter".into(), adapter.to_string()));
    text.push((
        "scoreforce:overlays".into(),
        if overlays.is_empty() { "none".into() } else { overlays.join(",") },
    ));
    text.push(("scoreforce:field".into(), field.to_string()));
    text.push(("scoreforce:step".into(), step.to_string()));
    text.push((
        "scoreforce:view".into(),
        format!("{},{},{},{}", view.min.x, view.max.x, view.min.y, view.max.y),
    ));
    text.push((
        "scoreforce:density_area".into(),
        format!("{},{},{},{}", area.origin[0], area.origin[1], area.size[0], area.size[1]),
    ));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn civil_dates_of_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(11_017), (2000, 3, 1));
        assert_eq!(civil_date(19_722), (2023, 12, 31));
        assert_eq!(civil_date(-1), (1969, 12, 31));
    }

    #[test]
    fn screenshot_names_carry_field_and_time() {
        let folder = tempfile::tempdir().unwrap();
        // 2024-03-05 06:07:08 UTC.
        let now = UNIX_EPOCH + Duration::from_secs(1_709_618_828);
        let path = screenshot_path(folder.path(), "gmm8 ring", now);
        assert_eq!(path.file_name().unwrap(), "scoreforce-gmm8_ring-20240305-060708.png");
        std::fs::write(&path, b"taken").unwrap();
        let second = screenshot_path(folder.path(), "gmm8 ring", now);
        assert_eq!(second.file_name().unwrap(), "scoreforce-gmm8_ring-20240305-060708-2.png");
    }
}
