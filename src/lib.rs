//! wenda (问答): answers customer questions in Chinese from an FAQ knowledge base, with a
//! calibrated confidence, and hands over to a human when it should not answer.
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod config;
mod error;
pub mod knowledge;
pub mod text;

pub use config::Config;
pub use error::{Error, Problem, Problems, Result, Severity};
pub use knowledge::{Channel, Entry, KnowledgeBase, Source, TriggerSet, Triggers};
mod bot;
pub mod embed;
mod index;
mod policy;
pub mod rank;
mod reply;

pub use bot::{AskOptions, Bot, BotBuilder, BuildStage, Progress};
pub use reply::{Candidate, Decision, HandoffReason, Priority, Reply, Suggestion};
