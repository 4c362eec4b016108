//! The shape every FAQ file format is read into before it becomes an [`Entry`].

use std::collections::BTreeMap;

use serde::Deserialize;

use super::entry::{Channel, Entry, Source};
use crate::error::Problem;

/// An entry as written in a file, every field optional so that one missing field does not
/// hide the other problems of the file.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawEntry {
    pub id: Option<String>,
    pub question: Option<String>,
    pub similar: Option<Vec<String>>,
    pub answer: Option<String>,
    pub category: Option<String>,
    pub channels: Option<BTreeMap<String, String>>,
}

impl RawEntry {
    /// Converts to an [`Entry`]; unknown channel names become problems. Missing text fields
    /// become empty strings, which validation reports with the entry's location.
    pub fn into_entry(
        self,
        source: Source,
        default_category: &str,
        problems: &mut Vec<Problem>,
    ) -> Entry {
        let id = self.id.unwrap_or_default().trim().to_string();
        let mut channels = BTreeMap::new();
        for (name, text) in self.channels.unwrap_or_default() {
            match name.parse::<Channel>() {
                Ok(c) => {
                    channels.insert(c, text);
                }
                Err(msg) => problems.push(
                    Problem::error(&source.file, msg)
                        .at_line(source.line)
                        .for_entry(id.clone()),
                ),
            }
        }
        Entry {
            question: self.question.unwrap_or_default(),
            similar: self.similar.unwrap_or_default(),
            answer: self.answer.unwrap_or_default(),
            category: self
                .category
                .unwrap_or_else(|| default_category.to_string()),
            channels,
            source,
            id,
        }
    }
}
