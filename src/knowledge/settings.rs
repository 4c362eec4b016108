//! `wenda.toml` (options) and `triggers.toml` (handoff words).

use std::path::Path;

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
        problems.push(Problem::error(file, msg));
    }
    config
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
}
