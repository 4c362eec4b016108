//! Pretrained embedders from a folder (`[embedder] kind = "bert"` / `"static"`), on tiny
//! models with random weights that the tests write themselves.

#![cfg(feature = "static")]

use std::path::{Path, PathBuf};

use wenda::embed::random_model::{self, BertShape};
use wenda::embed::{Embedder, StaticEmbedder};
use wenda::text::Analysis;
use wenda::{Bot, Error, KnowledgeBase};

fn analysis(text: &str) -> Analysis {
    Analysis {
        normalized: text.to_string(),
        terms: Vec::new(),
        search_terms: Vec::new(),
        canonical: String::new(),
    }
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The file a [`Error::BadEmbedder`] names, failing the test on any other result.
fn bad_file<T: std::fmt::Debug>(r: Result<T, Error>) -> (PathBuf, String) {
    match r {
        Err(Error::BadEmbedder { file, reason }) => (file, reason),
        other => panic!("expected a BadEmbedder error, got {other:?}"),
    }
}

/// A knowledge directory `kb/` beside the model folder `model/`, its `wenda.toml` naming
/// the model by a relative path.
fn kb_with_model(root: &Path, kind: &str, extra: &str) -> PathBuf {
    let kb = root.join("kb");
    std::fs::create_dir_all(&kb).unwrap();
    std::fs::write(
        kb.join("wenda.toml"),
        format!("[embedder]\nkind = \"{kind}\"\npath = \"../model\"\n{extra}"),
    )
    .unwrap();
    std::fs::write(kb.join("faq.toml"), FAQ).unwrap();
    kb
}

/// Entries over characters of the tiny models' vocabulary.
const FAQ: &str = r#"category = "测试"

[[faq]]
id = "you"
question = "你你"
similar = ["你们你们"]
answer = "甲"

[[faq]]
id = "country"
question = "中国大国"
similar = ["国家大"]
answer = "乙"

[[faq]]
id = "school"
question = "上学时要说"
similar = ["时要上学"]
answer = "丙"
"#;

mod static_table {
    use super::*;

    #[test]
    fn mean_of_token_rows_normalised_and_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let mut e0 = vec![0.0; 6];
        e0[0] = 3.0;
        let mut e1 = vec![0.0; 6];
        e1[1] = 4.0;
        random_model::write_static(dir.path(), 120, 6, 1, &[("我", e0), ("他", e1)]).unwrap();
        let e = StaticEmbedder::load(dir.path()).unwrap();
        assert_eq!(e.dimension(), 6);
        let v = e.embed(&analysis("我他"));
        // (3, 4) / 5 after the mean and the normalisation.
        assert!(
            (v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6,
            "{v:?}"
        );
        assert!((norm(&e.embed(&analysis("中国人"))) - 1.0).abs() < 1e-5);
        assert_eq!(e.embed(&analysis("")), vec![0.0; 6]);
        let again = StaticEmbedder::load(dir.path()).unwrap();
        assert_eq!(again.id(), e.id());
        assert_eq!(
            again.embed(&analysis("中国人")),
            e.embed(&analysis("中国人"))
        );
    }

    #[test]
    fn refuses_bad_files_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        random_model::write_static(dir.path(), 100, 4, 1, &[]).unwrap();
        let weights = dir.path().join("model.safetensors");
        let good = std::fs::read(&weights).unwrap();

        // A header that claims more bytes than the file has.
        let mut lie = good.clone();
        lie[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
        std::fs::write(&weights, &lie).unwrap();
        assert_eq!(bad_file(StaticEmbedder::load(dir.path())).0, weights);

        // Cut short.
        std::fs::write(&weights, &good[..good.len() - 7]).unwrap();
        assert_eq!(bad_file(StaticEmbedder::load(dir.path())).0, weights);

        // Integers instead of floats.
        let ints: Vec<u8> = (0..400i32).flat_map(|i| i.to_le_bytes()).collect();
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::I32, vec![100, 4], &ints)
                .unwrap();
        let bytes = safetensors::serialize([("embeddings", view)], None).unwrap();
        std::fs::write(&weights, bytes).unwrap();
        let (file, reason) = bad_file(StaticEmbedder::load(dir.path()));
        assert_eq!(file, weights);
        assert!(reason.contains("I32"), "{reason}");

        // Fewer rows than the tokenizer has tokens.
        random_model::write_safetensors(
            &weights,
            &[("embeddings".into(), vec![50, 4], vec![0.5; 200])],
        )
        .unwrap();
        let (file, reason) = bad_file(StaticEmbedder::load(dir.path()));
        assert_eq!(file, weights);
        assert!(reason.contains("50 rows"), "{reason}");

        // No tokenizer; a tokenizer that is not one.
        std::fs::write(&weights, &good).unwrap();
        let tok = dir.path().join("tokenizer.json");
        std::fs::write(&tok, "{\"model\": 3}").unwrap();
        assert_eq!(bad_file(StaticEmbedder::load(dir.path())).0, tok);
        std::fs::remove_file(&tok).unwrap();
        let (file, reason) = bad_file(StaticEmbedder::load(dir.path()));
        assert_eq!(file, tok);
        assert!(reason.contains("missing"), "{reason}");

        // Not a folder.
        let (file, _) = bad_file(StaticEmbedder::load(&weights));
        assert_eq!(file, weights);
    }

    /// Forty entries written with other characters, and one written with 你.
    fn many_entries() -> String {
        let chars: Vec<String> = random_model::vocabulary(200)
            .into_iter()
            .skip(5)
            .filter(|c| c != "他" && c != "你")
            .collect();
        let mut faq = String::from("category = \"测试\"\n");
        for (i, pair) in chars.chunks(2).take(40).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            faq.push_str(&format!(
                "\n[[faq]]\nid = \"e{i}\"\nquestion = \"{a}{b}{a}{b}\"\nsimilar = [\"{b}{a}{b}\"]\nanswer = \"{a}\"\n"
            ));
        }
        faq.push_str("\n[[faq]]\nid = \"you\"\nquestion = \"你你\"\nsimilar = [\"你你你\"]\nanswer = \"甲\"\n");
        faq
    }

    /// No entry has 他 or shares a word with 他他, so the built-in embedder cannot tell
    /// which entry it means; a table where 他 and 你 have one row finds the entry written
    /// with 你 first, by the vector channel, with the table's cosine as the candidate's
    /// `cosine` feature.
    #[test]
    fn a_models_vectors_change_the_candidates() {
        let root = tempfile::tempdir().unwrap();
        let mut same = vec![0.0; 8];
        same[0] = 1.0;
        random_model::write_static(
            &root.path().join("model"),
            200,
            8,
            3,
            &[("你", same.clone()), ("他", same)],
        )
        .unwrap();
        let kb_dir = kb_with_model(root.path(), "static", "");
        std::fs::write(kb_dir.join("faq.toml"), many_entries()).unwrap();
        let kb = KnowledgeBase::load(&kb_dir).unwrap();
        let with_model = Bot::build(kb.clone()).unwrap();
        assert!(with_model.embedder().id().starts_with("static:model:8:"));
        let builtin = Bot::build(kb.with_config(Default::default()).unwrap()).unwrap();
        assert!(!builtin.embedder().id().starts_with("static:"));

        let found = |bot: &Bot| -> Vec<(String, f64)> {
            bot.ask("他他")
                .candidates
                .iter()
                .map(|c| (c.entry_id.clone(), c.features.cosine))
                .collect()
        };
        let (model, plain) = (found(&with_model), found(&builtin));
        assert!(
            model
                .first()
                .is_some_and(|(id, cos)| id == "you" && *cos > 0.99),
            "the entry written with 你 comes first by the table's vectors: {model:?}"
        );
        assert!(
            plain.first().is_none_or(|(id, _)| id != "you"),
            "the built-in embedder cannot know 他 means 你: {plain:?}"
        );
        let ids = |c: &[(String, f64)]| c.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
        assert_ne!(ids(&model), ids(&plain));
    }
}

#[cfg(feature = "bert")]
mod bert {
    use super::*;
    use wenda::config::{EmbedderOptions, Pooling};
    use wenda::embed::BertEmbedder;

    fn tiny(dir: &Path, seed: u64, pooling: Option<&str>) {
        random_model::write_bert(dir, &BertShape::TINY, seed, pooling).unwrap();
    }

    #[test]
    fn loads_pools_as_the_folder_says_and_is_deterministic() {
        let root = tempfile::tempdir().unwrap();
        let (cls_dir, mean_dir, plain) = (
            root.path().join("cls"),
            root.path().join("mean"),
            root.path().join("plain"),
        );
        tiny(&cls_dir, 5, Some("cls"));
        tiny(&mean_dir, 5, Some("mean"));
        tiny(&plain, 5, None);
        let options = EmbedderOptions::default();
        let cls = BertEmbedder::load(&cls_dir, &options).unwrap();
        let mean = BertEmbedder::load(&mean_dir, &options).unwrap();
        assert_eq!(cls.pooling(), Pooling::Cls);
        assert_eq!(mean.pooling(), Pooling::Mean);
        // Without a pooling config: mean, as sentence-transformers does.
        assert_eq!(
            BertEmbedder::load(&plain, &options).unwrap().pooling(),
            Pooling::Mean
        );
        let forced = EmbedderOptions {
            pooling: Some(Pooling::Cls),
            ..EmbedderOptions::default()
        };
        let forced = BertEmbedder::load(&mean_dir, &forced).unwrap();
        assert_eq!(forced.pooling(), Pooling::Cls);
        assert_eq!(cls.dimension(), BertShape::TINY.hidden);

        let q = analysis("我们中国人");
        let (a, b) = (cls.embed(&q), mean.embed(&q));
        assert!((norm(&a) - 1.0).abs() < 1e-5 && (norm(&b) - 1.0).abs() < 1e-5);
        assert!(
            dot(&a, &b) < 0.999,
            "CLS and mean pooling differ: {a:?} {b:?}"
        );
        assert_eq!(
            forced.embed(&q),
            a,
            "same weights, same pooling, same vector"
        );
        assert_eq!(cls.embed(&q), a, "deterministic");
        assert_ne!(cls.id(), mean.id());

        // A batch pads its shorter questions; padding must not change their vectors.
        let texts = [analysis("我"), analysis("我们中国人大家来上学"), q.clone()];
        let refs: Vec<&Analysis> = texts.iter().collect();
        for e in [&cls, &mean] {
            let batch = e.embed_batch(&refs);
            for (t, v) in texts.iter().zip(&batch) {
                let single = e.embed(t);
                assert!(dot(v, &single) > 0.9999, "{:?}", t.normalized);
            }
        }
        assert_eq!(
            cls.embed(&analysis("  ")),
            vec![0.0; BertShape::TINY.hidden]
        );
        // Questions longer than max_tokens are cut, not refused.
        let long = analysis(&"我们".repeat(100));
        assert!((norm(&cls.embed(&long)) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn refuses_bad_folders_naming_the_file() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("m");
        tiny(&dir, 1, Some("cls"));
        let options = EmbedderOptions::default();
        let load = || BertEmbedder::load(&dir, &options);
        let weights = dir.join("model.safetensors");
        let good = std::fs::read(&weights).unwrap();

        let mut lie = good.clone();
        lie[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&weights, &lie).unwrap();
        assert_eq!(bad_file(load()).0, weights);
        std::fs::write(&weights, &good[..good.len() / 2]).unwrap();
        assert_eq!(bad_file(load()).0, weights);

        // Weights of another shape than config.json says.
        let wider = BertShape {
            hidden: 12,
            heads: 3,
            ..BertShape::TINY
        };
        random_model::write_safetensors(&weights, &random_model::bert_tensors(&wider, 1)).unwrap();
        let (file, reason) = bad_file(load());
        assert_eq!(file, weights);
        assert!(reason.contains("shape"), "{reason}");
        std::fs::write(&weights, &good).unwrap();
        assert!(load().is_ok());

        // A pooling config of another dimension.
        let pooling = dir.join("1_Pooling/config.json");
        std::fs::write(
            &pooling,
            r#"{"word_embedding_dimension": 9, "pooling_mode_cls_token": true}"#,
        )
        .unwrap();
        assert_eq!(bad_file(load()).0, pooling);
        std::fs::write(
            &pooling,
            r#"{"word_embedding_dimension": 8, "pooling_mode_max_tokens": true}"#,
        )
        .unwrap();
        assert_eq!(bad_file(load()).0, pooling);
        std::fs::remove_file(&pooling).unwrap();

        // A damaged or impossible config.json; another architecture.
        let config = dir.join("config.json");
        let good_config = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, "{\"hidden_size\": 8").unwrap();
        assert_eq!(bad_file(load()).0, config);
        std::fs::write(
            &config,
            good_config.replace("\"num_attention_heads\":2", "\"num_attention_heads\":0"),
        )
        .unwrap();
        let (file, reason) = bad_file(load());
        assert_eq!(file, config);
        assert!(reason.contains("num_attention_heads"), "{reason}");
        std::fs::write(&config, good_config.replace("\"bert\"", "\"xlm-roberta\"")).unwrap();
        assert_eq!(bad_file(load()).0, config);

        // A tokenizer with more tokens than the model's vocabulary.
        std::fs::write(&config, &good_config).unwrap();
        let vocab = random_model::vocabulary(100);
        let tok = dir.join("tokenizer.json");
        std::fs::write(&tok, random_model::tokenizer_json(&vocab, true).to_string()).unwrap();
        let (file, reason) = bad_file(load());
        assert_eq!(file, tok);
        assert!(reason.contains("vocab_size"), "{reason}");

        // Missing files.
        std::fs::remove_file(&config).unwrap();
        assert_eq!(bad_file(load()).0, config);
    }

    #[test]
    fn saved_index_records_the_model_and_refuses_another() {
        let root = tempfile::tempdir().unwrap();
        let model = root.path().join("model");
        tiny(&model, 11, Some("mean"));
        let kb_dir = kb_with_model(root.path(), "bert", "");
        let kb = KnowledgeBase::load(&kb_dir).unwrap();
        let built = Bot::build(kb.clone()).unwrap();
        let id = built.embedder().id();
        assert!(id.starts_with("bert:model:8:mean:"), "{id}");
        let index = root.path().join("index");
        let manifest = built.save(&index).unwrap();
        assert_eq!(
            (manifest.embedder.as_str(), manifest.dimension),
            (id.as_str(), 8)
        );
        assert!(!manifest.builtin_embedder);
        assert!(matches!(
            Bot::index_status(&index, &kb),
            wenda::IndexStatus::UpToDate(_)
        ));

        let opened = Bot::open(&index).unwrap();
        assert_eq!(opened.embedder().id(), id);
        for q in ["你们", "中国大", "上学", "我"] {
            let (a, b) = (built.ask(q), opened.ask(q));
            assert_eq!(
                (a.decision, a.confidence),
                (b.decision, b.confidence),
                "{q}"
            );
        }

        // Other weights in the same folder: the index is refused, then rebuilt.
        tiny(&model, 12, Some("mean"));
        match Bot::open(&index) {
            Err(Error::EmbedderMismatch { expected, got, .. }) => {
                assert_eq!(expected, id);
                assert!(got.is_some_and(|(g, d)| g != id && d == 8));
            }
            other => panic!("expected EmbedderMismatch, got {other:?}"),
        }
        let (rebuilt, origin) = Bot::builder(kb).build_or_open(&index).unwrap();
        assert!(
            matches!(origin, wenda::IndexOrigin::Built { .. }),
            "{origin:?}"
        );
        assert_ne!(rebuilt.embedder().id(), id);
        assert!(Bot::open(&index).is_ok());

        // A missing model is an error naming its file, at build and at open.
        std::fs::remove_file(model.join("model.safetensors")).unwrap();
        let kb = KnowledgeBase::load(&kb_dir).unwrap();
        assert!(bad_file(Bot::build(kb)).0.ends_with("model.safetensors"));
        assert!(bad_file(Bot::open(&index)).0.ends_with("model.safetensors"));
    }

    #[test]
    fn options_are_checked() {
        let root = tempfile::tempdir().unwrap();
        let kb = kb_with_model(root.path(), "bert", "max_tokens = 1\n");
        tiny(&root.path().join("model"), 1, None);
        let err = KnowledgeBase::load(&kb).map(Bot::build);
        let text = format!("{err:?}");
        assert!(text.contains("max_tokens"), "{text}");
        let no_path = tempfile::tempdir().unwrap();
        std::fs::write(
            no_path.path().join("wenda.toml"),
            "[embedder]\nkind = \"bert\"\n",
        )
        .unwrap();
        std::fs::write(no_path.path().join("faq.toml"), FAQ).unwrap();
        let text = format!("{:?}", KnowledgeBase::load(no_path.path()).map(Bot::build));
        assert!(text.contains("needs path"), "{text}");
    }
}
