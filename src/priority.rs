//! How urgently an agent should pick a handoff up: used by options (a tier's least
//! priority) and by replies, so it sits below both.

use serde::{Deserialize, Serialize};

/// How urgently an agent should pick a handoff up.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Can wait (nothing was asked).
    Low,
    /// The usual queue.
    Normal,
    /// Senior agent or call-back first.
    High,
}

impl Priority {
    /// The priority as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }
}
