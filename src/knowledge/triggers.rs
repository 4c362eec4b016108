//! Handoff triggers (`triggers.toml`): words that send a conversation to a human.

use serde::{Deserialize, Serialize};

/// One list of trigger words. A message fires the set when it contains any `phrases`
/// entry, contains every word of any `all_of` group, or is exactly one of `exact`
/// (all compared after normalization, ignoring spaces and punctuation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TriggerSet {
    /// Fires when the message contains any of these.
    pub phrases: Vec<String>,
    /// Fires when the message contains every word of any one group.
    pub all_of: Vec<Vec<String>>,
    /// Fires when the whole message is one of these (for words too short or common to
    /// look for inside longer messages, such as `人工`).
    pub exact: Vec<String>,
}

impl TriggerSet {
    fn of(phrases: &[&str], all_of: &[&[&str]], exact: &[&str]) -> Self {
        let owned = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        TriggerSet {
            phrases: owned(phrases),
            all_of: all_of.iter().map(|g| owned(g)).collect(),
            exact: owned(exact),
        }
    }

    /// Whether the set has nothing in it.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty() && self.all_of.is_empty() && self.exact.is_empty()
    }
}

/// Built-in `sensitive` phrases: regulators, their hotlines, the media and the courts,
/// across industries. A phrase of digits only (a hotline such as `12345`) fires only when
/// no digit stands next to it, so `123456` or an order number does not.
const SENSITIVE_PHRASES: &[&str] = &[
    // Finance and insurance regulators (国家金融监督管理总局, formerly 银保监会) and hotlines.
    "金融监管总局",
    "金融监督管理",
    "金融监管",
    "银保监",
    "保监会",
    "保监局",
    "银监会",
    "银监局",
    "证监会",
    "证监局",
    "监管局",
    "监管部门",
    "监管机构",
    "12378",
    "12363",
    "12386",
    // Telecom: 工业和信息化部, its appeal centre and the provincial 通信管理局.
    "工信部",
    "工业和信息化部",
    "12300",
    "通管局",
    "通信管理局",
    "电信用户申诉",
    // Consumer protection and government hotlines.
    "12315",
    "市场监管局",
    "工商局",
    "消协",
    "消费者协会",
    "12345",
    "市长热线",
    "政务热线",
    "315",
    "黑猫投诉",
    // Media.
    "曝光",
    "找媒体",
    "联系媒体",
    "上媒体",
    "告诉媒体",
    "媒体报道",
    "记者",
    "电视台",
    "网上发帖",
    // Courts and lawyers.
    "起诉",
    "律师",
    "法院",
    "打官司",
    "仲裁",
    // Escalation.
    "我要投诉",
    "举报你们",
    "骗子公司",
];

/// Built-in `sensitive` word groups (every word of one group in the message).
const SENSITIVE_ALL_OF: &[&[&str]] = &[
    &["投诉", "监管"],
    &["投诉", "上级"],
    &["投诉", "人民银行"],
    &["投诉", "人行"],
    &["投诉", "媒体"],
    &["投诉", "政府"],
];

/// Trigger lists for each handoff reason that words can cause.
///
/// `Triggers::default()` is the built-in list; a `triggers.toml` section replaces the
/// built-in list of that section (write `phrases = []` to switch one off); a section left
/// out keeps the built-in list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Triggers {
    /// The customer asks for a person (`转人工`, `人工客服`, …). Normal priority.
    pub asked_for_human: TriggerSet,
    /// Complaints that threaten the regulator, media or courts. High priority.
    pub sensitive: TriggerSet,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            asked_for_human: TriggerSet::of(
                &[
                    "转人工",
                    "人工客服",
                    "人工服务",
                    "人工坐席",
                    "人工座席",
                    "找人工",
                    "要人工",
                    "接人工",
                    "叫人工",
                    "真人客服",
                    "找客服",
                    "客服人员",
                    "不要机器人",
                    "跟人说话",
                ],
                &[],
                &["人工", "客服", "真人", "人呢", "有人吗"],
            ),
            sensitive: TriggerSet::of(SENSITIVE_PHRASES, SENSITIVE_ALL_OF, &[]),
        }
    }
}
