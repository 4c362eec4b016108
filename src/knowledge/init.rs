//! `wenda init`: a new knowledge directory with a commented template of every file.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The files of a new knowledge directory: (name, text). Every option file is commented
/// so that it keeps wenda's defaults until edited; the two FAQ files hold one example
/// entry each, so that the directory loads and answers at once.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("wenda.toml", include_str!("templates/wenda.toml")),
    ("triggers.toml", include_str!("templates/triggers.toml")),
    ("smalltalk.toml", include_str!("templates/smalltalk.toml")),
    ("dict.txt", include_str!("templates/dict.txt")),
    ("synonyms.txt", include_str!("templates/synonyms.txt")),
    ("stopwords.txt", include_str!("templates/stopwords.txt")),
    ("faq.toml", include_str!("templates/faq.toml")),
    ("faq.csv", include_str!("templates/faq.csv")),
];

/// Writes [`TEMPLATES`] into `dir` (created when missing) and returns the paths written.
/// Refuses, writing nothing, when any of the files already exists.
pub fn init_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let existing: Vec<String> = TEMPLATES
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Error::Config(format!(
            "{} already exist{}: wenda init writes only into a new or empty knowledge directory",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        )));
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    for (name, text) in TEMPLATES {
        let path = dir.join(name);
        fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::KnowledgeBase;

    #[test]
    fn a_new_directory_loads_without_problems_and_keeps_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let kb_dir = dir.path().join("kb");
        let written = init_dir(&kb_dir).unwrap();
        assert_eq!(written.len(), TEMPLATES.len());
        let kb = KnowledgeBase::load(&kb_dir).unwrap();
        assert_eq!(kb.len(), 2);
        assert!(kb.warnings().is_empty(), "{:?}", kb.warnings());
        assert_eq!(kb.triggers(), &crate::knowledge::Triggers::default());
        assert_eq!(kb.config(), &crate::config::Config::default());
        // A second init refuses and leaves the files alone.
        let err = init_dir(&kb_dir).unwrap_err().to_string();
        assert!(err.contains("already exist"), "{err}");
    }
}
