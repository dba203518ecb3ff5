//! The window driven as a user drives it: synthetic keys and mouse events (the X server's
//! XTEST extension) on a private Xvfb server, checked through the screenshots the S key
//! writes. Each screenshot records the view, the schedule step and the overlays.
//!
//! Needs `Xvfb` (Debian package xvfb) and libXtst; without them the test fails with the
//! reason, unless SCOREFORCE_SKIP_WINDOW_TESTS=1 declares the skip expected. It never sends
//! events to the display of the environment.
#![cfg(target_os = "linux")]

use std::ffi::{CStr, CString};
use std::io::{BufRead, BufReader};
use std::os::raw::{c_int, c_uint, c_ulong};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use glam::DVec2;
use x11_dl::{xlib, xtest};

const SKIP_VARIABLE: &str = "SCOREFORCE_SKIP_WINDOW_TESTS";
/// Window title prefix the viewer sets.
const TITLE_PREFIX: &str = "scoreforce view";
/// Maximum wait for the window to appear, a screenshot to be written or the program to exit,
/// because lavapipe compiles every pipeline when the window opens.
const WAIT: Duration = Duration::from_secs(300);

fn not_run(reason: &str) {
    let message = format!("window input test not run: {reason}");
    if std::env::var(SKIP_VARIABLE).is_ok_and(|v| v == "1") {
        println!("{message} ({SKIP_VARIABLE}=1 marks this as expected)");
        return;
    }
    panic!("{message}. Install xvfb and libxtst6, or set {SKIP_VARIABLE}=1 where this is expected");
}

/// A child process that is killed when the test ends, also on a failed assert.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a private Xvfb server and returns it with its display name.
fn start_xvfb() -> Result<(KillOnDrop, String), String> {
    let mut child = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start Xvfb ({e})"))?;
    let stdout = child.stdout.take().ok_or("Xvfb has no stdout")?;
    let server = KillOnDrop(child);
    // Xvfb writes its display number once it accepts connections.
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(|e| format!("reading Xvfb's display number: {e}"))?;
    let number: u32 =
        line.trim().parse().map_err(|_| format!("Xvfb wrote `{line}`, not a display number"))?;
    Ok((server, format!(":{number}")))
}

/// A connection to the X server with the XTEST functions.
struct XClient {
    xlib: xlib::Xlib,
    xtest: xtest::Xf86vmode,
    display: *mut xlib::Display,
}

impl XClient {
    fn open(name: &str) -> Result<XClient, String> {
        let xlib = xlib::Xlib::open().map_err(|e| format!("cannot load libX11: {e}"))?;
        let xtest = xtest::Xf86vmode::open().map_err(|e| format!("cannot load libXtst: {e}"))?;
        let name = CString::new(name).unwrap();
        // SAFETY: `name` is a valid C string that outlives the call.
        let display = unsafe { (xlib.XOpenDisplay)(name.as_ptr()) };
        if display.is_null() {
            return Err(format!("cannot connect to the X server {name:?}"));
        }
        Ok(XClient { xlib, xtest, display })
    }

    /// Returns the top-level window whose title starts with `prefix`.
    fn find_window(&self, prefix: &str) -> Option<c_ulong> {
        let (mut root, mut parent, mut children, mut count): (c_ulong, c_ulong, *mut c_ulong, c_uint) =
            (0, 0, std::ptr::null_mut(), 0);
        // SAFETY: the display is open; XQueryTree fills the out-parameters, and the child
        // list and each name are freed with XFree after use.
        unsafe {
            let screen_root = (self.xlib.XDefaultRootWindow)(self.display);
            if (self.xlib.XQueryTree)(
                self.display,
                screen_root,
                &mut root,
                &mut parent,
                &mut children,
                &mut count,
            ) == 0
            {
                return None;
            }
            let windows = std::slice::from_raw_parts(children, count as usize).to_vec();
            if !children.is_null() {
                (self.xlib.XFree)(children.cast());
            }
            windows.into_iter().find(|&window| {
                let mut name = std::ptr::null_mut();
                if (self.xlib.XFetchName)(self.display, window, &mut name) == 0 || name.is_null() {
                    return false;
                }
                let matches = CStr::from_ptr(name).to_string_lossy().starts_with(prefix);
                (self.xlib.XFree)(name.cast());
                matches
            })
        }
    }

    /// Position of the window's top-left corner on the screen.
    fn window_origin(&self, window: c_ulong) -> (c_int, c_int) {
        let (mut x, mut y, mut child) = (0, 0, 0);
        // SAFETY: the display is open and the out-parameters are valid.
        unsafe {
            let root = (self.xlib.XDefaultRootWindow)(self.display);
            (self.xlib.XTranslateCoordinates)(self.display, window, root, 0, 0, &mut x, &mut y, &mut child);
        }
        (x, y)
    }

    fn focus(&self, window: c_ulong) {
        // SAFETY: the display is open; 2 is RevertToParent and 0 is CurrentTime.
        unsafe {
            (self.xlib.XSetInputFocus)(self.display, window, 2, 0);
            (self.xlib.XSync)(self.display, 0);
        }
    }

    /// Presses and releases the key of an X keysym name ("s", "space", "Escape").
    fn key(&self, keysym: &str) {
        let name = CString::new(keysym).unwrap();
        // SAFETY: the display is open and `name` outlives the calls.
        unsafe {
            let code = c_uint::from((self.xlib.XKeysymToKeycode)(
                self.display,
                (self.xlib.XStringToKeysym)(name.as_ptr()),
            ));
            assert_ne!(code, 0, "no key code for {keysym}");
            (self.xtest.XTestFakeKeyEvent)(self.display, code, 1, 0);
            (self.xtest.XTestFakeKeyEvent)(self.display, code, 0, 0);
            (self.xlib.XSync)(self.display, 0);
        }
    }

    fn move_pointer(&self, x: c_int, y: c_int) {
        // SAFETY: the display is open; -1 means the pointer's screen.
        unsafe {
            (self.xtest.XTestFakeMotionEvent)(self.display, -1, x, y, 0);
            (self.xlib.XSync)(self.display, 0);
        }
        std::thread::sleep(Duration::from_millis(20));
    }

    /// Resizes the window as a window manager or the user would.
    fn resize(&self, window: c_ulong, width: c_uint, height: c_uint) {
        // SAFETY: the display is open and `window` is one of its windows.
        unsafe {
            (self.xlib.XResizeWindow)(self.display, window, width, height);
            (self.xlib.XSync)(self.display, 0);
        }
    }

    /// Unmaps the window (what minimising does to it) or maps it again.
    fn set_mapped(&self, window: c_ulong, mapped: bool) {
        // SAFETY: the display is open and `window` is one of its windows.
        unsafe {
            if mapped {
                (self.xlib.XMapWindow)(self.display, window);
            } else {
                (self.xlib.XUnmapWindow)(self.display, window);
            }
            (self.xlib.XSync)(self.display, 0);
        }
    }

    /// Presses (`down`) or releases a pointer button: 1 is the left button, 4 the wheel up.
    fn button(&self, button: c_uint, down: bool) {
        // SAFETY: the display is open.
        unsafe {
            (self.xtest.XTestFakeButtonEvent)(self.display, button, c_int::from(down), 0);
            (self.xlib.XSync)(self.display, 0);
        }
    }
}

impl Drop for XClient {
    fn drop(&mut self) {
        // SAFETY: the display was opened by `open` and is closed once.
        unsafe {
            (self.xlib.XCloseDisplay)(self.display);
        }
    }
}

/// What one screenshot records.
#[derive(Debug)]
struct Shot {
    size: [u32; 2],
    view: [f64; 4],
    area: [f64; 4],
    step: u32,
    overlays: String,
}

impl Shot {
    fn read(path: &Path) -> Shot {
        let decoder = png::Decoder::new(BufReader::new(std::fs::File::open(path).unwrap()));
        let reader = decoder.read_info().unwrap();
        let text = |key: &str| {
            let chunk = reader.info().utf8_text.iter().find(|t| t.keyword == key);
            chunk.unwrap_or_else(|| panic!("no {key} in {}", path.display())).get_text().unwrap()
        };
        let numbers = |key: &str| -> [f64; 4] {
            let values: Vec<f64> = text(key).split(',').map(|v| v.parse().unwrap()).collect();
            values.try_into().unwrap()
        };
        Shot {
            size: [reader.info().width, reader.info().height],
            view: numbers("scoreforce:view"),
            area: numbers("scoreforce:density_area"),
            step: text("scoreforce:step").parse().unwrap(),
            overlays: text("scoreforce:overlays"),
        }
    }

    fn world_per_pixel(&self) -> f64 {
        (self.view[1] - self.view[0]) / self.area[2]
    }

    fn centre(&self) -> DVec2 {
        DVec2::new(0.5 * (self.view[0] + self.view[1]), 0.5 * (self.view[2] + self.view[3]))
    }

    /// World point under a window pixel position.
    fn world_at(&self, window_pixel: DVec2) -> DVec2 {
        let area_pixel = window_pixel - DVec2::new(self.area[0], self.area[1]);
        DVec2::new(
            self.view[0] + area_pixel.x * self.world_per_pixel(),
            self.view[3] - area_pixel.y * self.world_per_pixel(),
        )
    }
}

/// The viewer with its stdout lines arriving on a channel.
struct Viewer {
    process: KillOnDrop,
    lines: Receiver<String>,
}

impl Viewer {
    /// Presses S and returns the screenshot it wrote.
    fn screenshot(&self, x: &XClient) -> Shot {
        x.key("s");
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).expect("no screenshot was written after S");
            if let Some(path) = line.strip_prefix("wrote ") {
                return Shot::read(&PathBuf::from(path));
            }
        }
    }
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn window_follows_keys_and_mouse() {
    let (_server, display) = match start_xvfb() {
        Ok(started) => started,
        Err(reason) => return not_run(&reason),
    };
    let x = match XClient::open(&display) {
        Ok(client) => client,
        Err(reason) => return not_run(&reason),
    };
    let folder = tempfile::tempdir().unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("scoreforce"))
        .args(["-q", "view", "--particles", "50k", "--steps-per-frame", "2", "--size", "1100x800"])
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .current_dir(folder.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let mut viewer = Viewer { process: KillOnDrop(child), lines };

    let started = Instant::now();
    let window = loop {
        if let Some(window) = x.find_window(TITLE_PREFIX) {
            break window;
        }
        assert!(started.elapsed() < WAIT, "no window titled `{TITLE_PREFIX}` appeared");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Without a window manager, keys go to the focused window only.
    x.focus(window);
    let (left, top) = x.window_origin(window);
    let at = |p: DVec2| (left + p.x as c_int, top + p.y as c_int);
    let grab = DVec2::new(700.0, 400.0);
    let (gx, gy) = at(grab);
    x.move_pointer(gx, gy);

    // The first screenshot: the preset's view fitted into the 800x800 area beside the panel.
    let first = viewer.screenshot(&x);
    println!("first {first:?}");
    assert_eq!(first.area, [300.0, 0.0, 800.0, 800.0]);
    assert_eq!(first.view, [-6.0, 6.0, -6.0, 6.0]);
    assert_eq!(first.overlays, "none");

    // Dragging by (100, 50) pixels moves the picture with the pointer.
    let drag = DVec2::new(100.0, 50.0);
    x.button(1, true);
    for i in 1..=10 {
        let (px, py) = at(grab + drag * (f64::from(i) / 10.0));
        x.move_pointer(px, py);
    }
    x.button(1, false);
    let panned = viewer.screenshot(&x);
    println!("panned {panned:?}");
    let shift = first.centre() - panned.centre();
    assert!(close(shift.x, drag.x * first.world_per_pixel(), 1e-9), "pan in x: {shift}");
    assert!(close(shift.y, -drag.y * first.world_per_pixel(), 1e-9), "pan in y: {shift}");
    assert!(close(panned.world_per_pixel(), first.world_per_pixel(), 1e-12));

    // The wheel zooms in about the pointer: the world point under it stays put.
    let cursor = DVec2::new(850.0, 300.0);
    let (cx, cy) = at(cursor);
    x.move_pointer(cx, cy);
    for _ in 0..3 {
        x.button(4, true);
        x.button(4, false);
    }
    x.key("a");
    x.key("c");
    let zoomed = viewer.screenshot(&x);
    println!("zoomed {zoomed:?}");
    let factor = panned.world_per_pixel() / zoomed.world_per_pixel();
    let notches = factor.ln() / 1.15f64.ln();
    assert!(factor > 1.1, "the wheel did not zoom in: factor {factor}");
    assert!(close(notches, notches.round(), 1e-6), "zoom factor {factor} is not a power of 1.15");
    let anchor_before = panned.world_at(cursor);
    let anchor_after = zoomed.world_at(cursor);
    let tolerance = 1e-9 * (1.0 + anchor_before.length());
    assert!((anchor_before - anchor_after).length() < tolerance, "{anchor_before} moved to {anchor_after}");
    assert_eq!(zoomed.overlays, "arrows,contours");
    assert!(zoomed.step > first.step, "the sampler did not advance");

    // Space pauses: the step stays while frames go on.
    x.key("space");
    let paused = viewer.screenshot(&x);
    std::thread::sleep(Duration::from_secs(1));
    let still_paused = viewer.screenshot(&x);
    assert_eq!(paused.step, still_paused.step, "the sampler ran while paused");

    // R restarts the schedule; paused, it stays at step 0.
    x.key("r");
    let restarted = viewer.screenshot(&x);
    assert_eq!(restarted.step, 0);

    // A toggles the arrows off again, and Esc closes the window with exit code 0.
    x.key("a");
    let arrows_off = viewer.screenshot(&x);
    assert_eq!(arrows_off.overlays, "contours");

    // A resized window keeps the centre and the scale of the view, and its density area
    // fills what the panel leaves.
    x.resize(window, 900, 600);
    std::thread::sleep(Duration::from_millis(500));
    let resized = viewer.screenshot(&x);
    println!("resized {resized:?}");
    assert_eq!(resized.size, [900, 600]);
    assert_eq!(resized.area, [300.0, 0.0, 600.0, 600.0]);
    assert!((resized.centre() - arrows_off.centre()).length() < 1e-9, "the centre moved on resize");
    assert!(close(resized.world_per_pixel(), arrows_off.world_per_pixel(), 1e-12));

    // Unmapped, as when minimised, and mapped again, the window goes on drawing.
    x.set_mapped(window, false);
    std::thread::sleep(Duration::from_secs(1));
    x.set_mapped(window, true);
    std::thread::sleep(Duration::from_millis(500));
    x.focus(window);
    x.key("space");
    std::thread::sleep(Duration::from_secs(1));
    let restored = viewer.screenshot(&x);
    println!("restored {restored:?}");
    assert_eq!(restored.size, [900, 600]);
    assert!(restored.step > resized.step, "the sampler did not resume after the window came back");
    x.key("Escape");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = viewer.process.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the window did not close after Esc");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status {status}");
}
