//! Masking personal data before anything is written to a log.
//!
//! Replaced, wherever they appear in a text:
//!
//! | what | how it is recognised | becomes |
//! |---|---|---|
//! | e-mail addresses | `name@domain.tld` | `[email]` |
//! | mobile numbers | 11 digits starting `13`–`19` (optionally `+86`/`86` first) | `[mobile]` |
//! | ID-card numbers | 18 digits (the last may be `X`), or the old 15 digits | `[id_card]` |
//! | bank-card numbers | 16–19 digits | `[bank_card]` |
//! | other long numbers | any other run of 12 or more digits | `[number]` |
//!
//! Digits may be full-width and may be grouped with spaces or dashes (`138 1234 5678`,
//! `6222-0212-3456-7890`); a run of digits is judged by its digit count after the
//! separators are taken out, so a number cannot slip through by being written in groups.
//! Masking errs on the side of masking: a long run of digits that is none of the above is
//! masked too. Short numbers (amounts, dates, the 10-digit `4000-123-456` hotline) are kept.
//!
//! ```
//! assert_eq!(
//!     wenda::mask::mask_pii("手机138 1234 5678，身份证11010519491231002X，邮箱zhang.san@qq.com"),
//!     "手机[mobile]，身份证[id_card]，邮箱[email]"
//! );
//! ```

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .expect("a valid constant pattern")
});

/// A run of digits, possibly grouped by single spaces or dashes, with an optional `+`
/// before and an `X` after (ID cards).
static DIGITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\+?\d(?:[ \-\u{3000}]?\d)*(?:[ \-]?[Xx×])?").expect("a valid constant pattern")
});

fn classify(run: &str) -> Option<&'static str> {
    // Full-width digits count as their ASCII forms; any other numeral keeps its place in
    // the count but never matches a mobile prefix.
    let digits: String = run
        .chars()
        .filter(|c| c.is_numeric())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    let x_end = run.ends_with(['X', 'x', '×']);
    let n = digits.chars().count();
    let mobile = |d: &str| {
        d.is_ascii()
            && d.len() == 11
            && d.starts_with('1')
            && matches!(d.as_bytes()[1], b'3'..=b'9')
    };
    if x_end && (n == 17 || n == 14) {
        return Some("id_card");
    }
    if mobile(&digits)
        || (n == 13 && digits.is_ascii() && digits.starts_with("86") && mobile(&digits[2..]))
    {
        return Some("mobile");
    }
    match n {
        18 | 15 => Some("id_card"),
        16..=19 => Some("bank_card"),
        n if n >= 12 => Some("number"),
        _ => None,
    }
}

/// `text` with e-mail addresses, mobile, ID-card and bank-card numbers (and other runs of
/// 12+ digits) replaced by `[email]`, `[mobile]`, `[id_card]`, `[bank_card]`, `[number]`.
pub fn mask_pii(text: &str) -> Cow<'_, str> {
    let masked = EMAIL.replace_all(text, "[email]");
    let out = DIGITS.replace_all(&masked, |c: &Captures<'_>| {
        let run = &c[0];
        match classify(run) {
            Some(kind) => format!("[{kind}]"),
            None => run.to_string(),
        }
    });
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_chinese_personal_data() {
        let rows = [
            ("我的手机号是13812345678", "我的手机号是[mobile]"),
            ("打我电话 138 1234 5678 谢谢", "打我电话 [mobile] 谢谢"),
            ("手机：138-1234-5678", "手机：[mobile]"),
            ("+86 139 0000 1111", "[mobile]"),
            ("8613900001111找我", "[mobile]找我"),
            ("手机１３８１２３４５６７８", "手机[mobile]"),
            ("身份证号11010519491231002X", "身份证号[id_card]"),
            ("身份证 110105 19491231 002x", "身份证 [id_card]"),
            ("身份证号码是440308199901011234", "身份证号码是[id_card]"),
            ("老身份证110105491231002", "老身份证[id_card]"),
            ("卡号6222021234567890123", "卡号[bank_card]"),
            ("银行卡 6222 0212 3456 7890", "银行卡 [bank_card]"),
            ("卡号6217-0000-1234-5678-901", "卡号[bank_card]"),
            (
                "邮箱 zhang.san@example.com.cn 收不到",
                "邮箱 [email] 收不到",
            ),
            ("发到li_si+ins@qq.com吧", "发到[email]吧"),
            ("保单号PA2024051200001234567", "保单号PA[bank_card]"),
            ("订单号 2024 0512 0000 1", "订单号 [number]"),
        ];
        for (input, want) in rows {
            assert_eq!(mask_pii(input), want, "{input}");
        }
    }

    #[test]
    fn ordinary_numbers_are_kept() {
        for text in [
            "退保要扣多少手续费",
            "客服电话4000-123-456",
            "2024年5月12日出的险，赔了3000元",
            "车牌号沪A12345",
            "第2个",
            "保额50万",
        ] {
            assert_eq!(mask_pii(text), text);
            assert!(matches!(mask_pii(text), Cow::Borrowed(_)));
        }
    }
}
