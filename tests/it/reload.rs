//! Hot reload while questions are being asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use wenda::{Bot, Customer, Error, HandoffReason, KnowledgeBase, Service};

use super::common::{GOOD_TOML, kb_dir};

const EXTRA: &str = r#"
[[faq]]
id = "invoice"
question = "怎么开发票？"
similar = ["发票在哪里开", "我要开电子发票", "开票流程"]
answer = "在App的保单详情页申请电子发票。"
"#;

#[test]
fn reload_while_four_threads_ask_fails_no_request() {
    let dir = kb_dir(&[("faq.toml", GOOD_TOML)]);
    let bot = Bot::build(KnowledgeBase::load(dir.path()).expect("loads")).expect("builds");
    let service = Arc::new(Service::builder(bot).reload_from_kb(dir.path()).build());
    let stop = Arc::new(AtomicBool::new(false));
    let asked = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (service, stop, asked) =
                (Arc::clone(&service), Arc::clone(&stop), Arc::clone(&asked));
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) || n < 20 {
                    let conversation = format!("t{t}-{}", n % 3);
                    let r = service.ask(
                        Some(&conversation),
                        "我不想保了怎么退",
                        &Customer::default(),
                    );
                    if r.answer_id() != Some("refund")
                        || r.handoff_reason() == Some(HandoffReason::InternalError)
                    {
                        failures.push(format!("{:?}", r.decision));
                    }
                    n += 1;
                    asked.fetch_add(1, Ordering::Relaxed);
                }
                failures
            })
        })
        .collect();

    // A valid change: rebuilt and swapped in.
    std::fs::write(dir.path().join("faq.toml"), format!("{GOOD_TOML}{EXTRA}")).expect("write");
    let report = service.reload().expect("valid knowledge reloads");
    assert_eq!(report.generation, 2);
    assert_eq!(report.entries, 3);
    assert_eq!(
        service
            .ask(None, "发票在哪里开", &Customer::default())
            .answer_id(),
        Some("invoice")
    );

    // A broken change: refused, the previous bot keeps serving.
    std::fs::write(
        dir.path().join("faq.toml"),
        format!("{GOOD_TOML}{EXTRA}\n[[faq]]\nid = \"refund\"\n"),
    )
    .expect("write");
    match service.reload() {
        Err(Error::Knowledge(problems)) => assert!(problems.has_errors()),
        other => panic!("expected knowledge errors, got {other:?}"),
    }
    assert_eq!(service.status().generation, 2);
    assert_eq!(service.status().entries, 3);
    assert_eq!(
        service
            .ask(None, "发票在哪里开", &Customer::default())
            .answer_id(),
        Some("invoice")
    );

    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let failures = h.join().expect("asking thread did not panic");
        assert!(failures.is_empty(), "{failures:?}");
    }
    assert!(asked.load(Ordering::Relaxed) >= 80);
}

#[test]
fn feedback_and_replies_are_logged_masked_and_a_broken_log_fails_nothing() {
    let dir = kb_dir(&[("faq.toml", GOOD_TOML)]);
    let bot = Bot::build(KnowledgeBase::load(dir.path()).expect("loads")).expect("builds");
    let log = Arc::new(wenda::querylog::MemoryLog::default());
    let service = Service::builder(bot).log(log.clone()).build();
    let customer = Customer {
        id: Some("13912345678".into()),
        ..Customer::default()
    };
    let r = service.ask(Some("c1"), "我手机13812345678不想保了怎么退", &customer);
    service
        .feedback(&r.id, false, Some("打我电话 138 1234 5678"))
        .expect("recorded");
    assert!(service.feedback("not a reply id!", true, None).is_err());
    let lines: Vec<String> = log
        .events()
        .iter()
        .map(|e| serde_json::to_string(e).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    for l in &lines {
        assert!(
            !l.contains("1381234") && !l.contains("13912345678") && !l.contains("138 1234"),
            "{l}"
        );
    }
    assert!(lines[0].contains("[mobile]") && lines[0].contains(&r.id));
    assert!(lines[1].contains("\"helpful\":false"));

    // A log that cannot be written: answers go on, the failure is counted.
    let log_dir = tempfile::tempdir().expect("temp dir");
    let path = log_dir.path().join("log.jsonl");
    let file_log = Arc::new(wenda::querylog::JsonlLog::open(&path).expect("opens"));
    let bot = Bot::build(KnowledgeBase::load(dir.path()).expect("loads")).expect("builds");
    let service = Service::builder(bot).log(file_log).build();
    assert_eq!(
        service
            .ask(None, "怎么退保", &Customer::default())
            .answer_id(),
        Some("refund")
    );
    assert_eq!(
        std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .count(),
        1
    );
    struct Full;
    impl wenda::querylog::QueryLog for Full {
        fn append(&self, _: &wenda::querylog::LogEvent) -> std::io::Result<()> {
            Err(std::io::Error::other("No space left on device"))
        }
    }
    let bot = Bot::build(KnowledgeBase::load(dir.path()).expect("loads")).expect("builds");
    let service = Service::builder(bot).log(Arc::new(Full)).build();
    assert_eq!(
        service
            .ask(None, "怎么退保", &Customer::default())
            .answer_id(),
        Some("refund")
    );
    assert_eq!(service.status().log_failures, 1);
}

#[test]
fn a_reload_that_hangs_fails_at_its_time_limit_and_frees_the_lock() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let hold = std::sync::Mutex::new(hold);
    let counted = Arc::clone(&calls);
    let service = Service::builder(Arc::clone(super::common::fixture_bot_arc()))
        .reload_with(move || {
            if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                // The first reload hangs (a stuck disk) until the test lets it go.
                let _ = hold.lock().map(|h| h.recv());
            }
            Err(Error::Config("the second reload ran".into()))
        })
        .reload_timeout(std::time::Duration::from_secs(1))
        .build();
    let e = service.reload().expect_err("the hung reload fails");
    assert!(e.to_string().contains("did not finish"), "{e}");
    assert_eq!(service.status().generation, 1, "the old bot keeps serving");
    // The lock is free: the next reload runs its source instead of being refused as busy.
    let e = service.reload().expect_err("the source fails");
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    drop(release);
}
