//! One FAQ entry and where it came from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A channel a reply can be rendered for.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Web chat.
    Web,
    /// WeChat official account / mini program.
    Wechat,
    /// In-app help centre.
    App,
    /// Text message: short.
    Sms,
    /// Voice (IVR, smart speaker): no links or markup.
    Voice,
}

impl Channel {
    /// All channels, in a fixed order.
    pub const ALL: [Channel; 5] = [
        Channel::Web,
        Channel::Wechat,
        Channel::App,
        Channel::Sms,
        Channel::Voice,
    ];

    /// The channel's name as written in files and JSON (`web`, `wechat`, `app`, `sms`, `voice`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Wechat => "wechat",
            Channel::App => "app",
            Channel::Sms => "sms",
            Channel::Voice => "voice",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown channel \"{s}\" (expected one of web, wechat, app, sms, voice)")
            })
    }
}

/// Where an entry was defined: for messages a curator can follow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file.
    pub file: PathBuf,
    /// 1-based line of the entry in that file, when known.
    pub line: Option<usize>,
}

/// One FAQ entry: a standard question, its paraphrases, and the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable id, unique across the knowledge base.
    pub id: String,
    /// The standard question.
    pub question: String,
    /// Other ways customers ask the same thing.
    #[serde(default)]
    pub similar: Vec<String>,
    /// The answer (default channel).
    pub answer: String,
    /// Category path such as `车险/报案与理赔` (may be empty).
    #[serde(default)]
    pub category: String,
    /// Answers written for particular channels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub channels: BTreeMap<Channel, String>,
    /// Where the entry was defined.
    #[serde(default, skip_serializing)]
    pub source: Source,
}

impl Entry {
    /// A new entry with no similar questions, category or channel answers.
    pub fn new(
        id: impl Into<String>,
        question: impl Into<String>,
        answer: impl Into<String>,
    ) -> Self {
        Entry {
            id: id.into(),
            question: question.into(),
            similar: Vec::new(),
            answer: answer.into(),
            category: String::new(),
            channels: BTreeMap::new(),
            source: Source::default(),
        }
    }

    /// Adds similar questions (builder style).
    pub fn with_similar<I, S>(mut self, similar: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.similar.extend(similar.into_iter().map(Into::into));
        self
    }

    /// Sets the category (builder style).
    pub fn with_category(mut self, category: impl Into<String>) -> Self {
        self.category = category.into();
        self
    }

    /// Every question variant: the standard question first, then the similar ones.
    pub fn variants(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.similar.iter().map(String::as_str))
    }

    /// The answer for `channel`: the channel's own answer when the entry has one, otherwise
    /// the default answer.
    pub fn answer_for(&self, channel: Option<Channel>) -> &str {
        channel
            .and_then(|c| self.channels.get(&c))
            .map(String::as_str)
            .unwrap_or(&self.answer)
    }
}
