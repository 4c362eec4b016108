//! `wenda.toml` (options), `triggers.toml` (handoff words) and `smalltalk.toml` (small talk).

use std::path::Path;

use super::smalltalk::{SmallTalk, small_talk_key};
use super::toml_util::{find_key_line, parse};
use super::triggers::{TriggerSet, Triggers};
use crate::config::Config;
use crate::error::Problem;
use crate::text::normalize;

/// Parses `wenda.toml`; returns the defaults (and problems) when it cannot be used.
pub(crate) fn parse_config(text: &str, file: &Path, problems: &mut Vec<Problem>) -> Config {
    let (config, unknown): (Config, _) = match parse(text, file) {
        Ok(parsed) => parsed,
        Err(p) => {
            problems.push(p);
            return Config::default();
        }
    };
    for u in unknown {
        problems.push(
            Problem::error(file, format!("unknown option `{}`", u.dotted))
                .at_line(find_key_line(text, &u.key, 1)),
        );
    }
    for msg in config.problems() {
        let line = option_line(text, &msg);
        problems.push(Problem::error(file, msg).at_line(line));
    }
    config
}

/// The line of `wenda.toml` a [`Config::problems`] message is about. Each message starts
/// with its table (`[thresholds] clarify (0.9) must not be above answer (0.6)`): the line
/// is that of the first key it names that the table sets, else the table's header.
fn option_line(text: &str, message: &str) -> Option<usize> {
    let rest = message.strip_prefix('[')?;
    let (table, words) = rest.split_once(']')?;
    let lines: Vec<&str> = text.lines().collect();
    let header = lines.iter().position(|l| {
        let l = l.split('#').next().unwrap_or_default();
        let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
        l == format!("[{table}]")
    })?;
    // 1-based lines of the table's body: up to the next table header.
    let first = header + 2;
    let last = header
        + 1
        + lines[header + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .unwrap_or(lines.len() - header - 1);
    let sets = |key: &str| find_key_line(text, key, first).filter(|&line| line <= last);
    let key_line = words
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .find_map(sets);
    Some(key_line.unwrap_or(header + 1))
}

/// Parses `triggers.toml`: sections `asked_for_human` and `sensitive`, each with
/// `phrases`, `all_of` and `exact`. A section left out keeps the built-in list.
pub(crate) fn parse_triggers(text: &str, file: &Path, problems: &mut Vec<Problem>) -> Triggers {
    let (triggers, unknown): (Triggers, _) = match parse(text, file) {
        Ok(parsed) => parsed,
        Err(p) => {
            problems.push(p);
            return Triggers::default();
        }
    };
    for u in unknown {
        problems.push(
            Problem::error(
                file,
                format!(
                    "unknown key `{}` (sections: asked_for_human, sensitive; keys: phrases, all_of, exact)",
                    u.dotted
                ),
            )
            .at_line(find_key_line(text, &u.key, 1)),
        );
    }
    for (name, set) in [
        ("asked_for_human", &triggers.asked_for_human),
        ("sensitive", &triggers.sensitive),
    ] {
        check_set(name, set, text, file, problems);
    }
    triggers
}

fn check_set(name: &str, set: &TriggerSet, text: &str, file: &Path, problems: &mut Vec<Problem>) {
    let words = set
        .phrases
        .iter()
        .chain(set.exact.iter())
        .chain(set.all_of.iter().flatten());
    for w in words {
        if normalize(w).is_empty() {
            problems.push(
                Problem::error(
                    file,
                    format!("[{name}] has an empty trigger `{w}` (it would match every message)"),
                )
                .at_line(find_key_line(text, "phrases", 1)),
            );
        }
    }
    for group in &set.all_of {
        if group.is_empty() {
            problems.push(Problem::error(
                file,
                format!("[{name}] all_of has an empty group"),
            ));
        }
    }
}

/// Parses `smalltalk.toml`: `reject` and `[[intent]]` tables with `id`, `phrases`, `reply`.
/// A key left out keeps the built-in list.
pub(crate) fn parse_smalltalk(text: &str, file: &Path, problems: &mut Vec<Problem>) -> SmallTalk {
    #[derive(serde::Deserialize)]
    struct Raw {
        reject: Option<Vec<String>>,
        intent: Option<Vec<super::smalltalk::SmallTalkIntent>>,
    }
    let (raw, unknown): (Raw, _) = match parse(text, file) {
        Ok(parsed) => parsed,
        Err(p) => {
            problems.push(p);
            return SmallTalk::default();
        }
    };
    for u in unknown {
        problems.push(
            Problem::error(
                file,
                format!(
                    "unknown key `{}` (keys: reject, and [[intent]] tables with id, phrases, reply)",
                    u.dotted
                ),
            )
            .at_line(find_key_line(text, &u.key, 1)),
        );
    }
    let defaults = SmallTalk::default();
    let talk = SmallTalk {
        reject: raw.reject.unwrap_or(defaults.reject),
        intents: raw.intent.unwrap_or(defaults.intents),
    };
    let mut seen_ids = std::collections::HashSet::new();
    let mut seen_phrases: std::collections::HashMap<String, String> = Default::default();
    let mut id_line = 1;
    for intent in &talk.intents {
        let line = find_key_line(text, "id", id_line);
        id_line = line.map(|l| l + 1).unwrap_or(id_line);
        let at = |msg: String| Problem::error(file, msg).at_line(line);
        if intent.id.trim().is_empty() {
            problems.push(at("an [[intent]] has no `id`".to_string()));
        } else if !seen_ids.insert(intent.id.clone()) {
            problems.push(at(format!("intent id `{}` is used twice", intent.id)));
        }
        if intent.reply.trim().is_empty() {
            problems.push(at(format!("intent `{}` has no `reply`", intent.id)));
        }
        if intent.phrases.is_empty() {
            problems.push(at(format!(
                "intent `{}` has no `phrases` (it would never be used)",
                intent.id
            )));
        }
        for phrase in &intent.phrases {
            let key = small_talk_key(phrase);
            if key.is_empty() {
                problems.push(at(format!(
                    "intent `{}` has an empty phrase `{phrase}`",
                    intent.id
                )));
            } else if let Some(other) = seen_phrases.insert(key, intent.id.clone())
                && other != intent.id
            {
                problems.push(at(format!(
                    "phrase `{phrase}` is in intents `{other}` and `{}`; a phrase may belong to one intent only",
                    intent.id
                )));
            }
        }
    }
    for phrase in &talk.reject {
        if small_talk_key(phrase).is_empty() {
            problems.push(
                Problem::error(file, format!("`reject` has an empty phrase `{phrase}`"))
                    .at_line(find_key_line(text, "reject", 1)),
            );
        } else if let Some(intent) = seen_phrases.get(&small_talk_key(phrase)) {
            problems.push(
                Problem::error(
                    file,
                    format!("`{phrase}` is both in `reject` and in intent `{intent}`"),
                )
                .at_line(find_key_line(text, "reject", 1)),
            );
        }
    }
    talk
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_unknown_and_invalid() {
        let mut p = Vec::new();
        let c = parse_config(
            "[thresholds]\nanswer = 0.5\nclarfy = 0.1\n\n[retrieval]\nmax_entries = 0\n",
            Path::new("wenda.toml"),
            &mut p,
        );
        assert_eq!(c.thresholds.answer, 0.5);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].line, Some(3));
        assert!(p[1].message.contains("max_entries"));
        assert_eq!(p[1].line, Some(6));
    }

    #[test]
    fn option_problems_point_at_the_key_or_its_table() {
        let text = "[thresholds]\nanswer = 0.2\n clarify= 0.5 # too high\n[ tiers.vip ]\nmax_misses = 3\nanswer = 0.1\n";
        let at = |m: &str| option_line(text, m);
        assert_eq!(
            at("[thresholds] clarify (0.5) must not be above answer (0.2)"),
            Some(3)
        );
        assert_eq!(at("[thresholds] answer = 2 is not a probability"), Some(2));
        // The tier does not set clarify; it sets answer.
        assert_eq!(
            at("[tiers.vip] clarify (0.25) must not be above answer (0.1)"),
            Some(6)
        );
        assert_eq!(
            at("[tiers.vip] max_misses = 30 must be from 1 to 20"),
            Some(5)
        );
        // A key the table does not set: the table's header; no such table: no line.
        assert_eq!(at("[tiers.vip] min_priority is odd"), Some(4));
        assert_eq!(at("[retrieval] hnsw_ef = 0 must be from 1 to 10000"), None);
        assert_eq!(at("no table named"), None);
    }

    #[test]
    fn triggers_override_per_section() {
        let mut p = Vec::new();
        let t = parse_triggers(
            "[asked_for_human]\nphrases = [\"找真人\"]\n",
            Path::new("triggers.toml"),
            &mut p,
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(t.asked_for_human.phrases, vec!["找真人"]);
        assert!(t.asked_for_human.exact.is_empty());
        assert_eq!(t.sensitive, Triggers::default().sensitive);
    }

    #[test]
    fn empty_trigger_is_an_error() {
        let mut p = Vec::new();
        parse_triggers(
            "[sensitive]\nphrases = [\"  \"]\n",
            Path::new("t.toml"),
            &mut p,
        );
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn smalltalk_file_replaces_intents_and_reports_problems() {
        let mut p = Vec::new();
        let t = parse_smalltalk(
            "[[intent]]\nid = \"hi\"\nphrases = [\"你好\"]\nreply = \"您好\"\n",
            Path::new("smalltalk.toml"),
            &mut p,
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(t.intents.len(), 1);
        assert_eq!(t.reject, SmallTalk::default().reject);

        let mut p = Vec::new();
        parse_smalltalk(
            "reject = [\"你好\"]\n[[intent]]\nid = \"a\"\nphrases = [\"你好\"]\nreply = \"x\"\n\n[[intent]]\nid = \"a\"\nphrases = [\"您好！\"]\nreplly = \"y\"\n",
            Path::new("smalltalk.toml"),
            &mut p,
        );
        let messages: Vec<_> = p.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(p.len(), 4, "{messages:?}");
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unknown key `intent.1.replly`"))
        );
        assert!(messages.iter().any(|m| m.contains("used twice")));
        assert!(messages.iter().any(|m| m.contains("no `reply`")));
        assert!(messages.iter().any(|m| m.contains("both in `reject`")));
        assert_eq!(
            p.iter().find(|x| x.message.contains("twice")).unwrap().line,
            Some(8)
        );
    }
}
