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
//! ## The public API
//!
//! What a chat frontend, a curator's tool or a benchmark needs, re-exported here:
//!
//! | for | items |
//! |---|---|
//! | the knowledge base | [`KnowledgeBase`], [`Entry`], [`Source`], [`Channel`], [`Triggers`], [`TriggerSet`]; the [`knowledge`] module (lexicon, small talk) |
//! | options | [`Config`] and the [`config`] module (every option with its default) |
//! | building and asking | [`Bot`], [`BotBuilder`], [`AskOptions`], [`BuildStage`], [`Progress`], [`IndexOrigin`], [`IndexStatus`], [`Manifest`], [`FileSum`] |
//! | replies | [`Reply`], [`Decision`], [`Candidate`], [`Suggestion`], [`HandoffReason`], [`Priority`], [`Handoff`], [`Context`], [`ContextKind`] |
//! | conversations | [`Conversation`], [`ConversationState`], [`ConversationStore`], [`Customer`], [`Turn`], [`conversation_id`]; the [`conversation`] module |
//! | a service | [`Service`], [`ServiceBuilder`], [`ReloadReport`], [`Status`]; [`querylog`]; `http` (feature `serve`) |
//! | errors | [`Error`], [`Result`], [`Problem`], [`Problems`], [`Severity`] |
//! | extending | [`embed`] (the `Embedder` trait), [`text`] (the text pipeline), [`rank`] (features, the confidence model), [`channel`] (rendering per channel), [`mask`] (PII masking) |
//! | a curator's reports | [`logbook`] (feedback, hot questions), [`gaps`] (what the knowledge base lacks) |
//! | measuring | [`eval`] (`wenda eval`), [`bench`](mod@bench) (`wenda bench`), [`synthetic`] (generated knowledge bases) |
//!
//! The pieces, in pipeline order: [`knowledge`] (files, validation) → [`text`] (normalize,
//! segment) → indexes (tantivy BM25 and a vector index over [`embed`]dings) → retrieval →
//! [`rank`] (features, confidence model) → [`Decision`] in a [`Reply`]. `ARCHITECTURE.md`
//! in the repository maps every module and the layers they import in.
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]

// Modules in layer order, lowest first (see ARCHITECTURE.md; tests/it/layers.rs checks it).
mod error;
mod ids;
pub mod mask;
mod priority;
pub mod safe_fs;
mod serde_sorted;
mod stable_hash;
mod stats;

pub mod config;
mod model;

pub mod text;

pub mod embed;
mod index;
pub mod knowledge;
mod queries;

pub mod rank;
mod retrieve;

pub mod channel;
mod reply;

mod policy;

mod bot;

pub mod conversation;

pub mod eval;
pub mod synthetic;

pub mod bench;

pub mod logbook;
pub mod querylog;

pub mod gaps;
mod service;

#[cfg(feature = "serve")]
pub mod http;

#[doc(hidden)]
pub use bot::RetrievalTrace;
pub use bot::{
    AskOptions, Bot, BotBuilder, BuildStage, IndexOrigin, IndexStatus, MAX_MESSAGE_CHARS,
    NearDuplicate, Progress,
};
pub use config::Config;
pub use conversation::{Conversation, ConversationState, ConversationStore};
pub use error::{Error, Problem, Problems, Result, Severity};
pub use ids::conversation_id;
pub use index::{FileSum, Manifest};
pub use knowledge::{Channel, Entry, KnowledgeBase, Source, TriggerSet, Triggers};
pub use reply::{
    Candidate, Context, ContextKind, Customer, Decision, Handoff, HandoffReason, Priority, Reply,
    Suggestion, Turn,
};
pub use service::{
    CategoryListing, EntrySummary, HotEntry, ReloadReport, Service, ServiceBuilder, Status,
};
