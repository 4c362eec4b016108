//! Small talk (`smalltalk.toml`): greetings, thanks, goodbyes and questions about the robot,
//! answered with a friendly line instead of an FAQ answer or a handoff; and the words with
//! which a customer rejects an answer ("不是这个").
//!
//! ```toml
//! # messages that reject the previous answer or suggestions (whole message)
//! reject = ["不是这个", "没用", "不对"]
//!
//! [[intent]]
//! id = "greeting"
//! phrases = ["你好", "您好", "在吗"]   # the whole message is one of these
//! reply = "您好！请问有什么可以帮您？"
//! ```
//!
//! Phrases are compared with the whole message after normalization (traditional,
//! full-width, case, punctuation and spaces do not matter) and with trailing modal
//! particles (啊 呀 哈 呢 吧 啦 嘛 哦 喔 哟) removed, so `你好呀！` matches `你好`. A message
//! that only *contains* a greeting (`你好，车险怎么报案`) is an FAQ question.

use serde::{Deserialize, Serialize};

use crate::text::normalize;

/// One small-talk intent: the messages that express it and the reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmallTalkIntent {
    /// Stable id (`greeting`, `thanks`, …), reported in the reply.
    pub id: String,
    /// Whole messages that express the intent.
    pub phrases: Vec<String>,
    /// What wenda replies.
    pub reply: String,
}

/// The contents of `smalltalk.toml`. `SmallTalk::default()` is the built-in list, used
/// when the knowledge base has no such file; a file's `[[intent]]` list replaces the
/// built-in intents, and its `reject` list (when present) the built-in rejections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmallTalk {
    /// Whole messages with which a customer rejects the previous answer or suggestions.
    pub reject: Vec<String>,
    /// Small-talk intents.
    #[serde(rename = "intent")]
    pub intents: Vec<SmallTalkIntent>,
}

const PARTICLES: &[char] = &[
    '啊', '呀', '哈', '呢', '吧', '啦', '嘛', '哦', '喔', '哟', '噢',
];

/// The form in which small-talk phrases and messages are compared.
pub(crate) fn small_talk_key(text: &str) -> String {
    let compact = normalize(text).replace(' ', "");
    let trimmed = compact.trim_end_matches(PARTICLES);
    if trimmed.is_empty() {
        compact
    } else {
        trimmed.to_string()
    }
}

fn intent(id: &str, phrases: &[&str], reply: &str) -> SmallTalkIntent {
    SmallTalkIntent {
        id: id.to_string(),
        phrases: phrases.iter().map(|p| p.to_string()).collect(),
        reply: reply.to_string(),
    }
}

impl Default for SmallTalk {
    fn default() -> Self {
        SmallTalk {
            reject: [
                "不是这个",
                "不是这个问题",
                "不是",
                "不对",
                "没用",
                "没有用",
                "没帮助",
                "都不是",
                "答非所问",
                "不是我要的",
                "不是我想问的",
                "这不是我要问的",
                "没解决",
                "没有解决",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            intents: vec![
                intent(
                    "greeting",
                    &[
                        "你好",
                        "您好",
                        "你们好",
                        "在吗",
                        "在不在",
                        "hi",
                        "hello",
                        "哈喽",
                        "嗨",
                        "早上好",
                        "下午好",
                        "晚上好",
                    ],
                    "您好！我是智能客服，请问有什么可以帮您？",
                ),
                intent(
                    "thanks",
                    &[
                        "谢谢",
                        "谢谢你",
                        "谢谢您",
                        "多谢",
                        "感谢",
                        "非常感谢",
                        "好的谢谢",
                        "thanks",
                        "thank you",
                        "好的",
                        "明白了",
                        "知道了",
                    ],
                    "不客气，很高兴能帮到您。还有其他问题可以随时问我。",
                ),
                intent(
                    "goodbye",
                    &["再见", "拜拜", "bye", "没有了", "没事了", "没别的了"],
                    "感谢您的咨询，祝您生活愉快，再见！",
                ),
                intent(
                    "bot_identity",
                    &[
                        "你是机器人吗",
                        "你是谁",
                        "你是真人吗",
                        "是机器人吗",
                        "你是ai吗",
                        "你叫什么",
                    ],
                    "我是智能客服机器人，可以回答常见问题；需要人工服务时请说“转人工”。",
                ),
            ],
        }
    }
}
