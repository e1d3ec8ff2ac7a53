//! Reading an input file safely: only a regular file (a FIFO would block
//! forever, `/dev/zero` would never end), and only up to a size no real
//! Terraform or variables file reaches, so one argument cannot exhaust the
//! runner.

use std::io::Read;
use std::path::Path;

/// Larger than any Terraform file written by hand or generated in practice
/// (the biggest in `shared/corpus` is a few hundred KiB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why `path` is not a regular file within the size limit, if it is not.
pub fn check_regular(path: &Path) -> Result<std::fs::Metadata, String> {
    // `metadata` follows links, as opening would; checking before opening
    // matters because opening a FIFO blocks until a writer appears.
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(format!("{kind}; refusing to read it"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{} bytes, more than the {MAX_FILE_BYTES}-byte limit for one file",
            meta.len()
        ));
    }
    Ok(meta)
}

/// The bytes of `path`, or why it was not read.
pub fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    let meta = check_regular(path)?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "grew past the {MAX_FILE_BYTES}-byte limit for one file while being read"
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_with_a_reason() {
        assert!(
            read_regular(Path::new("/dev/zero"))
                .unwrap_err()
                .contains("not a regular file")
        );
        assert!(
            read_regular(Path::new("/"))
                .unwrap_err()
                .contains("a directory")
        );
    }
}
