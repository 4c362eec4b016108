//! wenda (问答): answers customer questions in Chinese from an FAQ knowledge base, with a
//! calibrated confidence, and hands over to a human when it should not answer.
//!
//! ```
//! use wenda::{Bot, Decision, HandoffReason, KnowledgeBase};
//!
//! // # Load and validate a knowledge base (here: the sample one in `knowledge/`)
//! let kb = KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
//!
//! // # Build once: index every question variant, fit the confidence model
//! let bot = Bot::build(kb)?;
//!
//! // # Ask from any thread; act on the decision
//! let reply = bot.ask("車撞了怎麼報案");
//! assert_eq!(reply.answer_id(), Some("claim-report"));
//! assert!(reply.confidence >= bot.config().thresholds.answer);
//!
//! let reply = bot.ask("转人工");
//! assert_eq!(reply.handoff_reason(), Some(HandoffReason::AskedForHuman));
//! if let Decision::Handoff { priority, .. } = reply.decision {
//!     println!("to the agent queue with priority {}", priority.as_str());
//! }
//! # Ok::<(), wenda::Error>(())
//! ```
//!
//! The pieces, in pipeline order: [`knowledge`] (files, validation) → [`text`] (normalize,
//! segment) → indexes (tantivy BM25 and a vector index over [`embed`]dings) → [`rank`]
//! (features, confidence model) → [`Decision`] in a [`Reply`].
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

pub mod config;
mod error;
pub mod eval;
pub mod knowledge;
pub mod text;

pub use config::Config;
pub use error::{Error, Problem, Problems, Result, Severity};
pub use knowledge::{Channel, Entry, KnowledgeBase, Source, TriggerSet, Triggers};
pub mod bench;
mod bot;
pub mod embed;
mod index;
mod model;
mod policy;
mod priority;
mod queries;
pub mod rank;
mod reply;
mod retrieve;
mod serde_sorted;
mod stable_hash;
mod stats;
pub mod synthetic;

pub use bot::{AskOptions, Bot, BotBuilder, BuildStage, IndexOrigin, IndexStatus, Progress};
pub use index::{FileSum, Manifest};
pub use reply::{
    Candidate, Context, ContextKind, Decision, Handoff, HandoffReason, Priority, Reply, Suggestion,
};

pub mod channel;
pub mod conversation;
#[cfg(feature = "serve")]
pub mod http;
mod ids;
pub mod mask;
pub mod querylog;
mod service;

pub use conversation::{Conversation, ConversationState, ConversationStore, Customer, Turn};
pub use ids::conversation_id;
pub use service::{ReloadReport, Service, ServiceBuilder, Status};
