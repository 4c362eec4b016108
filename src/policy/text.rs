//! What the customer is shown or told for a decision, per channel (`text` in a reply).
//!
//! | decision | `web`, `app`, `wechat` (and no channel) | `sms` | `voice` |
//! |---|---|---|---|
//! | `answer` | the answer for the channel | the same | the same |
//! | `small_talk` | the reply for the channel | the same | the same |
//! | `clarify` | `您是不是想问：` and a numbered line per suggestion | one line, `1.… 2.…`, then `回复序号即可。` | `您是不是想问：第一，…；第二，…。请说出序号。` |
//! | `handoff` | `正在为您转接人工客服，请稍候。` | the same | the same |
//!
//! The answer and the small-talk reply are rendered for the channel where they are made
//! (`channel`); this adds the standard lines of `clarify` and `handoff`.

use crate::knowledge::Channel;
use crate::reply::Decision;

/// Chinese ordinals for a spoken list ("第一", …).
const SPOKEN: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The text to show or say to the customer for `decision` on `channel`.
pub(crate) fn customer_text(decision: &Decision, channel: Option<Channel>) -> String {
    match decision {
        Decision::Answer { answer, .. } => answer.clone(),
        Decision::SmallTalk { reply, .. } => reply.clone(),
        Decision::Handoff { .. } => "正在为您转接人工客服，请稍候。".to_string(),
        Decision::Clarify { suggestions } => {
            let questions = suggestions.iter().map(|s| s.question.as_str());
            match channel {
                Some(Channel::Sms) => {
                    let list: Vec<String> = questions
                        .enumerate()
                        .map(|(i, q)| format!("{}.{q}", i + 1))
                        .collect();
                    format!("您是不是想问：{} 回复序号即可。", list.join(" "))
                }
                Some(Channel::Voice) => {
                    let list: Vec<String> = questions
                        .enumerate()
                        .map(|(i, q)| {
                            let n = SPOKEN
                                .get(i)
                                .map_or_else(|| (i + 1).to_string(), |s| s.to_string());
                            format!("第{n}，{}", q.trim_end_matches(['？', '?']))
                        })
                        .collect();
                    format!("您是不是想问：{}。请说出序号。", list.join("；"))
                }
                _ => {
                    let mut s = String::from("您是不是想问：");
                    for (i, q) in questions.enumerate() {
                        s.push_str(&format!("\n{}. {q}", i + 1));
                    }
                    s
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Suggestion;

    fn clarify() -> Decision {
        let s = |id: &str, q: &str| Suggestion {
            entry_id: id.into(),
            question: q.into(),
            confidence: 0.4,
        };
        Decision::Clarify {
            suggestions: vec![s("a", "怎么交话费？"), s("b", "怎么开发票？")],
        }
    }

    #[test]
    fn clarify_lists_the_suggestions_in_the_channels_form() {
        assert_eq!(
            customer_text(&clarify(), None),
            "您是不是想问：\n1. 怎么交话费？\n2. 怎么开发票？"
        );
        assert_eq!(
            customer_text(&clarify(), Some(Channel::Sms)),
            "您是不是想问：1.怎么交话费？ 2.怎么开发票？ 回复序号即可。"
        );
        assert_eq!(
            customer_text(&clarify(), Some(Channel::Voice)),
            "您是不是想问：第一，怎么交话费；第二，怎么开发票。请说出序号。"
        );
    }
}
