//! Finding and reading the files of a knowledge base.

use std::fs;
use std::path::{Path, PathBuf};

use super::KnowledgeBase;
use super::faq_csv::{decode_csv, parse_faq_csv};
use super::faq_jsonl::parse_faq_jsonl;
use super::faq_toml::parse_faq_toml;
use super::faq_xlsx::parse_faq_xlsx;
use super::lexicon_files::{parse_dict, parse_stopwords, parse_synonyms};
use super::settings::{parse_config, parse_smalltalk, parse_triggers};
use crate::error::{Error, Problem, Result};
use crate::model::ConfidenceModel;
use crate::safe_fs::{MAX_KB_FILE_BYTES, check_regular, read_regular};

/// Reserved file names at the top of a knowledge directory.
pub(crate) const CONFIG_FILE: &str = "wenda.toml";
pub(crate) const TRIGGERS_FILE: &str = "triggers.toml";
pub(crate) const SMALLTALK_FILE: &str = "smalltalk.toml";
pub(crate) const DICT_FILE: &str = "dict.txt";
pub(crate) const SYNONYMS_FILE: &str = "synonyms.txt";
pub(crate) const STOPWORDS_FILE: &str = "stopwords.txt";

/// Reads `path` (a knowledge directory, or one `.toml`, `.jsonl`, `.csv` or `.xlsx` FAQ file) and
/// returns the knowledge base with every problem found, errors and warnings together.
/// Only I/O failures on the top-level path are returned as `Err`.
/// With `with_model` false, a model named by `calibration.model` is not read.
pub(crate) fn read(path: &Path, with_model: bool) -> Result<(KnowledgeBase, Vec<Problem>)> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let mut kb = KnowledgeBase::empty();
    kb.path = Some(path.to_path_buf());
    let mut problems = Vec::new();
    if meta.is_dir() {
        read_dir_kb(path, &mut kb, &mut problems, with_model)?;
    } else {
        match faq_format(path) {
            Some(format) => kb.entries = read_faq_file(format, path, &mut problems),
            None => problems.push(Problem::error(
                path,
                "unsupported file type: use a knowledge directory, or a .toml, .jsonl, .csv or .xlsx FAQ file",
            )),
        }
    }
    Ok((kb, problems))
}

#[derive(Clone, Copy)]
enum Format {
    Toml,
    Jsonl,
    Csv,
    Xlsx,
}

fn faq_format(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "toml" => Some(Format::Toml),
        "jsonl" | "ndjson" => Some(Format::Jsonl),
        "csv" => Some(Format::Csv),
        "xlsx" | "xlsm" => Some(Format::Xlsx),
        _ => None,
    }
}

/// Reads and parses one FAQ file: text formats as UTF-8, CSV in any encoding
/// [`decode_csv`] detects, workbooks as bytes.
fn read_faq_file(format: Format, path: &Path, problems: &mut Vec<Problem>) -> Vec<super::Entry> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match format {
        Format::Toml => read_text(path, problems)
            .map(|t| parse_faq_toml(&t, path, problems))
            .unwrap_or_default(),
        Format::Jsonl => read_text(path, problems)
            .map(|t| parse_faq_jsonl(&t, path, "", problems))
            .unwrap_or_default(),
        Format::Csv => match read_bytes(path, problems).map(|b| decode_csv(&b)) {
            Some(Some((text, _encoding))) => parse_faq_csv(&text, path, &stem, problems),
            Some(None) => {
                problems.push(Problem::error(
                    path,
                    "neither UTF-8 nor GBK/GB18030 text (save the sheet as \"CSV UTF-8\" or as .xlsx)",
                ));
                Vec::new()
            }
            None => Vec::new(),
        },
        Format::Xlsx => read_bytes(path, problems)
            .map(|b| parse_faq_xlsx(&b, path, problems))
            .unwrap_or_default(),
    }
}

fn read_dir_kb(
    root: &Path,
    kb: &mut KnowledgeBase,
    problems: &mut Vec<Problem>,
    with_model: bool,
) -> Result<()> {
    let mut faq_files = Vec::new();
    collect_files(root, root, &mut faq_files)?;
    faq_files.sort();
    let mut found_any = false;
    for file in faq_files {
        let Some(format) = faq_format(&file) else {
            continue;
        };
        found_any = true;
        let entries = read_faq_file(format, &file, problems);
        kb.entries.extend(entries);
    }
    if !found_any {
        problems.push(Problem::error(
            root,
            "no FAQ files in this directory (expected one or more .toml, .jsonl, .csv or .xlsx files besides wenda.toml, triggers.toml and smalltalk.toml)",
        ));
    }
    let optional = |name: &str, problems: &mut Vec<Problem>| {
        let p = root.join(name);
        // Anything at the name is read (or reported): a FIFO is not skipped silently.
        if p.symlink_metadata().is_ok() {
            read_text(&p, problems).map(|t| (p, t))
        } else {
            None
        }
    };
    if let Some((p, t)) = optional(CONFIG_FILE, problems) {
        kb.config = parse_config(&t, &p, problems);
        if !with_model {
            kb.config.calibration.model = None;
        } else if let Some(model) = kb.config.calibration.model.clone() {
            match read_model(root, &model) {
                Ok(m) => {
                    let path = root.join(&model);
                    // Warnings name the model file as the curator would find it.
                    kb.config.calibration.model = Some(path);
                    kb.model = Some(m);
                }
                Err(e) => problems.push(
                    Problem::error(
                        &p,
                        format!(
                            "[calibration] model = \"{}\": {}",
                            model.display(),
                            model_error(&e)
                        ),
                    )
                    .at_line(super::toml_util::find_key_line(&t, "model", 1)),
                ),
            }
        }
    }
    if let Some((p, t)) = optional(TRIGGERS_FILE, problems) {
        kb.triggers = parse_triggers(&t, &p, problems);
    }
    if let Some((p, t)) = optional(SMALLTALK_FILE, problems) {
        kb.smalltalk = parse_smalltalk(&t, &p, problems);
    }
    if let Some((p, t)) = optional(DICT_FILE, problems) {
        kb.lexicon.dict = parse_dict(&t, &p, problems);
    }
    if let Some((p, t)) = optional(SYNONYMS_FILE, problems) {
        kb.lexicon.synonyms = parse_synonyms(&t, &p, problems);
    }
    if let Some((_, t)) = optional(STOPWORDS_FILE, problems) {
        kb.lexicon.stopwords = parse_stopwords(&t);
    }
    Ok(())
}

/// The confidence model file `path` names, relative to the knowledge directory `dir`: the
/// one rule for finding it, used at load and for options set in code.
pub(crate) fn read_model(dir: &Path, path: &Path) -> Result<ConfidenceModel> {
    let path = dir.join(path);
    check_regular(&path, MAX_KB_FILE_BYTES).map_err(|e| Error::io(&path, e))?;
    ConfidenceModel::load(path)
}

/// Why a model file could not be used, for a curator.
fn model_error(e: &Error) -> String {
    match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            "the file does not exist (the path is relative to the knowledge directory; create it with `wenda calibrate --kb DIR --out FILE`)".to_string()
        }
        other => other.to_string(),
    }
}

/// FAQ files under `dir`, recursively, skipping hidden entries and the reserved files at
/// the top level.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            collect_files(root, &path, out)?;
        } else if dir != root
            || ![CONFIG_FILE, TRIGGERS_FILE, SMALLTALK_FILE].contains(&name.as_str())
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads a file's bytes; a failure becomes a problem naming the file. Only regular files
/// of at most [`MAX_KB_FILE_BYTES`] are read (see [`read_text`]).
fn read_bytes(path: &Path, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    match read_regular(path, MAX_KB_FILE_BYTES) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            problems.push(Problem::error(path, format!("cannot read: {e}")));
            None
        }
    }
}

/// Reads a UTF-8 file; failures become problems naming the file.
/// Only regular files of at most [`MAX_KB_FILE_BYTES`] are read: a FIFO, a device (a
/// symlink to `/dev/zero`) or a socket is a problem, not a hang.
fn read_text(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    match read_regular(path, MAX_KB_FILE_BYTES) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(e) => {
                let line = crate::error::line_of(
                    &String::from_utf8_lossy(e.as_bytes()),
                    e.utf8_error().valid_up_to(),
                );
                problems.push(
                    Problem::error(path, "not valid UTF-8 text (save the file as UTF-8)")
                        .at_line(Some(line)),
                );
                None
            }
        },
        Err(e) => {
            problems.push(Problem::error(path, format!("cannot read: {e}")));
            None
        }
    }
}
