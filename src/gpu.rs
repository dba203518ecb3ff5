//! GPU context: instance, adapter choice, device limits, and the conversion of wgpu's
//! asynchronous errors (validation, out of memory, device lost) into `GpuError`s.
//!
//! wgpu reports most errors through a callback instead of a return value, and its default
//! callback panics. The context installs its own, which records the error, and every
//! operation that waits for the GPU checks the record, so a fault becomes an error with
//! the operation's name.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use log::info;

/// How long a wait for the GPU may take before it is reported as a timeout. Software
/// adapters need long waits for large submissions; submissions are sized to a fraction
/// of a second on real GPUs.
const WAIT_TIMEOUT: Duration = Duration::from_secs(600);

/// The graphics API to run on. `Auto` honours `WGPU_BACKEND` and otherwise tries all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendChoice {
    #[default]
    Auto,
    Vulkan,
    Metal,
    Dx12,
    Gl,
}

impl BackendChoice {
    fn backends(self) -> wgpu::Backends {
        match self {
            BackendChoice::Auto => wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all()),
            BackendChoice::Vulkan => wgpu::Backends::VULKAN,
            BackendChoice::Metal => wgpu::Backends::METAL,
            BackendChoice::Dx12 => wgpu::Backends::DX12,
            BackendChoice::Gl => wgpu::Backends::GL,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error(
        "no GPU adapter found (backends tried: {tried}). {hint}"
    )]
    NoAdapter { tried: String, hint: &'static str },
    #[error("could not create a device on {adapter}: {cause}")]
    RequestDevice {
        adapter: String,
        cause: wgpu::RequestDeviceError,
    },
    #[error("the GPU ran out of memory while {context}: {message}")]
    OutOfMemory { context: String, message: String },
    #[error("GPU error while {context}: {message}")]
    Validation { context: String, message: String },
    #[error(
        "the GPU device was lost while {context} ({message}); the driver may have reset it: run \
         again, and if it recurs, try fewer particles or another --backend"
    )]
    DeviceLost { context: String, message: String },
    #[error("waiting for the GPU failed while {context}: {message}")]
    Wait { context: String, message: String },
}

const INSTALL_HINT: &str = "On Linux without a GPU, install Mesa's software drivers: \
     `apt-get install mesa-vulkan-drivers` (lavapipe, Vulkan) or `libegl-mesa0` (llvmpipe, \
     OpenGL through EGL), then pick one with --backend vulkan or --backend gl.";

/// Errors recorded by wgpu's callbacks since the last check.
#[derive(Default)]
struct ErrorRecord {
    uncaptured: Vec<wgpu::Error>,
    lost: Option<String>,
}

pub struct GpuContext {
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    record: Arc<Mutex<ErrorRecord>>,
}

impl GpuContext {
    /// Picks an adapter for `choice` and creates a headless device with the limits that
    /// large particle buffers need.
    pub fn new(choice: BackendChoice) -> Result<Self, GpuError> {
        let instance = create_instance(choice, None);
        let adapter = request_adapter(&instance, choice, None)?;
        Self::from_adapter(instance, adapter)
    }

    /// Creates the device on an adapter chosen by the caller (the window picks one that
    /// can present to its surface).
    pub fn from_adapter(instance: wgpu::Instance, adapter: wgpu::Adapter) -> Result<Self, GpuError> {
        let info = adapter.get_info();
        info!(
            "adapter: {} ({:?}, {:?}), driver: {} {}",
            info.name, info.backend, info.device_type, info.driver, info.driver_info
        );

        let features = adapter.features() & (wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SHADER_INT64);
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("scoreforce.device"),
            required_features: features,
            // Every limit the adapter offers: the storage binding size and the buffer size
            // decide how many particles fit in one buffer.
            required_limits: adapter.limits(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&descriptor))
            .map_err(|cause| GpuError::RequestDevice { adapter: info.name.clone(), cause })?;

        let record = Arc::new(Mutex::new(ErrorRecord::default()));
        let uncaptured = Arc::clone(&record);
        device.on_uncaptured_error(Arc::new(move |error| {
            log::debug!("wgpu error: {error}");
            if let Ok(mut record) = uncaptured.lock() {
                record.uncaptured.push(error);
            }
        }));
        let lost = Arc::clone(&record);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut record) = lost.lock() {
                record.lost = Some(if message.is_empty() {
                    format!("{reason:?}")
                } else {
                    format!("{reason:?}: {message}")
                });
            }
        });

        Ok(GpuContext { instance, adapter, device, queue, info, record })
    }

    pub fn limits(&self) -> wgpu::Limits {
        self.device.limits()
    }

    pub fn adapter_summary(&self) -> String {
        format!("{} ({:?})", self.info.name, self.info.backend)
    }

    /// Returns the first error wgpu reported since the last check, naming `context`.
    pub fn check(&self, context: &str) -> Result<(), GpuError> {
        let Ok(mut record) = self.record.lock() else {
            return Err(GpuError::Validation {
                context: context.to_string(),
                message: "the error record was poisoned by a panic".to_string(),
            });
        };
        if let Some(message) = record.lost.clone() {
            return Err(GpuError::DeviceLost { context: context.to_string(), message });
        }
        if record.uncaptured.is_empty() {
            return Ok(());
        }
        let error = record.uncaptured.remove(0);
        record.uncaptured.clear();
        Err(convert_error(error, context))
    }

    /// Waits until all submitted work is done, then checks for errors.
    pub fn wait(&self, context: &str) -> Result<(), GpuError> {
        let poll = self.device.poll(wgpu::PollType::Wait {
            submission_index: None,
            timeout: Some(WAIT_TIMEOUT),
        });
        self.check(context)?;
        poll.map(|_| ()).map_err(|e| GpuError::Wait {
            context: context.to_string(),
            message: e.to_string(),
        })
    }

    /// Runs `create` inside out-of-memory and validation error scopes, so that a failed
    /// allocation is an error with `context` instead of a later, unrelated failure.
    pub fn scoped<T>(&self, context: &str, create: impl FnOnce() -> T) -> Result<T, GpuError> {
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let value = create();
        let memory_error = pollster::block_on(memory.pop());
        let validation_error = pollster::block_on(validation.pop());
        if let Some(error) = memory_error.or(validation_error) {
            return Err(convert_error(error, context));
        }
        self.check(context)?;
        Ok(value)
    }

    /// Reads a buffer range back to the CPU. The buffer needs `COPY_SRC`.
    pub fn read_buffer(
        &self,
        buffer: &wgpu::Buffer,
        offset: u64,
        size: u64,
        context: &str,
    ) -> Result<Vec<u8>, GpuError> {
        let staging = self.scoped(context, || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("scoreforce.readback"),
                size,
                usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
                mapped_at_creation: false,
            })
        })?;
        let mut encoder = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("scoreforce.readback"),
        });
        encoder.copy_buffer_to_buffer(buffer, offset, &staging, 0, size);
        self.queue.submit([encoder.finish()]);
        self.map_and_copy(&staging, context)
    }

    /// Maps a `MAP_READ` buffer after the submitted work and copies its bytes out.
    pub fn map_and_copy(&self, staging: &wgpu::Buffer, context: &str) -> Result<Vec<u8>, GpuError> {
        let (sender, receiver) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
        self.wait(context)?;
        let mapped = receiver.recv().map_err(|e| GpuError::Wait {
            context: context.to_string(),
            message: e.to_string(),
        })?;
        mapped.map_err(|e| GpuError::Wait { context: context.to_string(), message: e.to_string() })?;
        let bytes = {
            let view = staging.slice(..).get_mapped_range().map_err(|e| GpuError::Wait {
                context: context.to_string(),
                message: e.to_string(),
            })?;
            view.to_vec()
        };
        staging.unmap();
        Ok(bytes)
    }

    /// Bytes of memory the device can be expected to give, where that is knowable: a CPU
    /// adapter's memory is the host's available memory. Other adapters return `None`, and an
    /// allocation that does not fit fails inside `scoped` instead.
    pub fn memory_estimate(&self) -> Option<u64> {
        if self.info.device_type != wgpu::DeviceType::Cpu {
            return None;
        }
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }
}

/// Shape of a render pipeline: one WGSL module, one bind group, one colour target.
pub struct RenderPipelineSpec<'a> {
    pub label: &'a str,
    pub source: &'a str,
    pub vertex_entry: &'a str,
    pub fragment_entry: &'a str,
    pub vertex_buffers: &'a [Option<wgpu::VertexBufferLayout<'a>>],
    pub layout: &'a wgpu::BindGroupLayout,
    pub format: wgpu::TextureFormat,
    /// `None` replaces the target's colour; overlays blend premultiplied colours over it.
    pub blend: Option<wgpu::BlendState>,
}

impl GpuContext {
    /// Creates a render pipeline inside error scopes. The caller validates the source
    /// with naga first, for naga's diagnostic.
    pub fn create_render_pipeline(&self, spec: &RenderPipelineSpec<'_>) -> Result<wgpu::RenderPipeline, GpuError> {
        self.scoped(&format!("creating the pipeline `{}`", spec.label), || {
            let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(spec.label),
                source: wgpu::ShaderSource::Wgsl(spec.source.into()),
            });
            let pipeline_layout = self.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(spec.label),
                bind_group_layouts: &[Some(spec.layout)],
                immediate_size: 0,
            });
            self.device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(spec.label),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some(spec.vertex_entry),
                    compilation_options: Default::default(),
                    buffers: spec.vertex_buffers,
                },
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some(spec.fragment_entry),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format: spec.format,
                        blend: spec.blend,
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                multiview_mask: None,
                cache: None,
            })
        })
    }
}

/// Timestamps around one compute pass per submission, where the adapter supports them.
pub struct PassTimer {
    query_set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
    nanoseconds_per_tick: f64,
}

impl PassTimer {
    /// Returns `None` when the device lacks `TIMESTAMP_QUERY`.
    pub fn new(ctx: &GpuContext) -> Option<Self> {
        if !ctx.device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return None;
        }
        let query_set = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("timer.queries"),
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let size = 2 * std::mem::size_of::<u64>() as u64;
        let resolve = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("timer.resolve"),
            size,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("timer.readback"),
            size,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        Some(PassTimer {
            query_set,
            resolve,
            readback,
            nanoseconds_per_tick: f64::from(ctx.queue.get_timestamp_period()),
        })
    }

    /// Timestamp writes at the start and end of the pass being recorded.
    pub fn compute_writes(&self) -> wgpu::ComputePassTimestampWrites<'_> {
        wgpu::ComputePassTimestampWrites {
            query_set: &self.query_set,
            beginning_of_pass_write_index: Some(0),
            end_of_pass_write_index: Some(1),
        }
    }

    /// Records the copy of both timestamps to the readback buffer, after the pass.
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.resolve_query_set(&self.query_set, 0..2, &self.resolve, 0);
        encoder.copy_buffer_to_buffer(&self.resolve, 0, &self.readback, 0, self.resolve.size());
    }

    /// Seconds between the two timestamps, once the submission has finished.
    pub fn read_secs(&self, ctx: &GpuContext) -> Result<f64, GpuError> {
        let bytes = ctx.map_and_copy(&self.readback, "reading GPU timestamps")?;
        let ticks: &[u64] = bytemuck::cast_slice(&bytes);
        Ok(ticks[1].saturating_sub(ticks[0]) as f64 * self.nanoseconds_per_tick * 1e-9)
    }
}

fn create_instance(
    choice: BackendChoice,
    display: Option<Box<dyn wgpu::wgt::WgpuHasDisplayHandle>>,
) -> wgpu::Instance {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    descriptor.backends = choice.backends();
    descriptor.display = display;
    // Make allocations beyond 95% of the reported budget fail as out-of-memory errors
    // (Vulkan and DX12), instead of overcommitting and losing the device later.
    descriptor.memory_budget_thresholds = wgpu::MemoryBudgetThresholds {
        for_resource_creation: Some(95),
        for_device_loss: None,
    };
    wgpu::Instance::new(descriptor)
}

/// Creates an instance that can also present to windows of `display`.
pub fn create_instance_for_display(
    choice: BackendChoice,
    display: Box<dyn wgpu::wgt::WgpuHasDisplayHandle>,
) -> wgpu::Instance {
    create_instance(choice, Some(display))
}

/// Requests the most capable adapter of the chosen backends; with no adapter, the error
/// lists what was tried and what to install.
pub fn request_adapter(
    instance: &wgpu::Instance,
    choice: BackendChoice,
    surface: Option<&wgpu::Surface<'_>>,
) -> Result<wgpu::Adapter, GpuError> {
    let options = wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: surface,
        apply_limit_buckets: false,
    };
    pollster::block_on(instance.request_adapter(&options)).map_err(|e| {
        log::debug!("request_adapter: {e}");
        GpuError::NoAdapter {
            tried: backend_names(choice.backends()),
            hint: no_adapter_hint(choice.backends()),
        }
    })
}

/// Returns the hint for what to do when no adapter was found on `backends`.
fn no_adapter_hint(backends: wgpu::Backends) -> &'static str {
    let only = |backend: wgpu::Backends| !backends.is_empty() && backend.contains(backends);
    if only(wgpu::Backends::METAL) && !cfg!(target_vendor = "apple") {
        "Metal runs on macOS and iOS only; use --backend vulkan or gl here."
    } else if only(wgpu::Backends::DX12) && !cfg!(windows) {
        "DX12 runs on Windows only; use --backend vulkan or gl here."
    } else {
        INSTALL_HINT
    }
}

/// Names `WGPU_BACKEND` accepts, as wgpu reads them.
const BACKEND_VARIABLE_NAMES: [&str; 10] =
    ["vulkan", "vk", "dx12", "d3d12", "metal", "mtl", "opengl", "gles", "gl", "webgpu"];

/// Checks the `WGPU_BACKEND` variable that `--backend auto` honours. wgpu skips names it
/// does not know, so a typo would otherwise end in "no adapter found" with no backend tried.
pub fn check_backend_variable() -> Result<(), String> {
    let Ok(value) = std::env::var("WGPU_BACKEND") else {
        return Ok(());
    };
    let unknown: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|name| !BACKEND_VARIABLE_NAMES.contains(&name.to_lowercase().as_str()))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(format!(
        "invalid WGPU_BACKEND={value:?}: unknown backend {}; set it to vulkan, metal, dx12 or \
         gl (or a comma-separated list of them), or unset it",
        unknown.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
    ))
}

fn backend_names(backends: wgpu::Backends) -> String {
    let names: Vec<&str> = [
        (wgpu::Backends::VULKAN, "vulkan"),
        (wgpu::Backends::METAL, "metal"),
        (wgpu::Backends::DX12, "dx12"),
        (wgpu::Backends::GL, "gl"),
        (wgpu::Backends::BROWSER_WEBGPU, "webgpu"),
    ]
    .into_iter()
    .filter(|(flag, _)| backends.contains(*flag))
    .map(|(_, name)| name)
    .collect();
    if names.is_empty() { "none".to_string() } else { names.join(", ") }
}

fn convert_error(error: wgpu::Error, context: &str) -> GpuError {
    let context = context.to_string();
    match error {
        wgpu::Error::OutOfMemory { source } => {
            GpuError::OutOfMemory { context, message: source.to_string() }
        }
        wgpu::Error::Validation { description, .. } => {
            GpuError::Validation { context, message: description }
        }
        wgpu::Error::Internal { description, .. } => {
            GpuError::Validation { context, message: description }
        }
    }
}
