//! What each retrieval channel finds for a question, by entry id: for measuring recall by
//! channel (`examples/recall_channels.rs`), not for answering.

use super::Bot;
use crate::config::RetrievalOptions;
use crate::error::Result;
use crate::index::Holdout;

/// Entry ids each retrieval channel found for one question, best first, and the fused
/// list that ranking scores.
#[doc(hidden)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetrievalTrace {
    /// Each channel's name (`bm25`, `vector`) and the entries it found.
    pub channels: Vec<(String, Vec<String>)>,
    /// The channels fused, cut to `max_entries`: the entries ranking scores.
    pub fused: Vec<String>,
}

impl Bot {
    /// What retrieval with `options` finds for `question` (the bot's own retrieval options
    /// are `self.config().retrieval`), channel by channel.
    #[doc(hidden)]
    pub fn retrieval_trace(
        &self,
        question: &str,
        options: &RetrievalOptions,
    ) -> Result<RetrievalTrace> {
        let analysis = self.analyzer.analyze(question);
        let vector = self.embedder.embed(&analysis);
        let channels = self
            .indexes()
            .channels(&analysis, &vector, Holdout::None, options)?;
        let id = |e: u32| {
            self.kb
                .entries()
                .get(e as usize)
                .map(|x| x.id.clone())
                .unwrap_or_default()
        };
        let ids = |list: &[(u32, f32)]| list.iter().map(|&(e, _)| id(e)).collect();
        Ok(RetrievalTrace {
            channels: channels
                .named()
                .iter()
                .map(|(name, list)| (name.to_string(), ids(list)))
                .collect(),
            fused: channels
                .fuse(options)
                .into_iter()
                .map(|f| id(f.entry))
                .collect(),
        })
    }
}
