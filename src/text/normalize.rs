//! Text normalization (see [`normalize`]).

use unicode_normalization::UnicodeNormalization;

/// Normalizes `text`, the first step for every question, in the knowledge base and from
/// customers. In order:
///
/// 1. Unicode NFKC: full-width letters, digits and punctuation become half-width
///    (`ＡＰＰ１２３` → `APP123`), compatibility forms are unfolded (`①` → `1`).
/// 2. Traditional → simplified Chinese with OpenCC's phrase tables (`hanconv::t2s`):
///    `車險怎麼報案` → `车险怎么报案`. Simplified text passes through unchanged.
/// 3. Case folding (`APP` → `app`).
/// 4. Punctuation, symbols, emoji and control characters become spaces; runs of
///    whitespace collapse to one space; the ends are trimmed.
///
/// ```
/// assert_eq!(wenda::text::normalize("車險怎麼報案？"), "车险怎么报案");
/// assert_eq!(wenda::text::normalize("ＡＰＰ　登录不了！！"), "app 登录不了");
/// assert_eq!(wenda::text::normalize("  \t\n "), "");
/// ```
pub fn normalize(text: &str) -> String {
    let folded: String = text.nfkc().collect();
    let simplified = hanconv::t2s(&folded);
    let mut out = String::with_capacity(simplified.len());
    let mut pending_space = false;
    for ch in simplified.chars().flat_map(char::to_lowercase) {
        if ch.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch);
        } else {
            pending_space = true;
        }
    }
    out
}

/// Whether `text` has nothing left to match on once normalized (empty, whitespace,
/// punctuation or emoji only).
///
/// ```
/// assert!(wenda::text::is_blank(" ？？ 😀 "));
/// assert!(!wenda::text::is_blank("退保"));
/// ```
pub fn is_blank(text: &str) -> bool {
    normalize(text).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let rows = [
            ("車險怎麼報案", "车险怎么报案"),
            ("為什麼給我降低額度", "为什么给我降低额度"),
            ("ＡＰＰ登录不了", "app登录不了"),
            ("保单号：１２３４５", "保单号 12345"),
            ("“退保”要多久？？", "退保 要多久"),
            ("title:\"x\" AND (y)", "title x and y"),
            ("我想退保😭😭", "我想退保"),
            ("", ""),
        ];
        for (input, want) in rows {
            assert_eq!(normalize(input), want, "normalize({input:?})");
        }
    }

    #[test]
    fn simplified_is_unchanged() {
        let s = "车险出险后怎么报案";
        assert_eq!(normalize(s), s);
    }

    #[test]
    fn idempotent() {
        for s in ["車險 怎麼報案？", "ＡＢＣ　ｄｅｆ", "a  b\t\nc"] {
            let once = normalize(s);
            assert_eq!(normalize(&once), once);
        }
    }
}
