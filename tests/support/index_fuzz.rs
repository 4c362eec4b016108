//! Damaged saved indexes: a saved index's files are mutated (bits flipped, bytes
//! overwritten, sizes set huge, files truncated, extended or emptied, manifest entries
//! dropped) and the manifest is rewritten to match, so every mutation gets past the
//! checksums; `Bot::open` must then return `Ok` or `Err`, never panic or abort, and a bot
//! that opens must answer without panicking.
//!
//! Shared by the CI test (`tests/it/index_fuzz.rs`, a few hundred cases) and the example
//! `cargo run --release --example fuzz_index -- CASES` (10,000 and more).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wenda::{Bot, FileSum, Manifest};

/// SplitMix64: a small reproducible generator.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A value below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// What the cases came to.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Cases run.
    pub cases: u64,
    /// Mutated indexes that still opened (and answered).
    pub opened: u64,
    /// Mutated indexes refused with an error.
    pub refused: u64,
    /// Panics (in `open` or in `ask`), with the case and the mutation.
    pub panics: Vec<String>,
}

/// The manifest's size and CRC-32 of `bytes`.
pub fn crc(bytes: &[u8]) -> FileSum {
    let mut h = crc32fast::Hasher::new();
    h.update(bytes);
    FileSum {
        bytes: bytes.len() as u64,
        crc32: h.finalize(),
    }
}

/// The generation `CURRENT` points at.
pub fn generation(dir: &Path) -> PathBuf {
    let name = std::fs::read_to_string(dir.join("CURRENT")).unwrap_or_default();
    dir.join(name.trim())
}

/// One mutation of `bytes`, described.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let len = bytes.len();
    match rng.below(8) {
        0 | 1 => {
            let n = 1 + rng.below(8);
            for _ in 0..n {
                if !bytes.is_empty() {
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
            }
            format!("flip {n} bits")
        }
        2 => {
            // A size or count set huge (little- or big-endian 0xFF.., or a high byte).
            let at = rng.below(len.max(1));
            let value: u64 = match rng.below(3) {
                0 => u64::MAX,
                1 => 1 << (32 + rng.below(31)),
                _ => rng.next(),
            };
            for (i, b) in value.to_ne_bytes().iter().enumerate() {
                if let Some(x) = bytes.get_mut(at + i) {
                    *x = *b;
                }
            }
            format!("u64 {value:#x} at {at}")
        }
        3 => {
            let at = rng.below(len.max(1));
            bytes.truncate(at);
            format!("truncate at {at} of {len}")
        }
        4 => {
            let n = 1 + rng.below(64);
            bytes.extend((0..n).map(|_| rng.next() as u8));
            format!("append {n} bytes")
        }
        5 => {
            let at = rng.below(len.max(1));
            let n = 1 + rng.below(16);
            let end = (at + n).min(len);
            bytes.drain(at..end);
            format!("delete {n} at {at}")
        }
        6 => {
            bytes.clear();
            "empty".to_string()
        }
        _ => {
            let at = rng.below(len.max(1));
            let n = 1 + rng.below(32);
            for i in 0..n {
                if let Some(x) = bytes.get_mut(at + i) {
                    *x = rng.next() as u8;
                }
            }
            format!("overwrite {n} at {at}")
        }
    }
}

/// Runs `cases` mutations of the index saved in `index` (built by the caller, ideally
/// small and with an HNSW graph), asking each bot that opens `questions`.
pub fn run(index: &Path, cases: u64, seed: u64, questions: &[&str]) -> Outcome {
    let gen_dir = generation(index);
    let manifest_path = gen_dir.join("manifest.json");
    let pristine_manifest = std::fs::read(&manifest_path).unwrap_or_default();
    let manifest: Manifest = match serde_json::from_slice(&pristine_manifest) {
        Ok(m) => m,
        Err(e) => panic!("the index to fuzz has no manifest: {e}"),
    };
    let names: Vec<String> = manifest.files.keys().cloned().collect();
    let originals: BTreeMap<String, Vec<u8>> = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                std::fs::read(gen_dir.join(n)).unwrap_or_default(),
            )
        })
        .collect();
    // The parts wenda decodes itself get most of the cases.
    let weighted: Vec<&String> = names
        .iter()
        .flat_map(|n| {
            let w = if n.starts_with("lexical/") { 1 } else { 6 };
            std::iter::repeat_n(n, w)
        })
        .collect();
    let mut rng = Rng::new(seed);
    let mut out = Outcome::default();
    for case in 0..cases {
        let mut m = manifest.clone();
        let name = weighted[rng.below(weighted.len())].clone();
        let what = if rng.below(20) == 0 {
            // The manifest itself: files left out of it (or all of them).
            if rng.below(2) == 0 {
                m.files.clear();
                "manifest lists no files".to_string()
            } else {
                m.files.remove(&name);
                format!("manifest leaves out {name}")
            }
        } else {
            let mut bytes = originals[&name].clone();
            let what = mutate(&mut rng, &mut bytes);
            let _ = std::fs::write(gen_dir.join(&name), &bytes);
            if let Some(sum) = m.files.get_mut(&name) {
                *sum = crc(&bytes);
            }
            format!("{name}: {what}")
        };
        let _ = std::fs::write(
            &manifest_path,
            serde_json::to_vec_pretty(&m).unwrap_or_default(),
        );
        let result = std::panic::catch_unwind(|| match Bot::open(index) {
            Ok(bot) => {
                for q in questions {
                    let _ = bot.ask(q);
                }
                true
            }
            Err(_) => false,
        });
        out.cases += 1;
        match result {
            Ok(true) => out.opened += 1,
            Ok(false) => out.refused += 1,
            Err(_) => out.panics.push(format!("case {case}: {what}")),
        }
        let _ = std::fs::write(gen_dir.join(&name), &originals[&name]);
        let _ = std::fs::write(&manifest_path, &pristine_manifest);
    }
    out
}
