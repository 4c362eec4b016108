//! Reading a pretrained model's folder: its files by name, each error naming the file, the
//! tokenizer, and a hash of the weights (recorded in saved indexes).

use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;

use crate::error::{Error, Result};
use crate::safe_fs::read_regular;
use crate::stable_hash::{fnv1a_bytes, splitmix64};

/// The tokenizer of a model folder.
pub(crate) const TOKENIZER_FILE: &str = "tokenizer.json";
/// The weights of a model folder.
pub(crate) const WEIGHTS_FILE: &str = "model.safetensors";

/// Largest file read from a model folder (the weights of a large encoder fit).
const MAX_FILE_BYTES: u64 = 8 << 30;
/// Largest JSON file (configs, tokenizer) read from a model folder.
const MAX_JSON_BYTES: u64 = 256 << 20;

/// A model's folder, and a running hash of the files read from it.
pub(crate) struct ModelDir {
    dir: PathBuf,
    hash: u64,
}

impl ModelDir {
    /// The folder `path`; an error naming it when it is not a folder.
    pub fn open(path: &Path) -> Result<ModelDir> {
        if !path.is_dir() {
            return Err(Error::BadEmbedder {
                file: path.to_path_buf(),
                reason: "is not a folder; [embedder] path must name the model's folder (with tokenizer.json and model.safetensors)".into(),
            });
        }
        Ok(ModelDir {
            dir: path.to_path_buf(),
            hash: 0x6d6f_6465_6c00,
        })
    }

    /// The folder's name, as the model's name in its id.
    pub fn name(&self) -> String {
        self.dir
            .canonicalize()
            .ok()
            .as_deref()
            .and_then(Path::file_name)
            .or_else(|| self.dir.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into())
    }

    /// The path of `file` in the folder.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// An error about `file` of the folder.
    pub fn error(&self, file: &str, reason: impl Into<String>) -> Error {
        Error::BadEmbedder {
            file: self.path(file),
            reason: reason.into(),
        }
    }

    /// The bytes of `file` (hashed into [`hash`](Self::hash)); an error naming it when it
    /// is missing, not a regular file or unreadable.
    pub fn read(&mut self, file: &str, what: &str) -> Result<Vec<u8>> {
        match self.read_optional(file)? {
            Some(bytes) => Ok(bytes),
            None => Err(self.error(file, format!("is missing; the folder needs {what}"))),
        }
    }

    /// The bytes of `file`, or `None` when the folder has no such file.
    pub fn read_optional(&mut self, file: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(file);
        if !path.exists() {
            return Ok(None);
        }
        let cap = if file.ends_with(".json") {
            MAX_JSON_BYTES
        } else {
            MAX_FILE_BYTES
        };
        let bytes = read_regular(&path, cap).map_err(|e| Error::BadEmbedder {
            file: path.clone(),
            reason: format!("cannot be read: {e}"),
        })?;
        self.hash = splitmix64(self.hash ^ fnv1a_bytes(file.as_bytes()));
        self.hash = splitmix64(self.hash ^ fnv1a_bytes(&bytes));
        Ok(Some(bytes))
    }

    /// `file` parsed as JSON into `T`; an error naming it when it is not.
    pub fn read_json<T: serde::de::DeserializeOwned>(
        &mut self,
        file: &str,
        what: &str,
    ) -> Result<Option<T>> {
        let Some(bytes) = self.read_optional(file)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| self.error(file, format!("is not {what}: {e}")))
    }

    /// The folder's `tokenizer.json`, with padding and truncation switched off (the
    /// embedder cuts and pads itself).
    pub fn tokenizer(&mut self) -> Result<Tokenizer> {
        let bytes = self.read(
            TOKENIZER_FILE,
            "the model's tokenizer (tokenizer.json, as saved by Hugging Face tokenizers)",
        )?;
        // The tokenizers crate is not written for hostile input; a panic on a strange
        // file is reported as that file's error.
        let parsed = std::panic::catch_unwind(|| Tokenizer::from_bytes(&bytes))
            .map_err(|_| self.error(TOKENIZER_FILE, "is malformed"))?;
        let mut tokenizer = parsed.map_err(|e| {
            self.error(
                TOKENIZER_FILE,
                format!("is not a Hugging Face tokenizer: {e}"),
            )
        })?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| self.error(TOKENIZER_FILE, format!("cannot be used: {e}")))?;
        Ok(tokenizer)
    }

    /// A hash of every file read so far (names and bytes), as 16 hex digits.
    pub fn hash(&self) -> String {
        format!("{:016x}", self.hash)
    }
}

/// The token ids of `text`, or `None` when the tokenizer fails on it.
pub(crate) fn token_ids(tokenizer: &Tokenizer, text: &str, special: bool) -> Option<Vec<u32>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tokenizer.encode(text, special)
    }))
    .ok()?
    .ok()
    .map(|e| e.get_ids().to_vec())
}
