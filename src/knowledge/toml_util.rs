//! Parsing TOML with every unknown key and syntax error turned into a located [`Problem`].

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Problem, line_of};

/// A key the target type does not know, as a list of path segments.
pub(crate) struct UnknownKey {
    /// Index into the first array on the path (for `[[faq]]` tables), if any.
    pub index: Option<usize>,
    /// The unknown key itself.
    pub key: String,
    /// The whole path, dotted (`faq.3.anwser`).
    pub dotted: String,
}

/// Parses `text` into `T`. Syntax or type errors become one problem with its line; unknown
/// keys are returned separately so the caller can attach entry ids.
pub(crate) fn parse<T: DeserializeOwned>(
    text: &str,
    file: &Path,
) -> Result<(T, Vec<UnknownKey>), Problem> {
    let de = toml::Deserializer::parse(text).map_err(|e| syntax_problem(&e, text, file))?;
    let mut unknown = Vec::new();
    let value: T = serde_ignored::deserialize(de, |path| unknown.push(unknown_key(&path)))
        .map_err(|e| syntax_problem(&e, text, file))?;
    Ok((value, unknown))
}

fn syntax_problem(e: &toml::de::Error, text: &str, file: &Path) -> Problem {
    let line = e.span().map(|s| line_of(text, s.start));
    let message = e.message().trim().to_string();
    Problem::error(file, format!("malformed TOML: {message}")).at_line(line)
}

fn unknown_key(path: &serde_ignored::Path<'_>) -> UnknownKey {
    let mut segments = Vec::new();
    collect(path, &mut segments);
    let index = segments.iter().find_map(|s| match s {
        Segment::Index(i) => Some(*i),
        Segment::Key(_) => None,
    });
    let key = segments
        .iter()
        .rev()
        .find_map(|s| match s {
            Segment::Key(k) => Some(k.clone()),
            Segment::Index(_) => None,
        })
        .unwrap_or_default();
    let dotted = segments
        .iter()
        .map(|s| match s {
            Segment::Key(k) => k.clone(),
            Segment::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".");
    UnknownKey { index, key, dotted }
}

enum Segment {
    Key(String),
    Index(usize),
}

fn collect(path: &serde_ignored::Path<'_>, out: &mut Vec<Segment>) {
    use serde_ignored::Path as P;
    match path {
        P::Root => {}
        P::Seq { parent, index } => {
            collect(parent, out);
            out.push(Segment::Index(*index));
        }
        P::Map { parent, key } => {
            collect(parent, out);
            // toml's Spanned wrapper shows up as private keys; they are not the user's.
            if !key.starts_with("$__") {
                out.push(Segment::Key(key.clone()));
            }
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            collect(parent, out)
        }
    }
}

/// The first line at or after `from_line` (1-based) that assigns `key` (`key = …`).
pub(crate) fn find_key_line(text: &str, key: &str, from_line: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find(|(_, line)| {
            let t = line.trim_start();
            t.strip_prefix(key)
                .map(|rest| rest.trim_start().starts_with('='))
                .unwrap_or(false)
        })
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        a: Option<u32>,
        #[serde(default)]
        items: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        id: Option<toml::Spanned<String>>,
    }

    #[test]
    fn unknown_keys_with_index() {
        let text = "a = 1\nzz = 2\n[[items]]\nid = \"x\"\n[[items]]\nid = \"y\"\nanwser = \"z\"\n";
        let (_, unknown): (Doc, _) = parse(text, Path::new("f.toml")).unwrap();
        assert_eq!(unknown.len(), 2);
        let zz = unknown.iter().find(|u| u.key == "zz").unwrap();
        assert_eq!(zz.index, None);
        let anwser = unknown.iter().find(|u| u.key == "anwser").unwrap();
        assert_eq!(anwser.index, Some(1));
        assert_eq!(anwser.dotted, "items.1.anwser");
        assert_eq!(find_key_line(text, "anwser", 5), Some(7));
    }

    #[test]
    fn syntax_error_has_line() {
        let text = "a = 1\n\nb = \"unterminated\n";
        let err = parse::<Doc>(text, Path::new("f.toml")).err().unwrap();
        assert_eq!(err.line, Some(3));
        assert!(err.message.starts_with("malformed TOML"));
    }
}
