//! Writing pictures (PNG) and particles (.npy), and reading particles back for `--init`.
//!
//! Every output is written to a temporary file in the target folder and renamed into place
//! once complete, so an existing file is replaced only by a whole new one and a failed or
//! interrupted run leaves nothing behind.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use npyz::WriterBuilder;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write `{path}`: {cause}. Check that the folder exists and is writable, or choose another path")]
    Unwritable {
        path: PathBuf,
        cause: io::Error,
    },
    #[error("failed to encode `{path}`: {message}")]
    Encode { path: PathBuf, message: String },
    #[error("cannot read `{path}`: {cause}")]
    Unreadable {
        path: PathBuf,
        cause: io::Error,
    },
    #[error("invalid particle file `{path}`: {message}")]
    InvalidNpy { path: PathBuf, message: String },
    #[error("invalid PNG `{path}`: {message}")]
    InvalidPng { path: PathBuf, message: String },
    #[error("`{path}` ends in .{found}, but this command writes {content}; name it with .{expected}")]
    WrongExtension {
        path: PathBuf,
        found: String,
        expected: &'static str,
        content: &'static str,
    },
}

/// Checks that an output path has the extension `expected` (in any case) or none, so that
/// a picture is never written under a .npy name. `content` names what the file holds.
pub fn check_extension(path: &Path, expected: &'static str, content: &'static str) -> Result<(), ExportError> {
    match path.extension().map(|e| e.to_string_lossy()) {
        Some(found) if !found.eq_ignore_ascii_case(expected) => Err(ExportError::WrongExtension {
            path: path.to_path_buf(),
            found: found.into_owned(),
            expected,
            content,
        }),
        _ => Ok(()),
    }
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Checks, before any work, that a file can be created beside `path` and `path` is not a
/// folder. Leaves nothing behind.
pub fn check_writable(path: &Path) -> Result<(), ExportError> {
    let unwritable = |cause| ExportError::Unwritable { path: path.to_path_buf(), cause };
    if path.is_dir() {
        return Err(unwritable(io::Error::other("it is a folder")));
    }
    let folder = folder_of(path);
    if !folder.is_dir() {
        let message = if folder.exists() {
            format!("`{}` is a file, not a folder", folder.display())
        } else {
            format!("the folder `{}` does not exist", folder.display())
        };
        return Err(unwritable(io::Error::new(io::ErrorKind::NotFound, message)));
    }
    // The probe file's name would only confuse, so the error keeps just its kind.
    tempfile::Builder::new()
        .prefix(".scoreforce-check-")
        .tempfile_in(folder)
        .map(drop)
        .map_err(|e| unwritable(io::Error::new(e.kind(), e.kind().to_string())))
}

/// Writes through `write` into a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let unwritable = |cause| ExportError::Unwritable { path: path.to_path_buf(), cause };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".scoreforce-").suffix(".tmp");
    // Temporary files are private (0600); the output is an ordinary file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let temporary = builder.tempfile_in(folder_of(path)).map_err(unwritable)?;
    {
        let mut writer = BufWriter::new(temporary.as_file());
        write(&mut writer)?;
        writer.flush().map_err(unwritable)?;
    }
    temporary.as_file().sync_all().map_err(unwritable)?;
    temporary.persist(path).map_err(|e| unwritable(e.error))?;
    Ok(())
}

/// Metadata written into a PNG as tEXt chunks.
pub type PngText = Vec<(String, String)>;

/// Writes tightly packed RGBA8 rows as a PNG, with optional text chunks and resolution.
pub fn write_png(
    path: &Path,
    width: u32,
    height: u32,
    rgba: &[u8],
    text: &PngText,
    dots_per_inch: Option<f64>,
) -> Result<(), ExportError> {
    let encode_error = |e: png::EncodingError| ExportError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    write_atomically(path, |writer| {
        let mut encoder = png::Encoder::new(writer, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
        if let Some(dpi) = dots_per_inch {
            let per_metre = (dpi / 0.0254).round() as u32;
            encoder.set_pixel_dims(Some(png::PixelDimensions {
                xppu: per_metre,
                yppu: per_metre,
                unit: png::Unit::Meter,
            }));
        }
        for (key, value) in text {
            encoder.add_itxt_chunk(key.clone(), value.clone()).map_err(encode_error)?;
        }
        let mut png_writer = encoder.write_header().map_err(encode_error)?;
        png_writer.write_image_data(rgba).map_err(encode_error)?;
        png_writer.finish().map_err(encode_error)
    })
}

/// Reads the text chunks (tEXt, zTXt and iTXt) of a PNG.
pub fn read_png_text(path: &Path) -> Result<Vec<(String, String)>, ExportError> {
    let unreadable = |cause| ExportError::Unreadable { path: path.to_path_buf(), cause };
    let file = File::open(path).map_err(unreadable)?;
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let reader = decoder.read_info().map_err(|e| ExportError::InvalidPng {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let info = reader.info();
    let mut text: Vec<(String, String)> =
        info.uncompressed_latin1_text.iter().map(|t| (t.keyword.clone(), t.text.clone())).collect();
    for chunk in &info.compressed_latin1_text {
        if let Ok(value) = chunk.get_text() {
            text.push((chunk.keyword.clone(), value));
        }
    }
    for chunk in &info.utf8_text {
        if let Ok(value) = chunk.get_text() {
            text.push((chunk.keyword.clone(), value));
        }
    }
    Ok(text)
}

/// Writes positions as a float32 array of shape (N, 2) in the .npy format numpy.load reads.
pub fn write_npy(path: &Path, positions: &[[f32; 2]]) -> Result<(), ExportError> {
    let unwritable = |cause| ExportError::Unwritable { path: path.to_path_buf(), cause };
    write_atomically(path, |writer| {
        let mut npy = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[positions.len() as u64, 2])
            .writer(writer)
            .begin_nd()
            .map_err(unwritable)?;
        npy.extend(positions.iter().flatten().copied()).map_err(unwritable)?;
        npy.finish().map_err(unwritable)
    })
}

/// Reads an (N, 2) array of float32 or float64 positions in C order from a .npy file.
pub fn read_npy(path: &Path) -> Result<Vec<[f32; 2]>, ExportError> {
    let unreadable = |cause| ExportError::Unreadable { path: path.to_path_buf(), cause };
    let bytes = std::fs::read(path).map_err(unreadable)?;
    parse_npy(&bytes, path)
}

/// Parses the bytes of a .npy file of positions; `path` names it in errors.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<Vec<[f32; 2]>, ExportError> {
    let invalid = |message: String| ExportError::InvalidNpy { path: path.to_path_buf(), message };
    let npy = npyz::NpyFile::new(bytes)
        .map_err(|e| invalid(format!("not a .npy file ({e})")))?;
    let shape = npy.shape().to_vec();
    if shape.len() != 2 || shape[1] != 2 {
        return Err(invalid(format!(
            "shape {shape:?}; expected (N, 2) positions, one row per particle"
        )));
    }
    if npy.order() != npyz::Order::C {
        return Err(invalid("Fortran order; save it with np.ascontiguousarray first".into()));
    }
    let type_string = npy.dtype().descr();
    let value_bytes: u64 = match type_string.as_str() {
        "'<f4'" => 4,
        "'<f8'" => 8,
        other => {
            return Err(invalid(format!(
                "dtype {other}; expected float32 ('<f4') or float64 ('<f8')"
            )));
        }
    };
    // Check the size the header claims against the bytes present before reading, so a
    // corrupt header cannot request a huge allocation.
    let claimed = shape[0].checked_mul(2 * value_bytes);
    if claimed.is_none_or(|claimed| claimed > bytes.len() as u64) {
        return Err(invalid(format!(
            "the header declares shape {shape:?} but the file has only {} bytes; it is truncated",
            bytes.len()
        )));
    }
    let values: Vec<f32> = match value_bytes {
        4 => npy.into_vec::<f32>().map_err(|e| invalid(e.to_string()))?,
        _ => npy
            .into_vec::<f64>()
            .map_err(|e| invalid(e.to_string()))?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
    };
    if values.len() as u64 != shape[0] * 2 {
        return Err(invalid(format!(
            "{} values for shape {shape:?}; the file is truncated",
            values.len()
        )));
    }
    if shape[0] == 0 {
        return Err(invalid("it has no rows; it needs at least one position".into()));
    }
    let positions: Vec<[f32; 2]> = values.chunks_exact(2).map(|pair| [pair[0], pair[1]]).collect();
    let is_bad = |p: &[f32; 2]| !(p[0].is_finite() && p[1].is_finite());
    let bad_rows = positions.iter().filter(|p| is_bad(p)).count();
    if let Some(row) = positions.iter().position(is_bad) {
        let [x, y] = positions[row];
        return Err(invalid(format!(
            "{bad_rows} {} not finite, the first is row {row} = ({x}, {y}) (as float32); \
             remove or replace them",
            if bad_rows == 1 { "row is" } else { "rows are" }
        )));
    }
    Ok(positions)
}
