//! The query log: what customers asked, what wenda decided, how sure it was, and the
//! feedback on it — so curators can see what went unanswered.
//!
//! Events are built with [`LogEvent::reply`] and [`LogEvent::feedback`], which mask
//! personal data in every field a customer or a caller can fill *before* any [`QueryLog`]
//! sees them: [`mask_pii`] on free text (question, what it was read as, comment) and
//! [`mask_id`] on ids and labels (reply, conversation and customer ids, tier). [`JsonlLog`] appends one JSON object per line to a file:
//!
//! ```json
//! {"event":"reply","ts_ms":1767225600000,"reply_id":"r-dpjbmaceahne-1a","conversation_id":"c-mkfbpadgjchlbeoinfaaadlgcphkejbm","channel":"web","question":"我手机[mobile]怎么改绑","decision":"answer","entry_id":"account-change-phone","confidence":0.83,"top":[{"entry_id":"account-change-phone","confidence":0.83}]}
//! {"event":"feedback","ts_ms":1767225612000,"reply_id":"r-dpjbmaceahne-1a","helpful":false}
//! ```
//!
//! A [`Recorder`] wraps a log for a service: a failed write never fails an answer; it is
//! counted ([`Recorder::failures`]) and the last error kept for the health report.
//! Another store (a database, a queue) plugs in by implementing [`QueryLog`].

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::now_ms;
use crate::knowledge::Channel;
use crate::mask::{mask_id, mask_pii};
use crate::priority::Priority;
use crate::reply::{Customer, Decision, HandoffReason, Reply};

/// A candidate as logged: entry and confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedCandidate {
    /// Entry id.
    pub entry_id: String,
    /// Its confidence.
    pub confidence: f64,
}

/// One line of the log.
// Events are built, written and dropped one at a time; boxing the larger variant would only
// add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LogEvent {
    /// wenda replied to a message.
    Reply {
        /// Milliseconds since the Unix epoch.
        ts_ms: u64,
        /// The reply's id (masked if it carries personal data).
        reply_id: String,
        /// The conversation, when the message was part of one (masked if it carries
        /// personal data).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<String>,
        /// The customer's id (masked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_id: Option<String>,
        /// The customer's tier (masked if it carries personal data).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<String>,
        /// The channel.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<Channel>,
        /// The message (masked).
        question: String,
        /// What was matched when the message was read in context (masked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_as: Option<String>,
        /// `answer`, `clarify`, `handoff` or `small_talk`.
        decision: String,
        /// The answered entry.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry_id: Option<String>,
        /// The small-talk intent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        intent: Option<String>,
        /// Why it was handed over.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<HandoffReason>,
        /// How urgently.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<Priority>,
        /// The reply's confidence.
        confidence: f64,
        /// The best candidates (at most 3).
        top: Vec<LoggedCandidate>,
    },
    /// The customer said whether a reply helped.
    Feedback {
        /// Milliseconds since the Unix epoch.
        ts_ms: u64,
        /// The reply the feedback is about (masked if it carries personal data).
        reply_id: String,
        /// Whether it helped.
        helpful: bool,
        /// The customer's comment (masked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
}

impl LogEvent {
    /// The event for `reply`, with personal data masked.
    pub fn reply(reply: &Reply, conversation_id: Option<&str>, customer: &Customer) -> Self {
        let (entry_id, intent, reason, priority) = match &reply.decision {
            Decision::Answer { entry_id, .. } => (Some(entry_id.clone()), None, None, None),
            Decision::SmallTalk { intent, .. } => (None, Some(intent.clone()), None, None),
            Decision::Handoff {
                reason, priority, ..
            } => (None, None, Some(*reason), Some(*priority)),
            Decision::Clarify { .. } => (None, None, None, None),
        };
        LogEvent::Reply {
            ts_ms: now_ms(),
            reply_id: mask_id(&reply.id).into_owned(),
            conversation_id: conversation_id.map(|c| mask_id(c).into_owned()),
            customer_id: customer.id.as_deref().map(|c| mask_id(c).into_owned()),
            tier: customer.tier.as_deref().map(|t| mask_id(t).into_owned()),
            channel: customer.channel,
            question: mask_pii(&reply.query).into_owned(),
            read_as: reply
                .context
                .as_ref()
                .map(|c| mask_pii(&c.read_as).into_owned()),
            decision: reply.decision.kind().to_string(),
            entry_id,
            intent,
            reason,
            priority,
            confidence: reply.confidence,
            top: reply
                .candidates
                .iter()
                .take(3)
                .map(|c| LoggedCandidate {
                    entry_id: c.entry_id.clone(),
                    confidence: c.confidence,
                })
                .collect(),
        }
    }

    /// The event for feedback on a reply, with personal data masked.
    pub fn feedback(reply_id: &str, helpful: bool, comment: Option<&str>) -> Self {
        LogEvent::Feedback {
            ts_ms: now_ms(),
            reply_id: mask_id(reply_id).into_owned(),
            helpful,
            comment: comment.map(|c| mask_pii(c).into_owned()),
        }
    }
}

/// Where log events go. Implementations must be cheap and must not block for long: they
/// are called on the answering path.
pub trait QueryLog: Send + Sync {
    /// Appends one event.
    fn append(&self, event: &LogEvent) -> std::io::Result<()>;
}

/// An append-only JSON Lines file: one event per line, each written with one `write` call
/// on a file opened for appending, so lines from several processes do not interleave.
#[derive(Debug)]
pub struct JsonlLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl JsonlLog {
    /// Opens (or creates) `path` for appending.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(JsonlLog {
            path,
            file: Mutex::new(file),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl QueryLog for JsonlLog {
    fn append(&self, event: &LogEvent) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(event)?;
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(&line)
    }
}

/// Events kept in memory (for tests, or a frontend that ships them elsewhere itself).
#[derive(Debug, Default)]
pub struct MemoryLog {
    events: Mutex<Vec<LogEvent>>,
}

impl MemoryLog {
    /// A copy of the events so far.
    pub fn events(&self) -> Vec<LogEvent> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl QueryLog for MemoryLog {
    fn append(&self, event: &LogEvent) -> std::io::Result<()> {
        self.events
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(event.clone());
        Ok(())
    }
}

/// Sends events to a [`QueryLog`] without ever failing the caller: failures are counted.
#[derive(Default)]
pub struct Recorder {
    log: Option<std::sync::Arc<dyn QueryLog>>,
    written: AtomicU64,
    failures: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("enabled", &self.log.is_some())
            .field("written", &self.written())
            .field("failures", &self.failures())
            .finish()
    }
}

impl Recorder {
    /// A recorder writing to `log` (`None`: events are dropped).
    pub fn new(log: Option<std::sync::Arc<dyn QueryLog>>) -> Self {
        Recorder {
            log,
            ..Recorder::default()
        }
    }

    /// Records an event; a failure is counted, never returned.
    pub fn record(&self, event: &LogEvent) {
        let Some(log) = &self.log else { return };
        match log.append(event) {
            Ok(()) => {
                self.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                *self
                    .last_error
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(e.to_string());
            }
        }
    }

    /// Whether events go anywhere.
    pub fn is_enabled(&self) -> bool {
        self.log.is_some()
    }

    /// Events written.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Events that could not be written.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// The last write error, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;
    impl QueryLog for Broken {
        fn append(&self, _: &LogEvent) -> std::io::Result<()> {
            Err(std::io::Error::other("disk full"))
        }
    }

    #[test]
    fn failures_are_counted_not_raised() {
        let r = Recorder::new(Some(std::sync::Arc::new(Broken)));
        r.record(&LogEvent::feedback("r-1", true, None));
        r.record(&LogEvent::feedback("r-2", false, Some("打13812345678")));
        assert_eq!(r.failures(), 2);
        assert_eq!(r.last_error().as_deref(), Some("disk full"));
    }

    #[test]
    fn jsonl_lines_are_masked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let log = JsonlLog::open(&path).unwrap();
        let r = Recorder::new(Some(std::sync::Arc::new(log)));
        r.record(&LogEvent::feedback("r-1", false, Some("请回电13812345678")));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("13812345678"), "{text}");
        let event: LogEvent = serde_json::from_str(text.trim()).unwrap();
        assert!(matches!(event, LogEvent::Feedback { helpful: false, .. }));
    }
}
