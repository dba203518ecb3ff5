//! Bad input and faults: every case ends with one clear message naming the value and the
//! fix, the documented exit code, no panic, and no output file left behind.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use proptest::prelude::*;

const SCENE: &str = "scene.toml";

fn scoreforce() -> Command {
    let mut command = Command::cargo_bin("scoreforce").unwrap();
    command.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    command
}

/// Writes the `.npy` header for `descr` and `shape`, then `data`.
fn npy_bytes(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

/// One case: files to create in a fresh folder, the arguments (with `{dir}` for that
/// folder), the exit code and a phrase of the message.
struct Case {
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    code: i32,
    phrase: &'static str,
}

fn scene_case(scene: &str, phrase: &'static str) -> Case {
    Case {
        files: vec![(SCENE, scene.as_bytes().to_vec())],
        args: vec!["render", "{dir}/scene.toml", "--out", "{dir}/out.png"],
        code: 2,
        phrase,
    }
}

fn args_case(args: &[&'static str], code: i32, phrase: &'static str) -> Case {
    Case { files: Vec::new(), args: args.to_vec(), code, phrase }
}

fn init_case(bytes: Vec<u8>, phrase: &'static str) -> Case {
    Case {
        files: vec![("init.npy", bytes)],
        args: vec!["render", "--init", "{dir}/init.npy", "--out", "{dir}/out.png"],
        code: 2,
        phrase,
    }
}

fn mixture_with(component: &str) -> String {
    format!("[field]\nkind = \"gaussian-mixture\"\n[[field.components]]\n{component}\n")
}

fn cases() -> Vec<Case> {
    let many_components: String = (0..65)
        .map(|k| format!("[[field.components]]\nmean = [{k}.0, 0.0]\nstd = 1.0\n"))
        .collect();
    let positions: Vec<u8> = [0.5f32; 8].iter().flat_map(|v| v.to_le_bytes()).collect();
    let with_nan: Vec<u8> =
        [0.5f32, 0.5, 0.5, f32::NAN, 0.5, 0.5].iter().flat_map(|v| v.to_le_bytes()).collect();
    let with_infinity: Vec<u8> = [1e300f64, 0.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    vec![
        // Scene files.
        scene_case("[field]\nkind = \"mueller-brown\"\nscael = 0.2\n", "unknown field `scael`"),
        scene_case("[field]\nkind = \"ring\"\n[sampler]\nparticles = \"many\"\n", "at `sampler.particles`"),
        scene_case("[sampler]\nparticles = 5\n", "missing field `field`"),
        scene_case("[field]\nscale = 0.2\n", "missing field `kind`"),
        scene_case("[field]\nkind = \"spiral\"\n", "unknown kind `spiral`"),
        scene_case("[field]\nkind = \"mueller-brown\"\nradius = 2.0\n", "`radius` is not a parameter of kind mueller-brown"),
        scene_case("[field]\nkind = \"mueller-brown\"\nscale = nan\n", "invalid `field.scale`: NaN"),
        scene_case("[field]\nkind = \"mueller-brown\"\nscale = nan\n", "scene.toml`, line 3)"),
        scene_case("[field]\nkind = \"ring\"\n[sampler]\nstep_size = inf\n", "invalid `sampler.step_size`: inf"),
        scene_case("[field]\nkind = \"ring\"\n[sampler]\nstep_size = -0.1\n", "invalid `sampler.step_size`: -0.1"),
        scene_case(&mixture_with("mean = [0.0, 0.0]\ncovariance = [[1.0, 2.0], [2.0, 1.0]]"), "is not positive definite"),
        scene_case(&mixture_with("mean = [0.0, 0.0]\ncovariance = [[1.0, 0.2], [0.1, 1.0]]"), "is not symmetric"),
        scene_case(&mixture_with("weight = 0.0\nmean = [0.0, 0.0]\nstd = 1.0"), "the weights sum to 0"),
        scene_case(&mixture_with("weight = -1.0\nmean = [0.0, 0.0]\nstd = 1.0"), "must be finite and not negative"),
        scene_case(
            &format!("{}[[field.components]]\nweight = -1.0\nmean = [1.0, 0.0]\nstd = 1.0\n", mixture_with("mean = [0.0, 0.0]\nstd = 1.0")),
            "invalid `field.components[1].weight`: weight -1 must be finite and not negative (in ",
        ),
        scene_case(
            &format!("{}[[field.components]]\nweight = -1.0\nmean = [1.0, 0.0]\nstd = 1.0\n", mixture_with("mean = [0.0, 0.0]\nstd = 1.0")),
            "scene.toml`, line 7)",
        ),
        scene_case(&mixture_with("mean = [0.0, 0.0]\nstd = 1.0\ncovariance = [[1.0, 0.0], [0.0, 1.0]]"), "not both"),
        scene_case(&mixture_with("mean = [0.0, 0.0]"), "missing `std` (isotropic) or `covariance`"),
        scene_case(&mixture_with("mean = [0.0, 0.0]\nstd = 0.0"), "invalid `field.components[0].std`"),
        scene_case(&format!("[field]\nkind = \"gaussian-mixture\"\n{many_components}"), "65 components given, at most 64"),
        scene_case("[field]\nkind = \"ring\"\n[view]\nrect = [1.0, 1.0, 0.0, 1.0]\n", "is not a rectangle"),
        scene_case("[field]\nkind = \"ring\"\n[view]\nsize = [0, 64]\n", "has no pixels"),
        scene_case("[field\nkind = \"ring\"\n", "TOML parse error at line 1"),
        scene_case("[field]\nkind = \"ring\"\n[sampler]\ntemperature = 0.0\n", "invalid `sampler.temperature`"),
        scene_case("[field]\nkind = \"ring\"\n[schedule]\nkind = \"temperature\"\nlevels = 0\n", "0 levels requested"),
        scene_case("[field]\nkind = \"ring\"\n[schedule]\nkind = \"temperature\"\nt_max = 0.5\n", "invalid `schedule.t_max`"),
        scene_case(
            &mixture_with("mean = [0.0, 0.0]\nstd = 1.0\n[schedule]\nkind = \"noise\"\nsigma_max = 0.1\nsigma_min = 1.0"),
            "invalid `schedule.sigma_max`",
        ),
        scene_case("[field]\nkind = \"double-well\"\n[schedule]\nkind = \"noise\"\n", "noise schedule needs a field"),
        scene_case("[field]\nkind = \"double-well\"\nc = -1.0\n", "invalid `field.c`"),
        scene_case("[field]\nkind = \"ring\"\n[sampler]\nmax_diverged = 2.0\n", "is not a fraction"),
        scene_case("[field]\nkind = \"image\"\n", "invalid `field.image`: missing"),
        scene_case("[field]\nkind = \"image\"\nimage = \"absent.png\"\n", "cannot read image"),
        scene_case(
            "[field]\nkind = \"image\"\nimage = \"builtin:score-ring\"\nrect = [1.0, 0.0, 0.0, 1.0]\n",
            "invalid `field.rect`",
        ),
        scene_case("[field]\nkind = \"image\"\nimage = \"builtin:score-ring\"\nfloor = 0.0\n", "invalid `field.floor`"),
        // Command-line values.
        args_case(&["render", "--particles", "0", "--out", "{dir}/out.png"], 2, "0 is out of range"),
        args_case(&["render", "--particles=-5", "--out", "{dir}/out.png"], 2, "not a whole, non-negative count"),
        args_case(&["render", "--particles", "1e12", "--out", "{dir}/out.png"], 2, "is out of range"),
        args_case(&["render", "--particles", "1e20", "--out", "{dir}/out.png"], 2, "is too large for a count"),
        args_case(&["render", "--particles", "3e9", "--out", "{dir}/out.png"], 2, "use at most"),
        args_case(&["render", "--steps", "0", "--out", "{dir}/out.png"], 2, "0 steps requested"),
        args_case(&["render", "--step-size", "NaN", "--out", "{dir}/out.png"], 2, "invalid `sampler.step_size`: NaN"),
        args_case(&["render", "--view=a,b,c,d", "--out", "{dir}/out.png"], 2, "is not a rectangle"),
        args_case(&["render", "--size", "0x10", "--out", "{dir}/out.png"], 2, "has no pixels"),
        args_case(&["render", "--size", "100000x64", "--out", "{dir}/out.png"], 2, "wider or taller than the texture limit"),
        args_case(&["render", "--colormap", "rainbow", "--out", "{dir}/out.png"], 2, "invalid value 'rainbow'"),
        args_case(&["render", "--field", "nope", "--out", "{dir}/out.png"], 2, "unknown field preset `nope`"),
        args_case(&["render", "--out", "{dir}/missing/out.png"], 2, "cannot write"),
        args_case(&["render", "--out", "{dir}"], 2, "it is a folder"),
        args_case(&["render", "{dir}/absent.toml", "--out", "{dir}/out.png"], 2, "cannot read scene file"),
        args_case(&["render", "--max-diverged", "-1", "--out", "{dir}/out.png"], 2, "is not a fraction"),
        args_case(&["render", "--backend", "metal", "--out", "{dir}/out.png"], 1, "no GPU adapter found (backends tried: metal)"),
        args_case(&["bench", "--repeats", "0"], 2, "0 repeats"),
        args_case(&["render", "--friction", "2", "--out", "{dir}/out.png"], 2, "friction applies to the underdamped integrator only"),
        args_case(&["render", "--out", "{dir}/out.npy"], 2, "ends in .npy, but this command writes a PNG picture"),
        args_case(&["render", "--from-png", "{dir}/a.png", "--potential", "x^2+y^2", "--out", "{dir}/out.png"], 2, "cannot be used with"),
        args_case(&["render", "--adapt-steps", "100", "--out", "{dir}/out.png"], 2, "add --target-acceptance"),
        args_case(&["render", "--field", "ring", "--filmstrip", "64", "--steps", "10", "--out", "{dir}/out.png"], 2, "64 panels need at least 63 steps"),
        args_case(&["render", "--dpi", "0.001", "--out", "{dir}/out.png"], 2, "pixels per metre"),
        args_case(&["render", "--step-size", "1e-300", "--out", "{dir}/out.png"], 2, "out of the GPU's f32 range"),
        args_case(&["render", "--temperature", "1e39", "--out", "{dir}/out.png"], 2, "out of the GPU's f32 range"),
        args_case(&["render", "--view=-1e39,1e39,-1,1", "--out", "{dir}/out.png"], 2, "within +-1e30"),
        args_case(&["bench", "--cpu-particles", "0", "--baseline", "cpu"], 2, "invalid `cpu_particles`: 0"),
        args_case(&["bench", "--cpu-particles", "10"], 2, "add --baseline cpu"),
        args_case(
            &["sample", "--potential", "sqrt(x) + y^2", "--integrator", "mala", "--particles", "2000", "--steps", "20", "--out", "{dir}/out.npy"],
            1,
            "check the potential over the initial positions",
        ),
        args_case(&["sample", "--out", "{dir}/out.png"], 2, "ends in .png, but this command writes a NumPy .npy array"),
        args_case(&["render", "--out", "{dir}/no/such/folder/out.png"], 2, "folder/out.png`: the folder"),
        args_case(&["render", "--field", "double-well", "--schedule", "noise", "--out", "{dir}/out.png"], 2, "--schedule temperature"),
        args_case(&["bench", "--field", "nope"], 2, "unknown field preset `nope`"),
        args_case(&["bench", "--steps-per-dispatch", "0"], 2, "invalid `steps_per_dispatch`"),
        // Particle files for --init.
        init_case(b"just some text".to_vec(), "not a .npy file"),
        init_case(npy_bytes("<i4", "(4, 2)", &[0; 32]), "expected float32"),
        init_case(npy_bytes("<f4", "(4, 3)", &positions), "expected (N, 2)"),
        init_case(npy_bytes("<f4", "(1000000000, 2)", &positions), "truncated"),
        init_case(npy_bytes("<f4", "(3, 2)", &with_nan), "the first is row 1 = (0.5, NaN)"),
        init_case(npy_bytes("<f8", "(1, 2)", &with_infinity), "the first is row 0 = (inf, 0)"),
        init_case(npy_bytes("<f4", "(0, 2)", &[]), "it has no rows"),
        args_case(&["render", "--init", "{dir}/absent.npy", "--out", "{dir}/out.png"], 2, "cannot read"),
    ]
}

#[test]
fn bad_input_table() {
    let cases = cases();
    assert!(cases.len() >= 30);
    for case in cases {
        let folder = tempfile::tempdir().unwrap();
        let dir = folder.path().to_str().unwrap();
        for (name, bytes) in &case.files {
            std::fs::write(folder.path().join(name), bytes).unwrap();
        }
        let args: Vec<String> = case.args.iter().map(|a| a.replace("{dir}", dir)).collect();
        let output = scoreforce().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(case.code), "{args:?}:\n{stderr}");
        assert!(stderr.contains(case.phrase), "{args:?}: expected `{}` in:\n{stderr}", case.phrase);
        assert!(!stderr.contains("panicked"), "{args:?} panicked:\n{stderr}");
        let left: Vec<String> = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|name| !case.files.iter().any(|(input, _)| input == name))
            .collect();
        assert!(left.is_empty(), "{args:?} left {left:?}");
    }
}

#[test]
fn unknown_backend_variable_is_invalid_input() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("out.png");
    let output = scoreforce().args(["render", "--out"]).arg(&out).env("WGPU_BACKEND", "bogus").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid WGPU_BACKEND=\"bogus\": unknown backend `bogus`"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn divergence_in_first_step_points_at_the_potential() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("out.png");
    // sqrt(x) has no value left of x = 0, where half of the uniform start lies.
    let output = scoreforce()
        .args(["render", "--potential", "sqrt(x) + y^2", "--particles", "10000", "--steps", "20", "--tamed"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the first in step 1,"), "{stderr}");
    assert!(stderr.contains("check the potential over the initial positions"), "{stderr}");
    assert!(!stderr.contains("or --tamed"), "--tamed is suggested although it is set:\n{stderr}");
    assert!(!out.exists());
}

#[test]
fn failed_run_keeps_existing_output() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("out.png");
    std::fs::write(&out, b"previous picture").unwrap();
    let scene = folder.path().join(SCENE);
    std::fs::write(
        &scene,
        "[field]\nkind = \"double-well\"\n[sampler]\nparticles = 20000\nsteps = 100\nstep_size = 0.05\n\
         [sampler.init]\nkind = \"uniform\"\nmin = [-4.0, -4.0]\nmax = [4.0, 4.0]\n",
    )
    .unwrap();
    let output = scoreforce().arg("render").arg(&scene).arg("--out").arg(&out).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), b"previous picture");
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 2);
}

#[test]
fn ctrl_c_stops_cleanly_without_output() {
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("out.png");
    let binary = assert_cmd::cargo::cargo_bin("scoreforce");
    let child = std::process::Command::new(binary)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .args(["render", "--particles", "2M", "--steps", "100000", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let sent = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("stopped {:.1} s after Ctrl-C: {stderr}", started.elapsed().as_secs_f64());
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted at step"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
}

#[test]
fn lost_device_is_an_error() {
    use scoreforce::sampler::{ParticleSystem, SamplerError, SamplerSetup};
    let ctx = common::gpu();
    let mut scene = scoreforce::scene::Scene::preset("gmm8-ring").unwrap();
    scene.sampler.particles = 10_000;
    let config = scene.validate().unwrap();
    let mut system = ParticleSystem::new(&ctx, SamplerSetup::from_config(&config)).unwrap();
    ctx.device.destroy();
    let started = Instant::now();
    let result = system.run(&ctx, &mut |_| {});
    println!("after destroy: {result:?} in {:.2} s", started.elapsed().as_secs_f64());
    let error = result.expect_err("a run on a destroyed device must fail");
    assert!(matches!(error, SamplerError::Gpu(_)), "{error}");
    assert!(error.to_string().contains("lost") || error.to_string().contains("destroyed"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(60));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn scene_parser_never_panics(text in ".{0,400}") {
        if let Ok(scene) = scoreforce::scene::Scene::from_toml(&text, "fuzz") {
            let _ = scene.validate();
        }
    }

    #[test]
    fn scene_parser_survives_mutated_presets(index in 0usize..5, position in 0usize..2000, byte in any::<u8>()) {
        let mut bytes = scoreforce::scene::PRESETS[index].1.as_bytes().to_vec();
        let position = position % bytes.len();
        bytes[position] = byte;
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(scene) = scoreforce::scene::Scene::from_toml(&text, "fuzz") {
            let _ = scene.validate();
        }
    }

    #[test]
    fn npy_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = scoreforce::density::export::parse_npy(&bytes, Path::new("fuzz.npy"));
    }

    #[test]
    fn npy_reader_survives_corrupt_headers(shape in ".{0,20}", descr in "[<>|]?[a-zA-Z][0-9]{0,3}", data_len in 0usize..64) {
        let bytes = npy_bytes(&descr, &shape, &vec![7u8; data_len]);
        let _ = scoreforce::density::export::parse_npy(&bytes, Path::new("fuzz.npy"));
    }
}
