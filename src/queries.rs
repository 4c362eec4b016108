//! Labelled query files: what `wenda eval` scores and `wenda calibrate` can fit on.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::stable_hash::{fnv1a, splitmix64};

/// A customer question with the entry that should answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledQuery {
    /// The question as a customer typed it.
    pub query: String,
    /// The id of the entry that answers it, or `None` when the knowledge base cannot answer
    /// it (the robot should hand over).
    pub expected: Option<String>,
    /// 1-based line in the file it was read from (0 when made in code).
    #[serde(default, skip_serializing)]
    pub line: usize,
}

impl LabelledQuery {
    /// A query made in code.
    pub fn new(query: impl Into<String>, expected: Option<&str>) -> Self {
        LabelledQuery {
            query: query.into(),
            expected: expected.map(str::to_string),
            line: 0,
        }
    }
}

/// Reads a labelled query file: JSON Lines of `{"query": "…", "expected": "<entry id>"}`,
/// with `"expected": null` for a question that should not be answered (the format of
/// `bq-dev/queries.jsonl`). Blank lines are skipped; other keys are ignored.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("q.jsonl");
/// std::fs::write(&path, "{\"query\": \"怎么退保\", \"expected\": \"refund\"}\n\n{\"query\": \"天气\", \"expected\": null}\n")?;
/// let queries = wenda::eval::read_queries(&path)?;
/// assert_eq!(queries.len(), 2);
/// assert_eq!(queries[0].expected.as_deref(), Some("refund"));
/// assert_eq!((queries[1].expected.as_deref(), queries[1].line), (None, 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Queries`] listing every bad line
/// (not JSON, no `query` text, `expected` missing or neither a string nor null), or when
/// the file holds no query at all.
pub fn read_queries(path: impl AsRef<Path>) -> Result<Vec<LabelledQuery>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let (queries, problems) = parse_queries(&text, path);
    if !problems.is_empty() {
        return Err(Error::Queries(problems));
    }
    Ok(queries)
}

/// Parses the text of a labelled query file; every bad line becomes a problem.
pub(crate) fn parse_queries(text: &str, path: &Path) -> (Vec<LabelledQuery>, Vec<Problem>) {
    let mut queries = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_start_matches('\u{feff}').trim();
        if raw.is_empty() {
            continue;
        }
        let bad = |msg: &str| Problem::error(path, msg).at_line(Some(line));
        let value: serde_json::Value = match serde_json::from_str(raw) {
            Ok(v) => v,
            Err(e) => {
                problems.push(bad(&format!("not a JSON object: {e}")));
                continue;
            }
        };
        let Some(object) = value.as_object() else {
            problems.push(bad(
                "not a JSON object (expected {\"query\": …, \"expected\": …})",
            ));
            continue;
        };
        let query = match object.get("query") {
            Some(serde_json::Value::String(q)) if !q.trim().is_empty() => q.clone(),
            Some(serde_json::Value::String(_)) => {
                problems.push(bad("`query` is empty"));
                continue;
            }
            _ => {
                problems.push(bad("`query` is missing or not a string"));
                continue;
            }
        };
        let expected = match object.get("expected") {
            Some(serde_json::Value::String(id)) if !id.trim().is_empty() => Some(id.clone()),
            Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(_)) => {
                problems.push(bad(
                    "`expected` is empty (use null for a question that should not be answered)",
                ));
                continue;
            }
            Some(_) => {
                problems.push(bad("`expected` must be an entry id (a string) or null"));
                continue;
            }
            None => {
                problems.push(bad(
                    "`expected` is missing (give the entry id, or null for a question that should not be answered)",
                ));
                continue;
            }
        };
        queries.push(LabelledQuery {
            query,
            expected,
            line,
        });
    }
    if queries.is_empty() && problems.is_empty() {
        problems.push(Problem::error(path, "the file holds no queries"));
    }
    (queries, problems)
}

/// A fingerprint of a list of labelled queries (their texts and labels, in order), to tell
/// whether a confidence model was fitted on the very queries it is scored on.
pub fn fingerprint(queries: &[LabelledQuery]) -> String {
    let mut h = 0u64;
    for q in queries {
        h = splitmix64(h ^ fnv1a(&q.query));
        h = splitmix64(h ^ fnv1a(q.expected.as_deref().unwrap_or("\u{0}null")));
    }
    format!("{h:016x}")
}

/// Fewest labelled queries worth fitting a confidence model on (`wenda calibrate
/// --queries`): with fewer, its weights follow the few queries' quirks.
pub const MIN_FITTING_QUERIES: usize = 200;
/// Fewest queries without an answer (`expected: null`) worth fitting on: they teach the
/// model what to hand over.
pub const MIN_FITTING_OUT_OF_KB: usize = 20;

/// A warning when `queries` are too few to fit a confidence model on (see
/// [`MIN_FITTING_QUERIES`], [`MIN_FITTING_OUT_OF_KB`]); `None` when they are enough.
///
/// ```
/// use wenda::eval::{LabelledQuery, fitting_warning};
/// let few = [LabelledQuery::new("车撞了怎么报案", Some("claim-report"))];
/// assert!(fitting_warning(&few).is_some());
/// ```
pub fn fitting_warning(queries: &[LabelledQuery]) -> Option<String> {
    let out = queries.iter().filter(|q| q.expected.is_none()).count();
    let mut problems = Vec::new();
    if queries.len() < MIN_FITTING_QUERIES {
        problems.push(format!(
            "{} queries (at least {MIN_FITTING_QUERIES} are needed for weights to be trusted)",
            queries.len()
        ));
    }
    if out < MIN_FITTING_OUT_OF_KB {
        problems.push(format!(
            "{out} queries with \"expected\": null (at least {MIN_FITTING_OUT_OF_KB} are needed to learn what to hand over)"
        ));
    }
    (!problems.is_empty()).then(|| {
        format!(
            "the file is too small to fit a confidence model on: {}; label more queries, or calibrate on the knowledge base itself (without --queries)",
            problems.join(" and ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_line_is_reported() {
        let text = "{\"query\": \"a\", \"expected\": \"x\"}\nnot json\n[1]\n{\"query\": \"\", \"expected\": null}\n{\"query\": \"b\"}\n{\"query\": \"c\", \"expected\": 3}\n";
        let (q, p) = parse_queries(text, Path::new("q.jsonl"));
        assert_eq!(q.len(), 1);
        let lines: Vec<_> = p.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(4), Some(5), Some(6)]);
        assert!(p[3].message.contains("`expected` is missing"));
    }

    #[test]
    fn empty_file_is_a_problem() {
        let (q, p) = parse_queries("\n\n", Path::new("q.jsonl"));
        assert!(q.is_empty());
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn fingerprint_depends_on_text_labels_and_order() {
        let a = LabelledQuery::new("怎么退保", Some("refund"));
        let b = LabelledQuery::new("天气", None);
        let f = fingerprint(&[a.clone(), b.clone()]);
        assert_eq!(f, fingerprint(&[a.clone(), b.clone()]));
        assert_ne!(f, fingerprint(&[b.clone(), a.clone()]));
        assert_ne!(f, fingerprint(&[a, LabelledQuery::new("天气", Some("x"))]));
    }
}
