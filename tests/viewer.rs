//! The window, `scoreforce view`, through the real binary: a run under Xvfb whose
//! screenshot must show the eight modes of the ring, and the rejection of bad arguments,
//! which needs no display.
//!
//! The window test needs `xvfb-run` (Debian package xvfb) or a display. Without either it
//! fails with the reason, unless SCOREFORCE_SKIP_WINDOW_TESTS=1 declares the skip expected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use glam::DVec2;

/// Environment variable that turns a missing display into a skip instead of a failure.
const SKIP_VARIABLE: &str = "SCOREFORCE_SKIP_WINDOW_TESTS";

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|folder| folder.join(program)).find(|candidate| candidate.is_file())
}

/// Builds the command that runs the binary with a display: under `xvfb-run` where it is
/// installed, else directly on the display of the environment. Returns the reason when
/// neither is possible.
fn windowed_command() -> Result<Command, String> {
    let binary = assert_cmd::cargo::cargo_bin("scoreforce");
    let mut command = match find_in_path("xvfb-run") {
        Some(xvfb_run) => {
            let mut command = Command::new(xvfb_run);
            command.args(["-a", "-s", "-screen 0 1280x1024x24"]).arg(binary);
            command
        }
        None if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() => {
            Command::new(binary)
        }
        None => {
            return Err("xvfb-run is not installed (Debian package xvfb) and neither DISPLAY nor \
                        WAYLAND_DISPLAY is set"
                .to_string());
        }
    };
    command.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    Ok(command)
}

/// Reports a window test that cannot run: a failure, or a skip where the environment marks
/// it as expected.
fn not_run(reason: &str) {
    let message = format!("window test not run: {reason}");
    if std::env::var(SKIP_VARIABLE).is_ok_and(|v| v == "1") {
        println!("{message} ({SKIP_VARIABLE}=1 marks this as expected)");
        return;
    }
    panic!("{message}. Install xvfb, or set {SKIP_VARIABLE}=1 where running without a display is expected");
}

/// A screenshot: RGBA8 pixels and the PNG's text chunks.
struct Screenshot {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
    text: Vec<(String, String)>,
}

fn read_screenshot(path: &Path) -> Screenshot {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut rgba = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut rgba).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Rgba);
    let text = reader.info().utf8_text.iter().map(|t| (t.keyword.clone(), t.get_text().unwrap())).collect();
    Screenshot { width: frame.width, height: frame.height, rgba, text }
}

impl Screenshot {
    fn text(&self, key: &str) -> &str {
        &self.text.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no {key} in the PNG")).1
    }

    fn numbers(&self, key: &str) -> Vec<f64> {
        self.text(key).split(',').map(|v| v.parse().unwrap()).collect()
    }

    /// Maps a world point to its framebuffer pixel through the view and density area the
    /// PNG records.
    fn pixel_of(&self, world: DVec2) -> DVec2 {
        let view = self.numbers("scoreforce:view");
        let area = self.numbers("scoreforce:density_area");
        DVec2::new(
            area[0] + (world.x - view[0]) / (view[1] - view[0]) * area[2],
            area[1] + (view[3] - world.y) / (view[3] - view[2]) * area[3],
        )
    }

    /// Mean luma (0 to 255) of the 7 x 7 pixels around a world point.
    fn luma_at(&self, world: DVec2) -> f64 {
        let centre = self.pixel_of(world).floor();
        let mut sum = 0.0;
        for dy in -3..=3 {
            for dx in -3..=3 {
                let (x, y) = (centre.x as i64 + dx, centre.y as i64 + dy);
                assert!((0..self.width as i64).contains(&x), "column {x} is outside the picture");
                assert!((0..self.height as i64).contains(&y), "row {y} is outside the picture");
                let i = (y as usize * self.width as usize + x as usize) * 4;
                let [r, g, b] = [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]].map(f64::from);
                sum += 0.299 * r + 0.587 * g + 0.114 * b;
            }
        }
        sum / 49.0
    }
}

#[test]
fn window_shows_ring_modes() {
    let mut command = match windowed_command() {
        Ok(command) => command,
        Err(reason) => return not_run(&reason),
    };
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("ring.png");
    // 10 steps per frame run the preset's 1000-step annealing within the 120 frames.
    let assert = command
        .args(["view", "--field", "gmm8-ring", "--particles", "300k", "--steps-per-frame", "10"])
        .args(["--size", "800x600", "--frames", "120", "--screenshot"])
        .arg(&path)
        .timeout(Duration::from_secs(900))
        .assert();
    let output = assert.get_output();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    println!("{stdout}");
    assert!(output.status.success(), "exit {:?}\n{stdout}\n{stderr}", output.status.code());
    assert!(stdout.contains("120 frames: frame time median"), "no summary line in:\n{stdout}");
    assert!(stdout.contains("particle-steps/s"), "no particle-steps in:\n{stdout}");

    let screenshot = read_screenshot(&path);
    assert_eq!((screenshot.width, screenshot.height), (800, 600), "the screenshot is the whole window");
    assert!(screenshot.text("scoreforce:scene").contains("gaussian-mixture"));
    let step: u32 = screenshot.text("scoreforce:step").parse().unwrap();
    assert!(step >= 1000, "the annealing is not done at step {step}");

    let centre = screenshot.luma_at(DVec2::ZERO);
    let angle = |k: f64| std::f64::consts::FRAC_PI_4 * k;
    let modes: Vec<f64> =
        (0..8).map(|k| screenshot.luma_at(4.0 * DVec2::from_angle(angle(f64::from(k))))).collect();
    let between: Vec<f64> =
        (0..8).map(|k| screenshot.luma_at(4.0 * DVec2::from_angle(angle(f64::from(k) + 0.5)))).collect();
    println!("luma at the modes {modes:.0?}, between them {between:.0?}, at the centre {centre:.0}");
    let brightest_gap = between.iter().copied().fold(0.0, f64::max);
    for (k, mode) in modes.iter().enumerate() {
        assert!(*mode > 80.0, "mode {k} is dark: luma {mode:.0}");
        assert!(
            *mode > 2.0 * brightest_gap,
            "mode {k} (luma {mode:.0}) is not brighter than the gaps ({brightest_gap:.0})"
        );
        assert!(
            *mode > centre + 60.0,
            "mode {k} (luma {mode:.0}) is not brighter than the centre ({centre:.0})"
        );
    }
}

/// Runs `view` with `args`, which must fail with `code` and a message containing `phrase`
/// before any window opens, leaving no file behind.
fn assert_view_rejected(args: &[&str], code: i32, phrase: &str) {
    let folder = tempfile::tempdir().unwrap();
    let args: Vec<String> =
        args.iter().map(|a| a.replace("{dir}", folder.path().to_str().unwrap())).collect();
    let assert = Command::cargo_bin("scoreforce")
        .unwrap()
        .arg("view")
        .args(&args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .timeout(Duration::from_secs(120))
        .assert()
        .code(code);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains(phrase), "{args:?}: expected `{phrase}` in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0, "{args:?} left a file");
}

#[test]
fn view_rejects_bad_arguments() {
    assert_view_rejected(&["--frames", "0"], 2, "--frames");
    assert_view_rejected(&["--screenshot", "{dir}/shot.png"], 2, "--frames");
    assert_view_rejected(&["--steps-per-frame", "0"], 2, "not a step count");
    assert_view_rejected(&["--steps-per-frame", "fast"], 2, "not a step count");
    assert_view_rejected(&["--size", "0x600"], 2, "no pixels");
    assert_view_rejected(&["--field", "nope"], 2, "unknown field preset `nope`");
    assert_view_rejected(&["--particles", "0"], 2, "sampler.particles");
    assert_view_rejected(&["--frames", "3", "--screenshot", "{dir}/missing/shot.png"], 2, "cannot write");
}

#[test]
fn view_without_display_says_so() {
    let assert = Command::cargo_bin("scoreforce")
        .unwrap()
        .args(["view", "--frames", "1"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .timeout(Duration::from_secs(120))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("cannot open a window"), "{stderr}");
    assert!(stderr.contains("xvfb-run"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn window_reports_a_lost_device() {
    let mut command = match windowed_command() {
        Ok(command) => command,
        Err(reason) => return not_run(&reason),
    };
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("never.png");
    // The hidden --lose-device-after destroys the device after 5 frames, as a driver reset
    // would. The window must then close with exit code 1, a message and no screenshot.
    let assert = command
        .args(["view", "--particles", "50k", "--size", "640x480", "--frames", "30", "--screenshot"])
        .arg(&path)
        .args(["--lose-device-after", "5"])
        .timeout(Duration::from_secs(600))
        .assert();
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    println!("{stderr}");
    assert_eq!(output.status.code(), Some(1), "exit status with a lost device:\n{stderr}");
    assert!(stderr.contains("the GPU device was lost"), "no device-lost message in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!path.exists(), "a screenshot was written after the device was lost");
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0, "a file was left behind");
}
