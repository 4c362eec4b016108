//! Reading the query log back (`wenda feedback`, `wenda hot`): what customers asked most,
//! and what they said about the answers.
//!
//! [`read_log`] reads a [`JsonlLog`](crate::querylog::JsonlLog) file line by line; a line
//! that is not a log event is skipped and counted ([`LogRead::bad_lines`]), never fatal.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids::now_ms;
use crate::querylog::LogEvent;

/// The events of a log file, with what could not be read.
#[derive(Debug, Clone, Default)]
pub struct LogRead {
    /// The events, in file order (only those at or after `since`).
    pub events: Vec<LogEvent>,
    /// Lines that are not log events (blank lines are not counted).
    pub bad_lines: usize,
    /// The first few of them: (line number, why).
    pub bad_examples: Vec<(usize, String)>,
}

fn ts(event: &LogEvent) -> u64 {
    match event {
        LogEvent::Reply { ts_ms, .. } | LogEvent::Feedback { ts_ms, .. } => *ts_ms,
    }
}

/// Reads the log at `path`, keeping events at or after `since_ms` (milliseconds since the
/// Unix epoch). A missing or unreadable file is an error naming it; bad lines are counted.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::BadLog`] when it has lines but
/// none of them is a log event (another file passed as the log).
pub fn read_log(path: &Path, since_ms: Option<u64>) -> Result<LogRead> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut read = LogRead::default();
    let mut events = 0;
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<LogEvent>(text.trim()) {
            Ok(event) => {
                events += 1;
                if since_ms.is_none_or(|s| ts(&event) >= s) {
                    read.events.push(event);
                }
            }
            Err(e) => {
                read.bad_lines += 1;
                if read.bad_examples.len() < 5 {
                    read.bad_examples.push((i + 1, e.to_string()));
                }
            }
        }
    }
    if events == 0
        && let Some((first_line, why)) = read.bad_examples.first().cloned()
    {
        return Err(Error::BadLog {
            path: path.to_path_buf(),
            lines: read.bad_lines,
            first_line,
            why,
        });
    }
    Ok(read)
}

/// Parses a `--since` value: a duration back from now (`30m`, `24h`, `7d`) or a date
/// (`2025-01-31`, UTC midnight). Returns milliseconds since the Unix epoch.
pub fn parse_since(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let bad = || format!("--since `{text}`: use a duration (30m, 24h, 7d) or a date (2025-01-31)");
    if let Some((unit_ms, digits)) = [('m', 60_000u64), ('h', 3_600_000), ('d', 86_400_000)]
        .iter()
        .find_map(|&(u, ms)| t.strip_suffix(u).map(|d| (ms, d)))
    {
        let n: u64 = digits.parse().map_err(|_| bad())?;
        return Ok(now_ms().saturating_sub(n.saturating_mul(unit_ms)));
    }
    let parts: Vec<&str> = t.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400_000).map_err(|_| bad())
}

/// Feedback on one entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntryFeedback {
    /// The entry that was answered (or suggested first).
    pub entry_id: String,
    /// "Helpful" votes.
    pub helpful: usize,
    /// "Not helpful" votes.
    pub not_helpful: usize,
    /// The comments (masked), newest last.
    pub comments: Vec<String>,
}

/// Feedback per entry, most "not helpful" first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeedbackReport {
    /// Per entry.
    pub entries: Vec<EntryFeedback>,
    /// Feedback on a reply id the log has no reply for (or a reply without an entry).
    pub unmatched: usize,
}

/// Joins feedback events to the replies they are about.
pub fn feedback_report(events: &[LogEvent]) -> FeedbackReport {
    let mut entry_of: HashMap<&str, &str> = HashMap::new();
    for e in events {
        if let LogEvent::Reply {
            reply_id,
            entry_id,
            top,
            ..
        } = e
            && let Some(id) = entry_id
                .as_deref()
                .or(top.first().map(|c| c.entry_id.as_str()))
        {
            entry_of.insert(reply_id, id);
        }
    }
    let mut per: BTreeMap<&str, EntryFeedback> = BTreeMap::new();
    let mut unmatched = 0;
    for e in events {
        if let LogEvent::Feedback {
            reply_id,
            helpful,
            comment,
            ..
        } = e
        {
            let Some(&id) = entry_of.get(reply_id.as_str()) else {
                unmatched += 1;
                continue;
            };
            let f = per.entry(id).or_insert_with(|| EntryFeedback {
                entry_id: id.to_string(),
                ..Default::default()
            });
            if *helpful {
                f.helpful += 1;
            } else {
                f.not_helpful += 1;
            }
            if let Some(c) = comment.as_deref().filter(|c| !c.trim().is_empty()) {
                f.comments.push(c.to_string());
            }
        }
    }
    let mut entries: Vec<EntryFeedback> = per.into_values().collect();
    entries.sort_by(|a, b| {
        b.not_helpful
            .cmp(&a.not_helpful)
            .then(b.helpful.cmp(&a.helpful))
            .then_with(|| a.entry_id.cmp(&b.entry_id))
    });
    FeedbackReport { entries, unmatched }
}

/// A count of something asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The entry id or the question text.
    pub key: String,
    /// How often.
    pub count: usize,
}

/// What was asked most.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HotReport {
    /// Replies read.
    pub replies: usize,
    /// Entries answered most often.
    pub entries: Vec<Count>,
    /// Questions asked most often, compared after trimming (masked text).
    pub questions: Vec<Count>,
}

fn top(counts: HashMap<String, usize>, limit: usize) -> Vec<Count> {
    let mut v: Vec<Count> = counts
        .into_iter()
        .map(|(key, count)| Count { key, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v.truncate(limit);
    v
}

/// The most answered entries and the most asked questions, at most `limit` of each.
pub fn hot_report(events: &[LogEvent], limit: usize) -> HotReport {
    let mut entries: HashMap<String, usize> = HashMap::new();
    let mut questions: HashMap<String, usize> = HashMap::new();
    let mut replies = 0;
    for e in events {
        if let LogEvent::Reply {
            question,
            decision,
            entry_id,
            ..
        } = e
        {
            replies += 1;
            if let Some(id) = entry_id {
                *entries.entry(id.clone()).or_default() += 1;
            }
            if decision != "small_talk" && !question.trim().is_empty() {
                *questions.entry(question.trim().to_string()).or_default() += 1;
            }
        }
    }
    HotReport {
        replies,
        entries: top(entries, limit),
        questions: top(questions, limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = r#"{"event":"reply","ts_ms":1000,"reply_id":"r1","question":"话费怎么查","decision":"answer","entry_id":"bill","confidence":0.9,"top":[{"entry_id":"bill","confidence":0.9}]}
not json
{"event":"reply","ts_ms":2000,"reply_id":"r2","question":"话费怎么查","decision":"answer","entry_id":"bill","confidence":0.8,"top":[]}

{"event":"reply","ts_ms":3000,"reply_id":"r3","question":"发票","decision":"clarify","confidence":0.3,"top":[{"entry_id":"invoice","confidence":0.3}]}
{"event":"feedback","ts_ms":4000,"reply_id":"r1","helpful":false,"comment":"没说清楚"}
{"event":"feedback","ts_ms":4100,"reply_id":"r2","helpful":true}
{"event":"feedback","ts_ms":4200,"reply_id":"r3","helpful":true}
{"event":"feedback","ts_ms":4300,"reply_id":"made-up","helpful":true}
{"event":"reply","ts_ms":5000}
"#;

    #[test]
    fn bad_lines_are_counted_and_reports_join_feedback_to_replies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, LOG).unwrap();
        let read = read_log(&path, None).unwrap();
        assert_eq!(read.events.len(), 7);
        assert_eq!(read.bad_lines, 2);
        assert_eq!(read.bad_examples[0].0, 2);
        assert_eq!(read.bad_examples[1].0, 10);

        let f = feedback_report(&read.events);
        assert_eq!(f.unmatched, 1);
        assert_eq!(f.entries[0].entry_id, "bill");
        assert_eq!((f.entries[0].helpful, f.entries[0].not_helpful), (1, 1));
        assert_eq!(f.entries[0].comments, vec!["没说清楚"]);
        assert_eq!(f.entries[1].entry_id, "invoice");

        let h = hot_report(&read.events, 10);
        assert_eq!(h.replies, 3);
        assert_eq!(
            h.entries[0],
            Count {
                key: "bill".into(),
                count: 2
            }
        );
        assert_eq!(h.questions[0].key, "话费怎么查");

        let later = read_log(&path, Some(2500)).unwrap();
        assert_eq!(hot_report(&later.events, 10).replies, 1);
        assert!(read_log(&dir.path().join("missing.jsonl"), None).is_err());
        let other = dir.path().join("kb.jsonl");
        std::fs::write(&other, "{\"id\": \"a\", \"question\": \"q\"}\n").unwrap();
        assert!(matches!(
            read_log(&other, None),
            Err(Error::BadLog {
                lines: 1,
                first_line: 1,
                ..
            })
        ));
    }

    #[test]
    fn since_values() {
        assert_eq!(parse_since("1970-01-02"), Ok(86_400_000));
        assert_eq!(parse_since("2025-01-31"), Ok(1_738_281_600_000));
        assert!(parse_since("7d").is_ok_and(|t| t < now_ms()));
        assert!(parse_since("yesterday").is_err());
        assert!(parse_since("2025-13-01").is_err());
    }
}
