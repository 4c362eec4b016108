//! The on-disk index directory.
//!
//! ```text
//! DIR/CURRENT                 name of the generation in use ("gen-…"), replaced atomically
//! DIR/gen-<stamp>/            one complete index
//!     manifest.json           format version, knowledge-base hash, checksums of every file
//!     …                       the files the bot writes (see `bot::persist`)
//! DIR/tmp-<stamp>-<pid>/      a build in progress (never read); one whose process is
//!                             gone is removed by the next build
//! ```
//!
//! A build writes a whole generation into `tmp-…`, syncs it, renames it to `gen-…`, and only
//! then points `CURRENT` at it (write to a temporary file, sync, rename). An interrupted
//! build therefore leaves `CURRENT` pointing at the previous, complete generation. The
//! previous generation is kept (a process may still be opening it); older ones are removed.
//!
//! Every file's CRC-32 is in the manifest and is checked on open, so a truncated or damaged
//! file is reported as such instead of reaching a decoder that might panic on it.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::safe_fs::{check_regular, read_regular};

/// Version of the on-disk layout; bumped whenever a file changes meaning.
pub(crate) const FORMAT_VERSION: u32 = 1;
const CURRENT: &str = "CURRENT";
const MANIFEST: &str = "manifest.json";
const GEN_PREFIX: &str = "gen-";
const TMP_PREFIX: &str = "tmp-";
/// Largest manifest read (it lists a few dozen files).
const MAX_MANIFEST_BYTES: u64 = 1 << 20;
/// A `tmp-…` directory older than this is a crashed build and may be removed.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// Size and checksum of one file of a generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    /// Length in bytes.
    pub bytes: u64,
    /// CRC-32 (IEEE) of the content.
    pub crc32: u32,
}

/// What a saved index says about itself (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// Layout version; an index of another version is refused (rebuild it).
    pub format_version: u32,
    /// The wenda version that wrote it.
    pub wenda_version: String,
    /// Hash of the knowledge base's content (entries, lexicon, triggers, options) it was
    /// built from, as 16 hex digits.
    pub kb_hash: String,
    /// Number of FAQ entries.
    pub entries: usize,
    /// Number of question variants.
    pub variants: usize,
    /// [`Embedder::id`](crate::embed::Embedder::id) of the embedder used.
    pub embedder: String,
    /// Whether the built-in embedder was used (and saved with the index).
    pub builtin_embedder: bool,
    /// Vector width.
    pub dimension: usize,
    /// Whether an HNSW graph was built.
    pub hnsw: bool,
    /// Byte order of the machine that wrote it (the HNSW files are native-endian).
    pub endian: String,
    /// Seconds since the Unix epoch when the build finished.
    pub built_at: u64,
    /// Every file of the generation (paths relative to it, `/`-separated).
    pub files: BTreeMap<String, FileSum>,
}

/// The byte order of this machine, as recorded in manifests.
pub(crate) fn native_endian() -> &'static str {
    if cfg!(target_endian = "little") {
        "little"
    } else {
        "big"
    }
}

/// Writes a new generation into `dir`: `fill` writes the files into the directory it is
/// given, then checksums and `manifest` are written and the generation is swapped in.
pub(crate) fn write_generation(
    dir: &Path,
    mut manifest: Manifest,
    fill: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // A killed build's folder goes now, not an hour later.
    remove_stale_tmp(dir);
    let stamp = stamp();
    let tmp = dir.join(format!("{TMP_PREFIX}{stamp}"));
    fs::create_dir(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let result = (|| {
        fill(&tmp)?;
        manifest.files = checksums(&tmp)?;
        let json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| Error::Index(format!("cannot encode the manifest: {e}")))?;
        write_synced(&tmp.join(MANIFEST), &json)?;
        sync_dir(&tmp);
        let generation = format!("{GEN_PREFIX}{stamp}");
        let target = dir.join(&generation);
        fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))?;
        let pointer = dir.join(format!("{CURRENT}.{stamp}"));
        write_synced(&pointer, generation.as_bytes())?;
        let current = dir.join(CURRENT);
        fs::rename(&pointer, &current).map_err(|e| Error::io(&current, e))?;
        sync_dir(dir);
        Ok(target)
    })();
    match result {
        Ok(target) => {
            remove_old_generations(dir, &target);
            Ok(target)
        }
        Err(e) => {
            let _ignored = fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}

/// The generation `CURRENT` points at, with its manifest, after checking the format
/// version and every file's checksum.
pub(crate) fn open_current(dir: &Path) -> Result<(PathBuf, Manifest)> {
    let generation = current_generation(dir)?;
    let manifest = read_manifest(&generation)?;
    check_format(&generation, &manifest)?;
    let found = checksums(&generation)?;
    // The manifest lists every file of the generation: one it leaves out would be read
    // unchecked (a manifest with `"files": {}` would check nothing).
    if let Some(name) = found.keys().find(|n| !manifest.files.contains_key(*n)) {
        return Err(Error::Index(format!(
            "{}: the manifest does not list this file, so it cannot be checked; rebuild the \
             index with `wenda build`",
            generation.join(name).display()
        )));
    }
    for (name, want) in &manifest.files {
        match found.get(name) {
            None => {
                return Err(Error::Index(format!(
                    "{}: the file is missing; rebuild the index with `wenda build`",
                    generation.join(name).display()
                )));
            }
            Some(got) if got != want => {
                return Err(Error::Index(format!(
                    "{}: the file is damaged ({} bytes, CRC {:08x}; the manifest says {} bytes, \
                     CRC {:08x}); rebuild the index with `wenda build`",
                    generation.join(name).display(),
                    got.bytes,
                    got.crc32,
                    want.bytes,
                    want.crc32
                )));
            }
            Some(_) => {}
        }
    }
    Ok((generation, manifest))
}

/// The manifest of the generation in use, without checking files (cheap: for deciding
/// whether an index is up to date).
pub(crate) fn peek_manifest(dir: &Path) -> Result<Manifest> {
    let generation = current_generation(dir)?;
    let manifest = read_manifest(&generation)?;
    check_format(&generation, &manifest)?;
    Ok(manifest)
}

/// Whether `dir` holds an index at all (a `CURRENT` pointer).
pub(crate) fn exists(dir: &Path) -> bool {
    dir.join(CURRENT).is_file()
}

fn current_generation(dir: &Path) -> Result<PathBuf> {
    let pointer = dir.join(CURRENT);
    let name = match fs::read_to_string(&pointer) {
        Ok(name) => name,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Index(format!(
                "{}: no index here (no {CURRENT} file); build one with `wenda build --out {}`",
                dir.display(),
                dir.display()
            )));
        }
        Err(e) => return Err(Error::io(&pointer, e)),
    };
    let name = name.trim();
    if !name.starts_with(GEN_PREFIX) || name.contains(['/', '\\']) || name.contains("..") {
        return Err(Error::Index(format!(
            "{}: does not name an index generation (found {name:?}); rebuild the index",
            pointer.display()
        )));
    }
    Ok(dir.join(name))
}

fn read_manifest(generation: &Path) -> Result<Manifest> {
    let path = generation.join(MANIFEST);
    let bytes = read_regular(&path, MAX_MANIFEST_BYTES).map_err(|e| Error::io(&path, e))?;
    // Read the version first, so that a manifest of another layout gets the right message.
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
    }
    let version: Version = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Index(format!(
            "{}: not a wenda index manifest ({e}); rebuild the index",
            path.display()
        ))
    })?;
    if version.format_version != FORMAT_VERSION {
        return Err(format_mismatch(generation, version.format_version));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Index(format!(
            "{}: damaged manifest ({e}); rebuild the index",
            path.display()
        ))
    })
}

fn check_format(generation: &Path, manifest: &Manifest) -> Result<()> {
    if manifest.format_version != FORMAT_VERSION {
        return Err(format_mismatch(generation, manifest.format_version));
    }
    if manifest.endian != native_endian() {
        return Err(Error::StaleIndex {
            dir: generation.to_path_buf(),
            why: format!(
                "written on a {}-endian machine, this one is {}-endian",
                manifest.endian,
                native_endian()
            ),
        });
    }
    Ok(())
}

fn format_mismatch(generation: &Path, found: u32) -> Error {
    Error::StaleIndex {
        dir: generation.to_path_buf(),
        why: format!(
            "index format {found}, but this wenda ({}) reads format {FORMAT_VERSION}",
            env!("CARGO_PKG_VERSION")
        ),
    }
}

/// Size and CRC-32 of every file under `root` except the manifest.
fn checksums(root: &Path) -> Result<BTreeMap<String, FileSum>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if name == MANIFEST || name.ends_with(".lock") {
                continue;
            }
            out.insert(name, file_sum(&path)?);
        }
    }
    Ok(out)
}

fn file_sum(path: &Path) -> Result<FileSum> {
    // A FIFO or a device in the generation would block or never end.
    check_regular(path, u64::MAX).map_err(|e| Error::io(path, e))?;
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok(FileSum {
        bytes,
        crc32: hasher.finalize(),
    })
}

/// Writes `bytes` to `path` and flushes them to the disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = fs::File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}

/// Flushes a directory's entries (renames, new files) to the disk, where the platform
/// allows it; a failure only weakens crash safety, so it is not reported.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ignored = d.sync_all();
    }
}

/// A name that sorts by time and does not collide between processes.
fn stamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{:010}{:09}-{}",
        now.as_secs(),
        now.subsec_nanos(),
        std::process::id()
    )
}

/// Whether `entry` is a `tmp-…` build folder left by a build that is no longer running:
/// its writer's process (the pid ends the name) is gone, or, where that cannot be told,
/// it is older than an hour. A folder of this process, or of a live one, is another
/// build in progress and is kept.
fn is_stale_tmp(entry: &fs::DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy().into_owned();
    let Some(stamp) = name.strip_prefix(TMP_PREFIX) else {
        return false;
    };
    let pid = stamp.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
    if let Some(pid) = pid
        && pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{pid}")).exists()
    {
        return true;
    }
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > STALE_TMP)
}

/// Removes the `tmp-…` folders of crashed builds in `dir` (see [`is_stale_tmp`]).
fn remove_stale_tmp(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if is_stale_tmp(&entry) {
            let _ignored = fs::remove_dir_all(entry.path());
        }
    }
}

/// Removes generations other than `keep` and the one just before it, and crashed builds.
/// Best effort: a generation another process is still reading stays readable on Unix, and
/// anything that cannot be removed is left for the next build.
fn remove_old_generations(dir: &Path, keep: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut generations: Vec<PathBuf> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(GEN_PREFIX) && path != keep {
            generations.push(path);
        } else if is_stale_tmp(&entry) {
            let _ignored = fs::remove_dir_all(&path);
        }
    }
    generations.sort();
    // The newest of the others is the previous generation: keep it.
    generations.pop();
    for old in generations {
        let _ignored = fs::remove_dir_all(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            wenda_version: "test".into(),
            kb_hash: "0".into(),
            entries: 1,
            variants: 1,
            embedder: "e".into(),
            builtin_embedder: true,
            dimension: 8,
            hnsw: false,
            endian: native_endian().into(),
            built_at: 0,
            files: BTreeMap::new(),
        }
    }

    #[test]
    fn generations_swap_and_old_ones_go() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let mut written = Vec::new();
        for round in 0..3u8 {
            let g = write_generation(dir.path(), manifest(), |d| {
                fs::create_dir(d.join("sub")).map_err(|e| Error::io(d, e))?;
                write_synced(&d.join("sub/a.bin"), &[round; 10])
            })?;
            written.push(g);
        }
        let (current, m) = open_current(dir.path())?;
        assert_eq!(current, written[2]);
        assert_eq!(m.files["sub/a.bin"].bytes, 10);
        assert!(written[1].exists(), "the previous generation is kept");
        assert!(!written[0].exists(), "older generations are removed");
        Ok(())
    }

    #[test]
    fn a_crashed_builds_folder_goes_and_a_running_ones_stays() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        // No process has pid 4,000,000,000 (Linux caps pids at 2^22).
        let crashed = dir.path().join("tmp-17000000000000000000-4000000000");
        let running = dir
            .path()
            .join(format!("tmp-17000000000000000000-{}", std::process::id()));
        for d in [&crashed, &running] {
            fs::create_dir(d).map_err(|e| Error::io(d, e))?;
            write_synced(&d.join("a.bin"), &[0; 100])?;
        }
        write_generation(dir.path(), manifest(), |d| {
            write_synced(&d.join("a.bin"), b"x")
        })?;
        if Path::new("/proc/self").exists() {
            assert!(!crashed.exists(), "a crashed build's folder is removed");
        }
        assert!(running.exists(), "a live process's build is kept");
        Ok(())
    }

    #[test]
    fn failed_build_keeps_the_previous_index() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        let first = write_generation(dir.path(), manifest(), |d| {
            write_synced(&d.join("a.bin"), b"one")
        })?;
        let failed = write_generation(dir.path(), manifest(), |_| {
            Err(Error::Index("interrupted".into()))
        });
        assert!(failed.is_err());
        assert_eq!(open_current(dir.path())?.0, first);
        Ok(())
    }

    #[test]
    fn damage_and_version_are_reported() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
        assert!(!exists(dir.path()));
        let missing = open_current(dir.path())
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(missing.contains("no index here"), "{missing}");
        let g = write_generation(dir.path(), manifest(), |d| {
            write_synced(&d.join("a.bin"), b"hello")
        })?;
        write_synced(&g.join("a.bin"), b"jello").map(|_| ())?;
        let damaged = open_current(dir.path())
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(damaged.contains("damaged"), "{damaged}");
        let mut old = manifest();
        old.format_version = FORMAT_VERSION + 1;
        write_synced(
            &g.join(MANIFEST),
            &serde_json::to_vec(&old).map_err(|e| Error::Index(e.to_string()))?,
        )?;
        let version = peek_manifest(dir.path())
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(version.contains("format"), "{version}");
        write_synced(&dir.path().join(CURRENT), b"../../etc")?;
        assert!(open_current(dir.path()).is_err());
        Ok(())
    }
}
