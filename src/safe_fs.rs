//! Reading files whose names come from input (a knowledge directory, a saved index):
//! regular files only, and never more than a stated number of bytes.
//!
//! A FIFO would block the reader forever (and a service's reload with it); a device such
//! as `/dev/zero` never ends. Both are refused before they are opened, by the type of the
//! file a path (or a symlink) leads to; a regular file larger than the cap is refused from
//! its size, and one that grows while it is read stops at the cap.

use std::io::Read;
use std::path::Path;

/// Largest file of a knowledge base read (64 MiB): FAQ files, `wenda.toml`, lexicon files
/// and the model file.
pub const MAX_KB_FILE_BYTES: u64 = 64 << 20;

/// What kind of non-regular file `meta` describes, for a message.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Refuses `path` unless it leads to a regular file of at most `max_bytes` bytes.
///
/// # Errors
/// `InvalidInput` naming what the path is (a FIFO, a device, a socket, a directory) or
/// how large it is; any error of `metadata`.
pub fn check_regular(path: &Path, max_bytes: u64) -> std::io::Result<u64> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{}, not a regular file: only regular files are read",
                kind(&meta)
            ),
        ));
    }
    if meta.len() > max_bytes {
        return Err(too_large(meta.len(), max_bytes));
    }
    Ok(meta.len())
}

fn too_large(len: u64, max_bytes: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{len} bytes or more, larger than the limit of {max_bytes} bytes"),
    )
}

/// The bytes of the regular file `path`, refused when it is anything else or larger than
/// `max_bytes`.
///
/// # Errors
/// As [`check_regular`], and any read error.
pub fn read_regular(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let len = check_regular(path, max_bytes)?;
    let file = std::fs::File::open(path)?;
    // The file may have been swapped since the check: look at what was opened.
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file: only regular files are read",
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64, max_bytes));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_large_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_regular(dir.path(), 10).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let f = dir.path().join("f");
        std::fs::write(&f, "0123456789x").unwrap();
        let e = read_regular(&f, 10).unwrap_err();
        assert!(e.to_string().contains("limit of 10 bytes"), "{e}");
        assert_eq!(read_regular(&f, 11).unwrap().len(), 11);
        #[cfg(unix)]
        {
            let zero = dir.path().join("zero");
            std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
            let e = read_regular(&zero, 10).unwrap_err();
            assert!(e.to_string().contains("a device"), "{e}");
        }
    }
}
