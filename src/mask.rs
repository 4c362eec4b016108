//! Masking personal data before anything is written to a log.
//!
//! Replaced, wherever they appear in a text:
//!
//! | what | how it is recognised | becomes |
//! |---|---|---|
//! | e-mail addresses | `name@domain.tld`, also `张三@例子.中国` and `zhang san @ example . com` (a Chinese local part: up to 3 characters) | `[email]` |
//! | mobile numbers | 11 digits starting `13`–`19` (optionally `+86`/`86` first) | `[mobile]` |
//! | ID-card numbers | 18 digits (the last may be `X`), or the old 15 digits | `[id_card]` |
//! | bank-card numbers | 16–19 digits | `[bank_card]` |
//! | other long numbers | any other run of 12 or more digits | `[number]` |
//!
//! **What counts as a digit**: ASCII and full-width digits, the decimal digits of other
//! scripts (Arabic-Indic `٠`–`٩`, Devanagari, Thai, …), mathematical digits (`𝟏`, `𝟙`),
//! circled and parenthesised digits (`①`, `⓵`, `❶`, `⑴`, `⒈`), superscripts, Chinese
//! numerals (`〇一二三四五六七八九`, `零`, `幺`, `两`, the financial `壹贰叁…`) and any
//! other Unicode numeral (counted, value unknown).
//!
//! **What may separate the digits of one number**: up to three in a row of spaces, tabs,
//! no-break and zero-width spaces, `-`, `－`, `—`, `–`, `.`, `_`, `/`, `~`, `～`, `*`, `,`,
//! `，`, `、`, `(`, `)`, `（`, `）`, `+`, and `和`. A run of digits is judged by its digit
//! count after the separators are taken out, so a number cannot slip through by being
//! written in groups (`138.1234.5678`, `(138)1234-5678`, `6222,0212,3456,7890,123`).
//!
//! Masking errs on the side of masking: a long run of digits that is none of the above is
//! masked too, and an 11-digit run whose digits' values are unknown is masked as
//! `[number]`. Short numbers (amounts, dates, the 10-digit `4000-123-456` hotline) are kept.
//!
//! Ids the customer can choose (conversation and reply ids, tiers) go through
//! [`mask_id`], which keeps a well-formed id as it is.
//!
//! ```
//! assert_eq!(
//!     wenda::mask::mask_pii("手机138 1234 5678，身份证11010519491231002X，邮箱zhang.san@qq.com"),
//!     "手机[mobile]，身份证[id_card]，邮箱[email]"
//! );
//! assert_eq!(wenda::mask::mask_pii("电话一三八一二三四五六七八"), "电话[mobile]");
//! ```

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    // local part: a Chinese name, or up to three ASCII words (`zhang san`);
    // then `@` with optional spaces, domain labels (ASCII or Chinese) joined by dots with
    // optional spaces, and a top-level label of ASCII letters or two Chinese characters.
    let local = r"(?:\p{Han}{1,3}|[A-Za-z0-9._%+\-]+(?:[ \t][A-Za-z0-9._%+\-]+){0,2})";
    let label = r"(?:[A-Za-z0-9\-]+|\p{Han}{1,8})";
    let dot = r"\s{0,3}[.。．]\s{0,3}";
    let pattern = format!(
        r"{local}\s{{0,3}}[@＠]\s{{0,3}}{label}(?:{dot}{label})*{dot}(?:[A-Za-z]{{2,}}|\p{{Han}}{{2}})"
    );
    Regex::new(&pattern).expect("a valid constant pattern")
});

/// A digit's value (`Some(None)`: a numeral of unknown value), or `None` for a non-digit.
pub(crate) fn digit_value(c: char) -> Option<Option<u8>> {
    let u = c as u32;
    let in_block = |zero: u32| (zero..zero + 10).contains(&u).then(|| (u - zero) as u8);
    // Decimal digit blocks of ten (`Nd`), each starting at its zero.
    const ZEROS: [u32; 38] = [
        0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
        0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
        0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xAA50, 0xABF0, 0xFF10,
        0x104A0, 0x1E950,
    ];
    for zero in ZEROS {
        if let Some(v) = in_block(zero) {
            return Some(Some(v));
        }
    }
    // Mathematical digits: five styles of ten from U+1D7CE; segmented digits U+1FBF0.
    if (0x1D7CE..=0x1D7FF).contains(&u) {
        return Some(Some(((u - 0x1D7CE) % 10) as u8));
    }
    if let Some(v) = in_block(0x1FBF0) {
        return Some(Some(v));
    }
    // Enclosed digits 1–9: circled, parenthesised, with full stop, double circled,
    // dingbat circled (three styles).
    for one in [0x2460, 0x2474, 0x2488, 0x24F5, 0x2776, 0x2780, 0x278A] {
        if (one..one + 9).contains(&u) {
            return Some(Some((u - one + 1) as u8));
        }
    }
    let v = match c {
        '⓪' | '⓿' | '🄀' | '🄁' | '〇' | '零' | '○' | '◯' | '洞' => 0,
        '¹' | '₁' | '一' | '壹' | '幺' | '弌' => 1,
        '²' | '₂' | '二' | '贰' | '貳' | '两' | '兩' | '弍' => 2,
        '³' | '₃' | '三' | '叁' | '參' | '弎' => 3,
        '⁴' | '₄' | '四' | '肆' => 4,
        '⁵' | '₅' | '五' | '伍' => 5,
        '⁶' | '₆' | '六' | '陆' | '陸' => 6,
        '⁷' | '₇' | '七' | '柒' | '拐' => 7,
        '⁸' | '₈' | '八' | '捌' => 8,
        '⁹' | '₉' | '九' | '玖' | '勾' => 9,
        '⁰' | '₀' => 0,
        c if c.is_numeric() => return Some(None),
        _ => return None,
    };
    Some(Some(v))
}

/// Whether `c` may stand between two digits of one number.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\u{a0}'
            | '\u{2000}'..='\u{200d}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{2060}'
            | '\u{3000}'
            | '\u{feff}'
            | '-'
            | '－'
            | '‐'..='―'
            | '−'
            | '.'
            | '。'
            | '．'
            | '·'
            | '_'
            | '＿'
            | '/'
            | '／'
            | '\\'
            | '~'
            | '～'
            | '〜'
            | '*'
            | '＊'
            | ','
            | '，'
            | '、'
            | '('
            | ')'
            | '（'
            | '）'
            | '['
            | ']'
            | '【'
            | '】'
            | '+'
            | '＋'
            | ':'
            | '：'
            | '|'
            | '#'
            | '和'
    )
}

fn is_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | '×' | 'Ｘ' | 'ｘ')
}

/// Separators allowed in a row between two digits.
const MAX_GAP: usize = 3;

fn classify(digits: &[Option<u8>], x_end: bool) -> Option<&'static str> {
    let n = digits.len();
    if x_end && (n == 17 || n == 14) {
        return Some("id_card");
    }
    let known: Option<Vec<u8>> = digits.iter().copied().collect();
    let mobile = |d: &[u8]| d.len() == 11 && d[0] == 1 && (3..=9).contains(&d[1]);
    match &known {
        Some(d) if mobile(d) || (n == 13 && d[0] == 8 && d[1] == 6 && mobile(&d[2..])) => {
            return Some("mobile");
        }
        None if n == 11 || n == 13 => return Some("number"),
        _ => {}
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
    let masked = EMAIL.replace_all(text, |c: &regex::Captures<'_>| {
        // A three-character Chinese local part is the leftmost match; one that starts
        // with the end of a lead-in (`邮箱`, `是`, `发到`, `发给`) keeps that character.
        let m = &c[0];
        match m.chars().next() {
            Some(first @ ('箱' | '是' | '到' | '给' | '址' | '件' | '为'))
                if m.chars()
                    .nth(3)
                    .is_some_and(|c| matches!(c, '@' | '＠' | ' ')) =>
            {
                format!("{first}[email]")
            }
            _ => "[email]".to_string(),
        }
    });
    match mask_digits(&masked) {
        Some(out) => Cow::Owned(out),
        None if masked == text => Cow::Borrowed(text),
        None => Cow::Owned(masked.into_owned()),
    }
}

/// The text with its long digit runs masked, or `None` when nothing was masked.
fn mask_digits(text: &str) -> Option<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let is_digit = |i: usize| chars.get(i).is_some_and(|&(_, c)| digit_value(c).is_some());
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let plus = matches!(chars[i].1, '+' | '＋');
        let first = if plus { i + 1 } else { i };
        if !is_digit(first) {
            i += 1;
            continue;
        }
        let mut digits = Vec::new();
        let mut j = first;
        let mut end = first;
        loop {
            if let Some(&(_, c)) = chars.get(j)
                && let Some(v) = digit_value(c)
            {
                digits.push(v);
                j += 1;
                end = j;
                continue;
            }
            let mut k = j;
            while k - j < MAX_GAP && chars.get(k).is_some_and(|&(_, c)| is_separator(c)) {
                k += 1;
            }
            if k > j && is_digit(k) {
                j = k;
            } else {
                break;
            }
        }
        // An ID card's final X, possibly after one separator.
        let mut x_at = end;
        if chars.get(x_at).is_some_and(|&(_, c)| is_separator(c)) {
            x_at += 1;
        }
        let x_end = chars.get(x_at).is_some_and(|&(_, c)| is_x(c));
        let kind = classify(&digits, x_end);
        if x_end && kind == Some("id_card") && (digits.len() == 17 || digits.len() == 14) {
            end = x_at + 1;
        }
        if let Some(kind) = kind {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..byte(start)]);
            o.push('[');
            o.push_str(kind);
            o.push(']');
            copied = byte(end);
        }
        i = end.max(start + 1);
    }
    out.map(|mut o| {
        o.push_str(&text[copied..]);
        o
    })
}

/// An id or label the customer can choose (a conversation or reply id, a tier, a
/// customer id): kept as it is when [`mask_pii`] finds nothing in it, otherwise masked
/// like free text.
pub fn mask_id(id: &str) -> Cow<'_, str> {
    mask_pii(id)
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
    #[test]
    fn the_forms_customers_type() {
        let rows = [
            ("手机138.1234.5678", "手机[mobile]"),
            ("手机138_1234_5678", "手机[mobile]"),
            ("手机138/1234/5678", "手机[mobile]"),
            ("手机138\t1234\t5678", "手机[mobile]"),
            ("手机138\u{a0}1234\u{a0}5678", "手机[mobile]"),
            ("手机138\u{200b}1234\u{200b}5678", "手机[mobile]"),
            ("手机138－1234－5678", "手机[mobile]"),
            ("手机138—1234—5678", "手机[mobile]"),
            ("手机138~1234~5678", "手机[mobile]"),
            ("手机138*1234*5678", "手机[mobile]"),
            ("手机(138)1234-5678", "手机([mobile]"),
            ("手机（138） 1234 5678", "手机（[mobile]"),
            ("手机138，1234，5678", "手机[mobile]"),
            ("手机138和1234和5678", "手机[mobile]"),
            ("手机𝟏𝟑𝟖𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖", "手机[mobile]"),
            ("手机①③⑧①②③④⑤⑥⑦⑧", "手机[mobile]"),
            ("手机١٣٨١٢٣٤٥٦٧٨", "手机[mobile]"),
            ("手机一三八一二三四五六七八", "手机[mobile]"),
            ("手机幺三八 幺二三四 五六七八", "手机[mobile]"),
            ("卡号6222,0212,3456,7890,123", "卡号[bank_card]"),
            ("邮箱张三@例子.中国收不到", "邮箱[email]收不到"),
            (
                "邮箱 zhang san @ example . com 收不到",
                "邮箱 [email] 收不到",
            ),
            (
                "邮箱ｚｈａｎｇ＠ｑｑ．ｃｏｍ",
                "邮箱ｚｈａｎｇ＠ｑｑ．ｃｏｍ",
            ),
        ];
        for (input, want) in rows {
            // Full-width Latin e-mails are not recognised (see the last row): nothing
            // customer-typed there is a digit run, and NFKC would rewrite the whole text.
            assert_eq!(mask_pii(input), want, "{input:?}");
        }
    }

    #[test]
    fn ids_are_kept_unless_they_carry_personal_data() {
        assert_eq!(
            mask_id("c-mkfbpadgjchlbeoinfaaadlgcphkejbm"),
            "c-mkfbpadgjchlbeoinfaaadlgcphkejbm"
        );
        assert_eq!(mask_id("vip"), "vip");
        assert_eq!(mask_id("13812345678"), "[mobile]");
    }

    #[test]
    fn a_long_text_is_masked_in_linear_time() {
        // One long run, and many short ones: neither may be quadratic.
        let long = "1".repeat(200_000);
        assert_eq!(mask_pii(&long), "[number]");
        let short = "12 ".repeat(100_000);
        assert!(!mask_pii(&short).contains('1'));
    }

    mod generated {
        use super::super::{digit_value, mask_pii};
        use proptest::prelude::*;

        /// Ways of writing the digits 0–9.
        const CLASSES: &[[&str; 10]] = &[
            ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            ["０", "１", "２", "３", "４", "５", "６", "７", "８", "９"],
            ["𝟎", "𝟏", "𝟐", "𝟑", "𝟒", "𝟓", "𝟔", "𝟕", "𝟖", "𝟗"],
            ["𝟘", "𝟙", "𝟚", "𝟛", "𝟜", "𝟝", "𝟞", "𝟟", "𝟠", "𝟡"],
            ["⓪", "①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨"],
            ["⓿", "❶", "❷", "❸", "❹", "❺", "❻", "❼", "❽", "❾"],
            ["٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"],
            ["۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"],
            ["०", "१", "२", "३", "४", "५", "६", "७", "८", "९"],
            ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"],
            ["零", "幺", "两", "三", "四", "五", "六", "七", "八", "九"],
            ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"],
        ];
        const SEPARATORS: &[&str] = &[
            " ", ".", "_", "/", "\t", "\u{a0}", "\u{200b}", "-", "－", "—", "~", "*", ",", "，",
            "和", "、", "\u{3000}", " - ", ") ", "（", "）", "·",
        ];
        /// Context with no digit, numeral or Latin letter.
        const CONTEXT: &[&str] = &[
            "",
            "我的",
            "手机是",
            "电话：",
            "卡号",
            "身份证",
            "请回电",
            "谢谢",
            "，",
            "。",
            "联系我",
            "！",
            " ",
            "？",
            "吗",
        ];

        /// A mobile, ID-card or bank-card number as its digit values.
        fn number() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                (3u8..=9, proptest::collection::vec(0u8..=9, 9)).prop_map(|(b, rest)| [
                    vec![1, b],
                    rest
                ]
                .concat()),
                (proptest::collection::vec(0u8..=9, 17), any::<bool>())
                    .prop_map(|(d, x)| { if x { d } else { [d, vec![7]].concat() } }),
                (16usize..=19).prop_flat_map(|n| proptest::collection::vec(0u8..=9, n)),
            ]
        }

        fn written() -> impl Strategy<Value = (Vec<u8>, String)> {
            (
                number(),
                0..CLASSES.len(),
                any::<bool>(),
                proptest::collection::vec((any::<u8>(), 0..SEPARATORS.len()), 0..6),
                0..CONTEXT.len(),
                0..CONTEXT.len(),
                any::<bool>(),
            )
                .prop_map(|(digits, class, mixed, seps, before, after, plus86)| {
                    let mut s = String::from(CONTEXT[before]);
                    if plus86 && digits.len() == 11 {
                        s.push_str("+86 ");
                    }
                    for (i, d) in digits.iter().enumerate() {
                        let c = if mixed {
                            (class + i) % CLASSES.len()
                        } else {
                            class
                        };
                        s.push_str(CLASSES[c][*d as usize]);
                        if let Some((_, sep)) = seps
                            .iter()
                            .find(|(at, _)| (*at as usize % digits.len()) == i)
                            && i + 1 < digits.len()
                        {
                            s.push_str(SEPARATORS[*sep]);
                        }
                    }
                    if digits.len() == 17 {
                        s.push('X');
                    }
                    s.push_str(CONTEXT[after]);
                    (digits, s)
                })
        }

        fn email() -> impl Strategy<Value = (String, String)> {
            let ascii = "[a-z][a-z0-9._]{0,8}[a-z0-9]";
            let han = prop::sample::select(vec!["张三", "李四", "王小明", "例子", "公司"]);
            (
                prop_oneof![ascii.prop_map(|s| s), han.clone().prop_map(str::to_string)],
                prop_oneof![
                    "[a-z][a-z0-9]{1,8}".prop_map(|s| s),
                    han.prop_map(str::to_string)
                ],
                prop::sample::select(vec!["com", "cn", "com.cn", "中国", "org", "公司"]),
                any::<bool>(),
                0..CONTEXT.len(),
                0..CONTEXT.len(),
            )
                .prop_map(|(local, domain, tld, spaced, before, after)| {
                    let (at, dot) = if spaced { (" @ ", " . ") } else { ("@", ".") };
                    let tld = tld.replace('.', dot);
                    let addr = format!("{local}{at}{domain}{dot}{tld}");
                    (
                        local,
                        format!("{}{addr}{}", CONTEXT[before], CONTEXT[after]),
                    )
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn no_digit_of_a_number_survives((_, text) in written()) {
                let out = mask_pii(&text);
                let left: String = out.chars().filter(|&c| digit_value(c).is_some()).collect();
                prop_assert!(left.is_empty(), "{text:?} → {out:?}");
            }

            #[test]
            fn no_email_survives((local, text) in email()) {
                let out = mask_pii(&text);
                // The placeholder itself may spell the local part ("ai" in "[email]").
                let rest = out.replace("[email]", "");
                prop_assert!(!rest.contains('@') && !rest.contains(local.as_str()), "{text:?} → {out:?}");
            }
        }
    }
}
