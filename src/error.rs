//! The one error type of the crate.
//!
//! Two families of failure are kept apart, because two different people fix them:
//!
//! * [`Error::Knowledge`]: the knowledge base (or its configuration) has problems a curator
//!   can fix. It carries **every** problem found, each naming the file, the line where the
//!   format allows, the entry id and what is wrong.
//! * everything else: I/O, index and internal failures, which an operator or a developer
//!   has to look at.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// `Result` with [`Error`] as its error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in wenda.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The knowledge base has problems a curator must fix; all of them are listed.
    #[error("{0}")]
    Knowledge(Problems),

    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The configuration passed in code is not valid (for example thresholds out of order).
    /// Problems in `wenda.toml` are [`Error::Knowledge`] problems instead, with their line.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// The knowledge base has no entries, so there is nothing to answer from.
    #[error("the knowledge base has no entries")]
    EmptyKnowledgeBase,

    /// An embedder returned a vector of another length than the dimension it declares.
    #[error(
        "embedder {embedder} returned a vector of {got} values, but says its dimension is {expected}"
    )]
    WrongDimension {
        /// The embedder's [`id`](crate::embed::Embedder::id).
        embedder: String,
        /// The dimension it declares.
        expected: usize,
        /// The length of the vector it returned.
        got: usize,
    },

    /// A saved index was built with another embedder than the one it is opened with.
    #[error("{}", embedder_mismatch(dir, expected, *expected_dimension, got.as_ref()))]
    EmbedderMismatch {
        /// The index directory.
        dir: PathBuf,
        /// The id of the embedder the index was built with.
        expected: String,
        /// That embedder's dimension.
        expected_dimension: usize,
        /// The id and dimension of the embedder given to open the index; `None` when none
        /// was given ([`Bot::open`](crate::Bot::open) knows only the built-in embedder).
        got: Option<(String, usize)>,
    },

    /// A pretrained embedding model (`[embedder]` in `wenda.toml`) cannot be used: a file
    /// of its folder is missing, damaged or does not fit the others (the layout, the
    /// tensors' shapes and types, the vocabulary).
    #[error("embedding model file {}: {reason}", file.display())]
    BadEmbedder {
        /// The file at fault (or the model's folder when the folder itself is).
        file: PathBuf,
        /// What is wrong with it, and what to do.
        reason: String,
    },

    /// A confidence model cannot be used by this version of wenda: not a model file, a
    /// model of another format, or fitted for other features. Fit it again with
    /// `wenda calibrate`.
    #[error("{} {reason}", file.as_deref().unwrap_or("the confidence model"))]
    BadModel {
        /// Where the model was read from; `None` for a model given in code.
        file: Option<String>,
        /// What is wrong, completing a sentence whose subject is the file (for example
        /// "is not a wenda confidence model: …").
        reason: String,
    },

    /// A saved index does not match this version of wenda (another index format, or
    /// another byte order); it has to be rebuilt.
    #[error("{}: {why}; rebuild the index with `wenda build`", dir.display())]
    StaleIndex {
        /// The index (generation) directory.
        dir: PathBuf,
        /// Why it does not match.
        why: String,
    },

    /// An evaluation was asked on the very queries the confidence model was fitted on,
    /// which would overstate its quality.
    #[error(
        "the confidence model was fitted on these very queries ({file}); scoring it on them would overstate its quality. Evaluate on other queries, or use a model fitted on the knowledge base (`wenda calibrate --kb …`)"
    )]
    EvaluatedOnFittingQueries {
        /// The queries file the model was fitted on.
        file: String,
    },

    /// The search index failed (tantivy or the vector index).
    #[error("index error: {0}")]
    Index(String),

    /// A request to a [`Service`](crate::Service) is not valid (for example feedback on
    /// something that is not a reply id).
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// A request to a [`Service`](crate::Service) names something it does not hold (for
    /// example feedback on a reply id it never gave, or one too old to remember).
    #[error("not found: {0}")]
    NotFound(String),

    /// A request that may be made once was made again (feedback on a reply that already
    /// has feedback).
    #[error("already recorded: {0}")]
    AlreadyRecorded(String),

    /// The service is busy with the same work (a reload already running).
    #[error("busy: {0}")]
    Busy(String),
    /// A query log holds lines but none of them is a log event (not a log written by
    /// `serve --log` / `chat --log`, or damaged throughout).
    #[error(
        "{}: not a wenda query log: none of its {lines} line(s) is a log event (line {first_line}: {why}); pass the file written by `serve --log` or `chat --log`",
        path.display()
    )]
    BadLog {
        /// The log file.
        path: PathBuf,
        /// Non-blank lines read.
        lines: usize,
        /// The first bad line (1-based).
        first_line: usize,
        /// Why it is not a log event.
        why: String,
    },
    /// The conversation store (a shared Redis) cannot be reached or failed: the message
    /// was not answered, so no turn is lost; send it again when the store is back.
    #[error("the conversation store is unavailable: {0}")]
    StoreUnavailable(String),
    /// A labelled queries file (for `eval` or `calibrate`) has problems; all are listed,
    /// each with file and line.
    #[error("{}", list_query_problems(.0))]
    Queries(Vec<Problem>),
}

fn embedder_mismatch(
    dir: &Path,
    expected: &str,
    expected_dimension: usize,
    got: Option<&(String, usize)>,
) -> String {
    match got {
        Some((got, got_dimension)) => format!(
            "the index at {} was built with the embedder {expected} ({expected_dimension} \
             dimensions), not {got} ({got_dimension} dimensions); rebuild the index \
             (`wenda build`) or use the model it was built with",
            dir.display()
        ),
        None => format!(
            "the index at {} was built with the custom embedder {expected}; open it with \
             Bot::open_with_embedder",
            dir.display()
        ),
    }
}

fn list_query_problems(problems: &[Problem]) -> String {
    let mut s = format!("the queries file has {} problem(s)", problems.len());
    for p in problems {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
    }
    s
}

impl Error {
    /// An [`Error::Io`] naming `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The curator-fixable problems, when this is an [`Error::Knowledge`].
    pub fn problems(&self) -> Option<&Problems> {
        match self {
            Error::Knowledge(p) => Some(p),
            _ => None,
        }
    }
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(e.to_string())
    }
}

/// How serious a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look, but the knowledge base still loads (for example an entry with no
    /// similar questions, or the same similar question listed twice).
    Warning,
    /// The knowledge base cannot be used until this is fixed.
    Error,
}

/// One thing wrong with the knowledge base, located as precisely as the format allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The file the problem is in (or the knowledge-base path when it concerns no one file).
    pub file: PathBuf,
    /// 1-based line number, when the format allows locating it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The FAQ entry id concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// What is wrong, in words a curator can act on.
    pub message: String,
}

impl Problem {
    /// A new error-severity problem in `file`.
    pub fn error(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            file: file.into(),
            line: None,
            entry: None,
            message: message.into(),
        }
    }

    /// A new warning in `file`.
    pub fn warning(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(file, message)
        }
    }

    /// Sets the line (1-based).
    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    /// Sets the entry id.
    pub fn for_entry(mut self, id: impl Into<String>) -> Self {
        self.entry = Some(id.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {label}")?;
        if let Some(entry) = &self.entry {
            write!(f, ": entry \"{entry}\"")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A list of [`Problem`]s, sorted by file, line and entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// Wraps and sorts a list of problems.
    pub fn new(mut problems: Vec<Problem>) -> Self {
        problems.sort_by(|a, b| {
            (&a.file, a.line, &a.entry, &a.message).cmp(&(&b.file, b.line, &b.entry, &b.message))
        });
        problems.dedup();
        Problems(problems)
    }

    /// All problems, errors and warnings.
    pub fn all(&self) -> &[Problem] {
        &self.0
    }

    /// Only the error-severity problems.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter().filter(|p| p.severity == Severity::Error)
    }

    /// Only the warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter().filter(|p| p.severity == Severity::Warning)
    }

    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no problems at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors().count();
        let warnings = self.0.len() - errors;
        write!(
            f,
            "the knowledge base has {errors} error(s) and {warnings} warning(s)"
        )?;
        for p in &self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// 1-based line number of byte offset `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_display_names_file_line_entry() {
        let p = Problem::error("knowledge/claims.toml", "empty answer")
            .at_line(Some(12))
            .for_entry("claim-report");
        assert_eq!(
            p.to_string(),
            "knowledge/claims.toml:12: error: entry \"claim-report\": empty answer"
        );
    }

    #[test]
    fn problems_sorted_and_counted() {
        let ps = Problems::new(vec![
            Problem::warning("b.toml", "w").at_line(Some(3)),
            Problem::error("a.toml", "e").at_line(Some(9)),
            Problem::error("a.toml", "e").at_line(Some(2)),
        ]);
        assert_eq!(ps.all()[0].line, Some(2));
        assert!(ps.has_errors());
        assert_eq!(ps.warnings().count(), 1);
        assert!(
            ps.to_string()
                .starts_with("the knowledge base has 2 error(s) and 1 warning(s)")
        );
    }

    #[test]
    fn line_of_counts_newlines() {
        let t = "a\nb\nc";
        assert_eq!(line_of(t, 0), 1);
        assert_eq!(line_of(t, 2), 2);
        assert_eq!(line_of(t, 4), 3);
        assert_eq!(line_of(t, 100), 3);
    }
}
