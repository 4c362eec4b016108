//! `wenda eval` and `wenda calibrate`, run as a curator would, and the saved-model options.

use wenda::eval::{LabelledQuery, evaluate};
use wenda::rank::{ConfidenceModel, ModelOrigin};
use wenda::{Bot, KnowledgeBase};

use super::common::{
    GOOD_TOML, fixture_bot, fixture_kb_path, kb_dir, sample_kb_path, succeed, wenda,
};

/// Every fifth line of the sample KB's query file: 28 queries, 5 of them out of the KB.
fn small_query_file(dir: &std::path::Path) -> std::path::PathBuf {
    let all = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-queries.jsonl"),
    )
    .unwrap();
    let some: String = all.lines().step_by(5).map(|l| format!("{l}\n")).collect();
    let path = dir.join("queries.jsonl");
    std::fs::write(&path, some).unwrap();
    path
}

fn unit(v: &serde_json::Value) -> f64 {
    let x = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((0.0..=1.0).contains(&x), "{x} is not in [0, 1]");
    x
}

#[test]
fn eval_json_on_the_sample_kb() {
    let dir = tempfile::tempdir().unwrap();
    let queries = small_query_file(dir.path());
    let details = dir.path().join("details.jsonl");
    let out = succeed(
        wenda()
            .args(["eval", "--json", "--kb"])
            .arg(sample_kb_path())
            .arg("--queries")
            .arg(&queries)
            .arg("--details")
            .arg(&details),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["queries"]["total"], 28);
    assert_eq!(v["queries"]["in_kb"], 23);
    assert_eq!(v["queries"]["out_of_kb"], 5);
    assert_eq!(v["knowledge"]["entries"], 112);
    assert!(
        v["queries"]["path"]
            .as_str()
            .unwrap()
            .ends_with("queries.jsonl")
    );
    // The sample KB ships a self-calibrated model file.
    assert_eq!(v["model"]["origin"]["kind"], "self_calibrated");
    assert!(v["model"]["file"].as_str().unwrap().ends_with("model.json"));
    assert!(
        v["model"]["description"]
            .as_str()
            .unwrap()
            .contains("self-calibrated")
    );
    let top1 = unit(&v["ranking"]["top1"]);
    let mrr = unit(&v["ranking"]["mrr_at_10"]);
    let r5 = unit(&v["ranking"]["recall_at_5"]);
    assert!(top1 <= mrr && mrr <= r5.max(mrr), "{v}");
    assert!(
        top1 > 0.5,
        "the sample KB answers most of its own queries: {v}"
    );
    assert!(unit(&v["confidence"]["auroc"]) > 0.5, "{v}");
    assert!(unit(&v["confidence"]["ece"]) < 0.5, "{v}");
    assert_eq!(v["confidence"]["ece_bins"], 10);
    let d = &v["decisions"];
    let total: u64 = ["answer", "clarify", "handoff"]
        .iter()
        .map(|k| d[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 28);
    if d["answer"].as_u64().unwrap() > 0 {
        unit(&v["answer_precision"]);
    }
    let a = &v["automation"];
    assert_eq!(a["target_precision"], 0.9);
    unit(&a["rate"]);
    if !a["threshold"].is_null() {
        unit(&a["threshold"]);
        assert!(unit(&a["precision"]) >= 0.9);
        assert!(a["answered"].as_u64().unwrap() > 0);
    }
    unit(&v["thresholds"]["answer"]);
    // Every in-KB miss is sorted into exactly one kind.
    let scored = unit(&v["ranking"]["scored_recall"]);
    assert!(scored >= r5, "{v}");
    let m = &v["misses"];
    let count = |k: &str| m[k].as_u64().unwrap_or_else(|| panic!("misses.{k}: {v}"));
    assert_eq!(
        count("total"),
        count("not_scored") + count("worded_closer_elsewhere") + count("ranked_lower")
    );
    assert_eq!(
        count("total"),
        23 - (top1 * 23.0).round() as u64,
        "a miss is an in-KB query whose top candidate is another entry: {v}"
    );
    assert_eq!(
        count("not_scored"),
        23 - (scored * 23.0).round() as u64,
        "{v}"
    );
    assert!(v["latency_us"]["p50"].as_u64().unwrap() <= v["latency_us"]["p99"].as_u64().unwrap());

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&details)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 28);
    assert_eq!(lines[0]["line"], 1);
    for l in &lines {
        let missed = !l["expected"].is_null() && l["top_right"] == false;
        assert_eq!(l.get("miss").is_some(), missed, "{l}");
    }
    assert_eq!(
        lines.iter().filter(|l| l.get("miss").is_some()).count() as u64,
        count("total")
    );
    assert!(
        lines
            .iter()
            .all(|l| l["candidates"].as_array().unwrap().len() <= 10)
    );
    assert!(
        lines
            .iter()
            .any(|l| l["candidates"].as_array().unwrap().len() > 5),
        "MRR@10 needs more than a reply's 5 candidates"
    );

    // The human-readable form names the same figures.
    let out = wenda()
        .args(["eval", "--kb"])
        .arg(sample_kb_path())
        .arg("--queries")
        .arg(&queries)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for label in [
        "top-1",
        "MRR@10",
        "expected entry scored",
        "misses",
        "AUROC",
        "ECE",
        "automation @90%",
        "read from",
    ] {
        assert!(text.contains(label), "{label} missing from\n{text}");
    }
}

#[test]
fn eval_reports_bad_query_files() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"query\": \"怎么退保\", \"expected\": \"refund\"}\nnot json\n{\"query\": \"x\"}\n",
    )
    .unwrap();
    let kb = kb_dir(&[("a.toml", GOOD_TOML)]);
    let out = wenda()
        .args(["eval", "--kb"])
        .arg(kb.path())
        .arg("--queries")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl:2") && err.contains("bad.jsonl:3"),
        "{err}"
    );

    // A missing file names the option it was given to.
    let out = wenda()
        .args(["eval", "--kb"])
        .arg(kb.path())
        .arg("--queries")
        .arg(dir.path().join("nope.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope.jsonl does not exist (--queries"),
        "{err}"
    );

    // An id the knowledge base does not have.
    std::fs::write(
        &bad,
        "{\"query\": \"怎么退保\", \"expected\": \"refnud\"}\n",
    )
    .unwrap();
    let out = wenda()
        .args(["eval", "--kb"])
        .arg(kb.path())
        .arg("--queries")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"refnud\" is not in the knowledge base"),
        "{err}"
    );
}

#[test]
fn calibrate_on_queries_then_eval_refuses_the_same_queries() {
    let kb = kb_dir(&[("a.toml", GOOD_TOML)]);
    let dir = tempfile::tempdir().unwrap();
    let queries = dir.path().join("q.jsonl");
    std::fs::write(
        &queries,
        "{\"query\": \"我想退保\", \"expected\": \"refund\"}\n{\"query\": \"撞车了找谁\", \"expected\": \"report\"}\n{\"query\": \"股票怎么买\", \"expected\": null}\n",
    )
    .unwrap();
    let model = dir.path().join("model.json");
    succeed(
        wenda()
            .args(["calibrate", "--kb"])
            .arg(kb.path())
            .arg("--queries")
            .arg(&queries)
            .arg("--out")
            .arg(&model),
    );
    let m = ConfidenceModel::load(&model).unwrap();
    assert!(matches!(
        m.origin,
        ModelOrigin::Queries {
            in_kb: 2,
            out_of_kb: 1,
            ..
        }
    ));
    let out = wenda()
        .args(["eval", "--kb"])
        .arg(kb.path())
        .arg("--queries")
        .arg(&queries)
        .arg("--model")
        .arg(&model)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fitted on these very queries"), "{err}");
    // The library says so with its own error, naming the file the model was fitted on.
    let bot = Bot::builder(KnowledgeBase::load(kb.path()).unwrap())
        .model(m.clone())
        .build()
        .unwrap();
    let labelled = wenda::eval::read_queries(&queries).unwrap();
    match evaluate(&bot, &labelled, &|_, _| {}) {
        Err(wenda::Error::EvaluatedOnFittingQueries { file }) => {
            assert!(file.ends_with("q.jsonl"), "{file}")
        }
        other => panic!("expected EvaluatedOnFittingQueries, got {:?}", other.err()),
    }

    // Other queries are fine, and the report says where the model came from.
    let other = dir.path().join("other.jsonl");
    std::fs::write(
        &other,
        "{\"query\": \"退保去哪办\", \"expected\": \"refund\"}\n",
    )
    .unwrap();
    let out = succeed(
        wenda()
            .args(["eval", "--json", "--kb"])
            .arg(kb.path())
            .arg("--queries")
            .arg(&other)
            .arg("--model")
            .arg(&model),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["model"]["origin"]["kind"], "queries");
    assert!(v["model"]["file"].as_str().unwrap().ends_with("model.json"));
}

#[test]
fn a_saved_model_named_in_wenda_toml_is_used_and_checked() {
    // Too few similar questions to self-calibrate: `calibrate` without queries says so.
    let kb = kb_dir(&[("a.toml", GOOD_TOML)]);
    let out = wenda()
        .args(["calibrate", "--kb"])
        .arg(kb.path())
        .arg("--out")
        .arg(kb.path().join("model.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("too few similar questions"));

    // A model file named in wenda.toml is loaded with the knowledge base and used.
    let mut model = ConfidenceModel::builtin();
    model.calibrator[0] = 0.123;
    model.knowledge = Some("0000000000000000".into());
    model.save(kb.path().join("model.json")).unwrap();
    std::fs::write(
        kb.path().join("wenda.toml"),
        "[calibration]\nmodel = \"model.json\"\n",
    )
    .unwrap();
    let loaded = KnowledgeBase::load(kb.path()).unwrap();
    assert_eq!(loaded.model(), Some(&model));
    assert!(
        loaded
            .warnings()
            .iter()
            .any(|w| w.message.contains("refit it with `wenda calibrate`")),
        "a model fitted on another version of the KB is stale: {:?}",
        loaded.warnings()
    );
    let bot = Bot::build(loaded).unwrap();
    assert_eq!(bot.model(), &model);

    // Missing or broken files are knowledge errors naming wenda.toml and the fix; read
    // alone, a broken file is a BadModel naming the file.
    std::fs::write(kb.path().join("model.json"), "{\"format\": 1}").unwrap();
    match ConfidenceModel::load(kb.path().join("model.json")) {
        Err(e @ wenda::Error::BadModel { .. }) => {
            let shown = e.to_string();
            assert!(
                shown.contains("model.json is not a wenda confidence model"),
                "{shown}"
            );
        }
        other => panic!("expected BadModel, got {other:?}"),
    }
    let mut wrong = ConfidenceModel::builtin();
    wrong.ranker.pop();
    match ConfidenceModel::from_json(&wrong.to_json(), "old.json") {
        Err(wenda::Error::BadModel { file, reason }) => {
            assert_eq!(file.as_deref(), Some("old.json"));
            assert!(
                reason.contains("fit it again with `wenda calibrate`"),
                "{reason}"
            );
        }
        other => panic!("expected BadModel, got {other:?}"),
    }
    match Bot::builder(KnowledgeBase::load_without_model(kb.path()).unwrap())
        .model(wrong)
        .build()
    {
        Err(e @ wenda::Error::BadModel { file: None, .. }) => {
            assert!(e.to_string().contains("do not fit this version"), "{e}")
        }
        other => panic!("expected BadModel, got {:?}", other.err()),
    }
    let err = KnowledgeBase::load(kb.path()).unwrap_err().to_string();
    assert!(
        err.contains("wenda.toml") && err.contains("not a wenda confidence model"),
        "{err}"
    );
    std::fs::remove_file(kb.path().join("model.json")).unwrap();
    let out = wenda()
        .args(["check", "--kb"])
        .arg(kb.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wenda.toml:2") && err.contains("does not exist"),
        "{err}"
    );
}

/// Two kinds of miss made on purpose (worded closer elsewhere, not scored), none ranked
/// lower, and a hit that is no miss.
#[test]
fn misses_say_why_the_expected_entry_lost() {
    use wenda::eval::Miss;
    use wenda::{Config, Entry};
    let kb = KnowledgeBase::from_entries(vec![
        Entry::new("surrender-how", "怎么退保", "在App里申请退保。"),
        Entry::new("surrender-time", "退保需要几天到账", "三个工作日内到账。"),
        Entry::new("invoice", "怎么开发票", "在保单详情里申请电子发票。"),
        Entry::new("address", "怎么修改通讯地址", "在个人资料里修改。"),
    ])
    .unwrap();
    let mut config = Config::default();
    config.retrieval.max_entries = 2;
    let bot = Bot::builder(kb.with_config(config).unwrap())
        .build()
        .unwrap();
    let queries = [
        // Labelled with the first entry, worded like the second: only meaning could tell.
        LabelledQuery::new("退保需要几天到账呀", Some("surrender-how")),
        // Shares nothing with the expected entry, and two others are scored first.
        LabelledQuery::new("退保几天到账发票", Some("address")),
        LabelledQuery::new("怎么退保", Some("surrender-how")),
    ];
    let (report, details) = evaluate(&bot, &queries, &|_, _| {}).unwrap();
    assert_eq!(
        details[0].miss,
        Some(Miss::WordedCloserElsewhere),
        "{details:?}"
    );
    assert_eq!(details[1].miss, Some(Miss::NotScored), "{details:?}");
    assert_eq!(details[2].miss, None);
    let m = report.misses;
    assert_eq!(
        (m.total, m.not_scored, m.worded_closer_elsewhere),
        (2, 1, 1)
    );
    assert_eq!(m.ranked_lower, 0);
    assert!(
        (report.ranking.scored_recall - 2.0 / 3.0).abs() < 1e-9,
        "{report:?}"
    );
    // The candidates `Miss::of` weighs: a reply's.
    let reply = bot.ask_with(
        "退保需要几天到账呀",
        wenda::AskOptions {
            max_candidates: Some(2),
            ..Default::default()
        },
    );
    assert_eq!(
        Miss::of(&reply.candidates, "surrender-how"),
        Some(Miss::WordedCloserElsewhere)
    );
    assert_eq!(Miss::of(&reply.candidates, "surrender-time"), None);
    assert_eq!(Miss::of(&[], "surrender-time"), Some(Miss::NotScored));
}

#[test]
fn evaluate_through_the_library() {
    let bot = fixture_bot();
    let queries = [
        LabelledQuery::new("我的手机卡丢了去哪补", Some("sim-lost")),
        LabelledQuery::new("今天天气怎么样", None),
    ];
    let (report, details) = evaluate(bot, &queries, &|_, _| {}).unwrap();
    assert_eq!(report.ranking.top1, 1.0);
    assert_eq!(report.confidence.auroc, Some(1.0));
    assert_eq!(details[0].rank, Some(0));
    assert_eq!(details[1].rank, None);
    // A model fitted on these queries is refused for them.
    let fitted = bot.fit_model(&queries, "two.jsonl", &|_, _| {}).unwrap();
    let kb = KnowledgeBase::load(fixture_kb_path()).unwrap();
    let refit = Bot::builder(kb).model(fitted).build().unwrap();
    let err = evaluate(&refit, &queries, &|_, _| {}).unwrap_err();
    assert!(err.to_string().contains("two.jsonl"), "{err}");
}
