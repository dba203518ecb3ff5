//! The `scoreforce` binary end to end: outputs, formats and the errors of bad input.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn scoreforce() -> Command {
    let mut command = Command::cargo_bin("scoreforce").unwrap();
    command.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    command
}

fn png_info(path: &Path) -> (u32, u32, Vec<(String, String)>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    let text = info.utf8_text.iter().map(|t| (t.keyword.clone(), t.get_text().unwrap())).collect();
    (info.width, info.height, text)
}

#[test]
fn fields_lists_kinds_and_presets() {
    scoreforce()
        .arg("fields")
        .assert()
        .success()
        .stdout(predicate::str::contains("gaussian-mixture"))
        .stdout(predicate::str::contains("mueller-brown"))
        .stdout(predicate::str::contains("scoreforce render --field gmm8-ring"));
}

#[test]
fn render_writes_png_with_scene_metadata() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("ring.png");
    scoreforce()
        .args(["render", "--particles", "20k", "--steps", "40", "--size", "64x48"])
        .args(["--colormap", "magma", "--scale", "eq-hist", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("20000 particles"));
    let (width, height, text) = png_info(&out);
    assert_eq!((width, height), (64, 48));
    let scene = &text.iter().find(|(k, _)| k == "scoreforce:scene").unwrap().1;
    assert!(scene.contains("kind = \"gaussian-mixture\""), "{scene}");
    assert!(scene.contains("colormap = \"magma\""), "{scene}");
    // Only the PNG is left in the folder: no temporary file.
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);
}

#[test]
fn sample_writes_npy_that_init_reads_back() {
    let folder = tempfile::tempdir().unwrap();
    let npy = folder.path().join("particles.npy");
    scoreforce()
        .args(["sample", "--field", "double-well", "--particles", "3000", "--steps", "20", "--out"])
        .arg(&npy)
        .assert()
        .success();
    let bytes = std::fs::read(&npy).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header = String::from_utf8_lossy(&bytes[..128]);
    assert!(header.contains("'descr': '<f4'"), "{header}");
    assert!(header.contains("'shape': (3000, 2, )"), "{header}");
    let positions = scoreforce::density::export::read_npy(&npy).unwrap();
    assert_eq!(positions.len(), 3000);
    assert!(positions.iter().all(|p| p[0].abs() < 5.0 && p[1].abs() < 5.0));

    let png = folder.path().join("from-init.png");
    scoreforce()
        .args(["render", "--field", "double-well", "--steps", "4", "--size", "32x32", "--init"])
        .arg(&npy)
        .arg("--out")
        .arg(&png)
        .assert()
        .success()
        .stdout(predicate::str::contains("3000 particles"))
        .stderr(predicate::str::contains("this run repeats its noise: pass another --seed"));

    // With a seed of its own, the continuation draws new noise and logs no warning.
    scoreforce()
        .args(["render", "--field", "double-well", "--steps", "4", "--size", "32x32", "--seed", "2", "--init"])
        .arg(&npy)
        .arg("--out")
        .arg(&png)
        .assert()
        .success()
        .stderr(predicate::str::contains("repeats its noise").not());
}

/// Runs a command that must fail with `code` and a message containing `phrase`, without a
/// panic and without leaving any file in the output folder.
fn assert_rejected(args: &[&str], code: i32, phrase: &str) {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("out.png");
    let args: Vec<String> =
        args.iter().map(|a| a.replace("{out}", out.to_str().unwrap()).replace("{dir}", folder.path().to_str().unwrap())).collect();
    let assert = scoreforce().args(&args).assert().code(code);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains(phrase), "{args:?}: expected `{phrase}` in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
    let left: Vec<_> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != "scene.toml" && name != "bad.npy")
        .collect();
    assert!(left.is_empty(), "{args:?} left {left:?}");
}

#[test]
fn bad_input_is_rejected_with_exit_code_2() {
    assert_rejected(&["render", "--field", "nope", "--out", "{out}"], 2, "unknown field preset `nope`");
    assert_rejected(&["render", "--particles", "0", "--out", "{out}"], 2, "sampler.particles");
    assert_rejected(&["render", "--step-size", "NaN", "--out", "{out}"], 2, "sampler.step_size");
    assert_rejected(&["render", "--steps", "0", "--out", "{out}"], 2, "sampler.steps");
    assert_rejected(&["render", "--view=1,1,0,1", "--out", "{out}"], 2, "not a rectangle");
    assert_rejected(&["render", "--size", "0x10", "--out", "{out}"], 2, "no pixels");
    assert_rejected(&["render", "--out", "{dir}/missing/out.png"], 2, "cannot write");
    assert_rejected(
        &["render", "--field", "mueller-brown", "--schedule", "noise", "--out", "{out}"],
        2,
        "noise schedule needs a field with an exact smoothed score",
    );
    assert_rejected(&["render", "{dir}/missing.toml", "--out", "{out}"], 2, "cannot read scene file");
}

#[test]
fn malformed_scene_file_names_key_and_line() {
    let folder = tempfile::tempdir().unwrap();
    let scene = folder.path().join("scene.toml");
    std::fs::write(&scene, "[field]\nkind = \"mueller-brown\"\nscael = 0.2\n").unwrap();
    let out = folder.path().join("out.png");
    let assert = scoreforce().arg("render").arg(&scene).arg("--out").arg(&out).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("scael"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn init_file_of_wrong_shape_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let npy = folder.path().join("bad.npy");
    let mut bytes = Vec::new();
    {
        use npyz::WriterBuilder;
        let mut writer = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[4, 3])
            .writer(&mut bytes)
            .begin_nd()
            .unwrap();
        writer.extend([0.0f32; 12]).unwrap();
        writer.finish().unwrap();
    }
    std::fs::write(&npy, bytes).unwrap();
    assert_rejected(&["render", "--init", npy.to_str().unwrap(), "--out", "{out}"], 2, "expected (N, 2)");
}

#[test]
fn bench_json_has_stable_fields() {
    let assert = scoreforce()
        .args(["bench", "--field", "gmm8-ring", "double-well", "--integrator", "ula", "--particles", "2000", "--steps", "20"])
        .args(["--repeats", "2", "--steps-per-dispatch", "8", "--baseline", "cpu", "--cpu-particles", "500", "--json"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one JSON object per case:\n{stdout}");
    for line in lines {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "field", "field_kind", "integrator", "adapter", "backend", "device_type", "timing",
        ] {
            assert!(case[key].is_string(), "{key} in {line}");
        }
        for key in [
            "particles", "steps", "steps_per_dispatch", "steps_per_dispatch_requested", "repeats",
            "seconds_median", "seconds_min",
            "seconds_max", "particle_steps_per_second", "ns_per_particle_step", "flops_per_step",
            "flops_per_second", "int_ops_per_step", "bytes_per_step", "bytes_per_second",
            "total_variation", "total_variation_exact_samples", "diverged", "cpu_particles",
            "cpu_particle_steps_per_second", "gpu_over_cpu",
        ] {
            assert!(case[key].is_number(), "{key} in {line}");
        }
        assert_eq!(case["particles"], 2000);
        assert_eq!(case["steps"], 20);
        assert!(case["seconds_min"].as_f64() <= case["seconds_median"].as_f64());
        assert!(case["seconds_median"].as_f64() <= case["seconds_max"].as_f64());
        assert!(case["acceptance_rate"].is_null(), "ULA has no acceptance rate");
    }
}

#[test]
fn bench_reports_mala_acceptance() {
    let assert = scoreforce()
        .args(["bench", "--field", "double-well", "--integrator", "mala", "underdamped"])
        .args(["--particles", "2000", "--steps", "20", "--repeats", "1", "--json"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let cases: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(cases.len(), 2);
    let rate = cases[0]["acceptance_rate"].as_f64().unwrap();
    assert!(rate > 0.0 && rate <= 1.0, "{rate}");
    assert_eq!(cases[1]["integrator"], "underdamped");
    // The preset's 4 temperature levels share the 20 steps, so each dispatch runs 5 steps,
    // not the default 128, and moves the 32 bytes of state for those 5.
    assert_eq!(cases[1]["steps_per_dispatch"].as_u64(), Some(5));
    assert_eq!(cases[1]["steps_per_dispatch_requested"].as_u64(), Some(128));
    assert_eq!(cases[1]["bytes_per_step"].as_f64(), Some(32.0 / 5.0));
}

#[test]
fn bench_table_lists_each_case() {
    scoreforce()
        .args(["bench", "--field", "ring", "--particles", "1000", "--steps", "10", "--repeats", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("particles"))
        .stdout(predicate::str::contains("ring"));
}

#[test]
fn integrator_options_are_checked() {
    assert_rejected(&["render", "--integrator", "mala", "--tamed", "--out", "{out}"], 2, "tamed drift applies to the ula integrator only");
    assert_rejected(&["render", "--target-acceptance", "0.6", "--out", "{out}"], 2, "needs the mala integrator");
    assert_rejected(
        &["render", "--integrator", "mala", "--target-acceptance", "1.5", "--out", "{out}"],
        2,
        "use a value between 0 and 1",
    );
    assert_rejected(&["render", "--integrator", "underdamped", "--friction", "0", "--out", "{out}"], 2, "sampler.friction");
}

#[test]
fn mala_adaptation_prints_final_step_and_acceptance() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("mb.png");
    let assert = scoreforce()
        .args(["render", "--field", "mueller-brown", "--integrator", "mala", "--schedule", "constant"])
        .args(["--particles", "20000", "--steps", "50", "--target-acceptance", "0.7", "--adapt-steps", "200"])
        .args(["--size", "32x32", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("adapted the step size from 1.0000e-4 to"), "{stderr}");
    assert!(stderr.contains("acceptance rate"), "{stderr}");
}

#[test]
fn divergence_is_reported_and_tamed_avoids_it() {
    let folder = tempfile::tempdir().unwrap();
    let scene = folder.path().join("scene.toml");
    std::fs::write(
        &scene,
        "[field]\nkind = \"double-well\"\n[sampler]\nparticles = 20000\nsteps = 100\nstep_size = 0.05\n\
         [sampler.init]\nkind = \"uniform\"\nmin = [-4.0, -4.0]\nmax = [4.0, 4.0]\n",
    )
    .unwrap();
    let out = folder.path().join("dw.png");
    // Above the default limit of 0.1% the run stops, suggests the fixes and writes nothing.
    let stopped = scoreforce().arg("render").arg(&scene).arg("--out").arg(&out).assert().code(1);
    let stderr = String::from_utf8_lossy(&stopped.get_output().stderr).to_string();
    assert!(stderr.contains("particles became non-finite by step"), "{stderr}");
    assert!(stderr.contains("--tamed"), "{stderr}");
    assert!(!out.exists());

    let allowed = scoreforce()
        .arg("render")
        .arg(&scene)
        .args(["--max-diverged", "1", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&allowed.get_output().stderr).to_string();
    assert!(stderr.contains("particles became non-finite at level 0"), "{stderr}");
    let stdout = String::from_utf8_lossy(&allowed.get_output().stdout).to_string();
    assert!(!stdout.contains(" 0 non-finite"), "{stdout}");

    let tamed = scoreforce().arg("render").arg(&scene).arg("--tamed").arg("--out").arg(&out).assert().success();
    let stdout = String::from_utf8_lossy(&tamed.get_output().stdout).to_string();
    assert!(stdout.contains(" 0 non-finite"), "{stdout}");
}

fn decode_rgba(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

#[test]
fn figure_reproduces_from_png_metadata() {
    let folder = tempfile::tempdir().unwrap();
    let first = folder.path().join("first.png");
    scoreforce()
        .args(["render", "--field", "ring", "--particles", "30k", "--steps", "50", "--size", "80x60"])
        .args(["--colorbar", "--axes", "--colormap", "inferno", "--background", "#204060", "--dpi", "300", "--out"])
        .arg(&first)
        .assert()
        .success();
    let again = folder.path().join("again.png");
    scoreforce().arg("render").arg("--from-png").arg(&first).arg("--out").arg(&again).assert().success();
    let (width, height, pixels) = decode_rgba(&first);
    assert_eq!(decode_rgba(&again), (width, height, pixels.clone()));
    assert!(width > 80 && height > 60, "margins for axes and colour bar: {width}x{height}");
    // The margins have the background colour.
    assert_eq!(&pixels[..4], &[0x20, 0x40, 0x60, 255]);

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&again).unwrap()));
    let reader = decoder.read_info().unwrap();
    let dims = reader.info().pixel_dims.expect("a pHYs chunk");
    assert_eq!((dims.xppu, dims.unit), ((300.0f64 / 0.0254).round() as u32, png::Unit::Meter));

    // A PNG without scoreforce metadata is rejected.
    let plain = folder.path().join("plain.png");
    scoreforce::density::export::write_png(&plain, 2, 2, &[0; 16], &Vec::new(), None).unwrap();
    let output = scoreforce().arg("render").arg("--from-png").arg(&plain).arg("--out").arg(folder.path().join("x.png")).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no scoreforce metadata"));
}

#[test]
fn from_png_finds_relative_inputs_from_another_folder() {
    let folder = tempfile::tempdir().unwrap();
    let inner = folder.path().join("inner");
    std::fs::create_dir(&inner).unwrap();
    // A 16 x 16 picture, bright on its left half, and saved start positions.
    let rgba: Vec<u8> = (0..16 * 16).flat_map(|i| if i % 16 < 8 { [255; 4] } else { [0, 0, 0, 255] }).collect();
    scoreforce::density::export::write_png(&folder.path().join("half.png"), 16, 16, &rgba, &Vec::new(), None).unwrap();
    scoreforce()
        .current_dir(folder.path())
        .args(["sample", "--field", "ring", "--particles", "5000", "--steps", "5", "--out", "start.npy"])
        .assert()
        .success();
    scoreforce()
        .current_dir(folder.path())
        .args(["render", "--image", "half.png", "--init", "start.npy", "--steps", "30", "--size", "48x48"])
        .args(["--out", "first.png"])
        .assert()
        .success();

    // Run again from another folder, where the relative names point nowhere.
    scoreforce()
        .current_dir(&inner)
        .args(["render", "--from-png", "../first.png", "--out", "again.png"])
        .assert()
        .success();
    assert_eq!(decode_rgba(&inner.join("again.png")), decode_rgba(&folder.path().join("first.png")));
}

#[test]
fn transparent_background_leaves_empty_pixels_clear() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("clear.png");
    scoreforce()
        .args(["render", "--particles", "20k", "--steps", "20", "--size", "64x64", "--background", "transparent", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (_, _, pixels) = decode_rgba(&out);
    let clear = pixels.chunks(4).filter(|p| p[3] == 0).count();
    let opaque = pixels.chunks(4).filter(|p| p[3] == 255).count();
    assert!(clear > 0 && opaque > 0, "{clear} clear, {opaque} opaque");
    assert_eq!(clear + opaque, pixels.len() / 4);
}

#[test]
fn filmstrip_panel_count_is_checked() {
    assert_rejected(&["render", "--filmstrip", "1", "--out", "{out}"], 2, "use 2 to 64");
    assert_rejected(&["render", "--filmstrip", "3", "--colorbar", "--out", "{out}"], 2, "apply to single pictures");
    assert_rejected(&["render", "--dpi", "0", "--out", "{out}"], 2, "--dpi");
    assert_rejected(&["render", "--background", "purple", "--out", "{out}"], 2, "is not a colour");
    assert_rejected(
        &["render", "--particles", "1000", "--steps", "10", "--size", "5000x64", "--arrows", "--out", "{out}"],
        2,
        "--arrows and --contours are drawn on pictures of at most 4096 pixels a side",
    );
}

#[test]
fn fields_lists_expression_with_example() {
    scoreforce()
        .arg("fields")
        .assert()
        .success()
        .stdout(predicate::str::contains("expression"))
        .stdout(predicate::str::contains("scoreforce render --potential"));
}

#[test]
fn render_with_potential_and_param() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("expression.png");
    let assert = scoreforce()
        .args(["render", "--potential", "(x^2 - 1)^2 + a*y^2 + b*x", "--param", "a=0.5", "--param", "b=2"])
        .args(["--particles", "20k", "--steps", "40", "--size", "64x64", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("20000 particles"));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (width, height, text) = png_info(&out);
    assert_eq!((width, height), (64, 64));
    let scene = &text.iter().find(|(k, _)| k == "scoreforce:scene").unwrap().1;
    assert!(scene.contains("kind = \"expression\""), "{scene}");
    assert!(scene.contains("potential = \"(x^2 - 1)^2 + a*y^2 + b*x\""), "{scene}");
    assert!(scene.contains("[field.params]\na = 0.5\nb = 2.0"), "{scene}");
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1);
}

#[test]
fn sample_expression_scene_with_param_override() {
    let folder = tempfile::tempdir().unwrap();
    let scene = folder.path().join("scene.toml");
    std::fs::write(
        &scene,
        "[field]\nkind = \"expression\"\npotential = \"-exp(-(x^2 + y^2)/w) + 0.1*(x^2 + y^2)\"\n\
         [field.params]\nw = 1.0\n[sampler]\nparticles = 3000\nsteps = 20\n",
    )
    .unwrap();
    let npy = folder.path().join("particles.npy");
    let assert = scoreforce()
        .arg("sample")
        .arg(&scene)
        .args(["--param", "w=0.5", "--out"])
        .arg(&npy)
        .assert()
        .success()
        .stdout(predicate::str::contains("3000 particles"));
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let positions = scoreforce::density::export::read_npy(&npy).unwrap();
    assert_eq!(positions.len(), 3000);
    assert!(positions.iter().all(|p| p[0].is_finite() && p[1].is_finite()));

    // A potential that starts with a minus sign is a value, not an option.
    scoreforce()
        .args(["sample", "--potential", "-exp(-x^2 - y^2) + 0.1*(x^2 + y^2)", "--particles", "1000"])
        .args(["--steps", "10", "--out"])
        .arg(folder.path().join("minus.npy"))
        .assert()
        .success();
}

#[test]
fn malformed_expression_is_rejected_with_column() {
    assert_rejected(&["render", "--potential", "x^2 + (y", "--out", "{out}"], 2, "column 9: missing `)`");
    assert_rejected(&["render", "--potential", "x^2 + (y", "--out", "{out}"], 2, "    x^2 + (y\n            ^");
    assert_rejected(&["sample", "--potential", "x^2 + zz", "--out", "{out}"], 2, "column 7: unknown name `zz`");
    assert_rejected(&["render", "--potential", "2x + y^2", "--out", "{out}"], 2, "column 2: missing operator");
    assert_rejected(
        &["render", "--potential", "x^2 + exp(100)*y^2", "--out", "{out}"],
        2,
        "column 7: `exp(100)` evaluates to",
    );
    assert_rejected(
        &["render", "--potential", "x^2 + y^2", "--param", "a=1", "--out", "{out}"],
        2,
        "the parameter `a` is given but `x^2 + y^2` does not use it",
    );
    assert_rejected(
        &["render", "--potential", "x^2 + exp*y^2", "--param", "exp=1", "--out", "{out}"],
        2,
        "`exp` is a function of the expression language",
    );
    assert_rejected(
        &["render", "--potential", "x^2 + y^2", "--schedule", "noise", "--out", "{out}"],
        2,
        "noise schedule needs a field with an exact smoothed score",
    );
    assert_rejected(
        &["render", "--field", "ring", "--potential", "x^2", "--out", "{out}"],
        2,
        "cannot be used with",
    );
}

#[test]
fn bad_param_text_is_rejected() {
    let potential = ["render", "--potential", "a*x^2 + y^2"];
    let cases: [(&str, &str); 5] = [
        ("a", "`a` is not NAME=VALUE; write e.g. --param a=0.5"),
        ("=1", "`=1` has no parameter name"),
        ("a=one", "the value of `a=one` is not a number; write e.g. --param a=0.5"),
        ("a=inf", "the value of `a=inf` is not a finite number"),
        ("a=1e39", "not a finite f32 number"),
    ];
    for (param, phrase) in cases {
        let args: Vec<&str> = potential.iter().copied().chain(["--param", param, "--out", "{out}"]).collect();
        assert_rejected(&args, 2, phrase);
    }
    assert_rejected(
        &["render", "--potential", "a*x^2 + y^2", "--param", "a=1", "--param", "a=2", "--out", "{out}"],
        2,
        "the parameter `a` is given twice",
    );
    assert_rejected(
        &["render", "--field", "ring", "--param", "a=1", "--out", "{out}"],
        2,
        "parameters by name belong to the expression kind, but the field is ring",
    );
}
