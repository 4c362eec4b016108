//! Rendering an answer for a [`Channel`].
//!
//! An entry's own channel answer (`[faq.channels]`) is used as written. Otherwise the
//! default answer is derived, keeping its content:
//!
//! | channel | derived from the default answer |
//! |---|---|
//! | `web`, `app` | as written |
//! | `wechat` | plain text: Markdown emphasis and headings removed, `[text](url)` → `text url` |
//! | `sms` | plain text as for `wechat`, cut at a sentence end to `channels.sms_max_chars` characters (default 70, one Chinese SMS), `…` when cut |
//! | `voice` | spoken text: no links, URLs, e-mail addresses, Markdown or HTML; line breaks become pauses (`，` / `。`) |
//!
//! ```
//! use wenda::{Channel, channel::derive};
//! use wenda::config::ChannelOptions;
//! let text = "请在**App**中办理，详见[帮助中心](https://example.com/help)。";
//! let o = ChannelOptions::default();
//! assert_eq!(derive(text, Channel::Wechat, &o), "请在App中办理，详见帮助中心 https://example.com/help。");
//! assert_eq!(derive(text, Channel::Voice, &o), "请在App中办理，详见帮助中心。");
//! ```

use std::sync::LazyLock;

use regex::Regex;

use crate::config::ChannelOptions;
use crate::knowledge::{Channel, Entry};

/// The answer of `entry` for `channel` (`None`: the default answer as written).
pub fn render(entry: &Entry, channel: Option<Channel>, options: &ChannelOptions) -> String {
    match channel {
        None => entry.answer.clone(),
        Some(c) => match entry.channels.get(&c) {
            Some(own) => own.clone(),
            None => derive(&entry.answer, c, options),
        },
    }
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\]\n]*)\]\(([^)\s]*)\)").expect("a valid constant pattern"));
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:https?://|www\.)[^\s，。；！？、）)<>]+")
        .expect("a valid constant pattern")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("a valid constant pattern")
});
static HTML_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"</?[A-Za-z][^>]*>").expect("a valid constant pattern"));
static EMPHASIS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\*\*|__|\*|`|~~)").expect("a valid constant pattern"));
static LINE_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)").expect("a valid constant pattern")
});
/// Punctuation left dangling after a link was removed ("详见：。" → "详见。").
static DANGLING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[，,：:、\s]*([。！？；.!?;]|$)").expect("a valid constant pattern")
});

/// Markdown and HTML to plain text; `[text](url)` becomes `text url`.
fn plain(text: &str) -> String {
    let t = HTML_TAG.replace_all(text, "");
    let t = LINK.replace_all(&t, "$1 $2");
    let t = LINE_MARK.replace_all(&t, "");
    EMPHASIS.replace_all(&t, "").trim().to_string()
}

/// Text for the ear: no links, URLs, e-mail addresses or markup; lines joined.
fn spoken(text: &str) -> String {
    let t = HTML_TAG.replace_all(text, "");
    let t = LINK.replace_all(&t, "$1");
    let t = URL.replace_all(&t, "");
    let t = EMAIL.replace_all(&t, "");
    let t = LINE_MARK.replace_all(&t, "");
    let t = EMPHASIS.replace_all(&t, "");
    let mut out = String::new();
    for line in t.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() && !out.ends_with(['。', '！', '？', '；', '，', '：']) {
            out.push('，');
        }
        out.push_str(line);
    }
    let out = out.replace(['（', '('], "，").replace(['）', ')'], "，");
    let out = DANGLING.replace_all(&out, "$1");
    out.replace("，，", "，").trim_matches('，').to_string()
}

/// At most `max` characters, cut after the last sentence end that fits (`…` added when cut).
fn bounded(text: &str, max: usize) -> String {
    let flat: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let limit = max.saturating_sub(1);
    let head: String = flat.chars().take(limit).collect();
    let cut = head
        .char_indices()
        .filter(|(_, c)| matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';'))
        .map(|(i, c)| i + c.len_utf8())
        .next_back();
    let kept = match cut {
        Some(end) if end >= head.len() / 3 => &head[..end],
        _ => head.as_str(),
    };
    format!("{kept}…")
}

/// The default answer `text` rendered for `channel` (see the module docs).
pub fn derive(text: &str, channel: Channel, options: &ChannelOptions) -> String {
    match channel {
        Channel::Web | Channel::App => text.to_string(),
        Channel::Wechat => plain(text),
        Channel::Sms => bounded(&plain(text), options.sms_max_chars),
        Channel::Voice => spoken(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_is_bounded_at_a_sentence_end() {
        let o = ChannelOptions { sms_max_chars: 20 };
        let text = "第一句话写在这里。第二句话也写在这里。第三句很长很长很长。";
        let s = derive(text, Channel::Sms, &o);
        assert_eq!(s, "第一句话写在这里。第二句话也写在这里。…");
        assert!(s.chars().count() <= 20);
        let short = "一句话。";
        assert_eq!(derive(short, Channel::Sms, &o), short);
        let no_stop = "没有句号的一段非常非常非常非常非常非常长的文字";
        let s = derive(no_stop, Channel::Sms, &o);
        assert_eq!(s.chars().count(), 20);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn voice_has_no_links_or_markup() {
        let o = ChannelOptions::default();
        let text = "## 办理方式\n- 登录 **App**\n- 访问 https://www.example.com/a?b=1 或发邮件至 help@example.com。\n<b>谢谢</b>";
        let s = derive(text, Channel::Voice, &o);
        for bad in ["http", "www", "@", "*", "#", "<", "-"] {
            assert!(!s.contains(bad), "{bad:?} in {s:?}");
        }
        assert!(s.contains("登录 App"), "{s}");
        assert!(s.contains("谢谢"), "{s}");
    }

    #[test]
    fn own_channel_answer_wins() {
        let mut e = Entry::new("a", "q", "默认答案。");
        e.channels.insert(Channel::Sms, "短信答案".into());
        let o = ChannelOptions::default();
        assert_eq!(render(&e, Some(Channel::Sms), &o), "短信答案");
        assert_eq!(render(&e, Some(Channel::Voice), &o), "默认答案。");
        assert_eq!(render(&e, None, &o), "默认答案。");
    }
}
