//! Replicas sharing conversations through a real `redis-server` on a loopback port, and
//! several knowledge bases in one service.
//!
//! The Redis tests start `redis-server` themselves (a free port, a temporary directory,
//! an append-only file synced at every write so that a killed server comes back with its
//! data). Where `redis-server` is not installed they print why and pass; `.ci/run`
//! installs it, so CI always runs them.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wenda::Service;
use wenda::conversation::RedisStore;
use wenda::http::{ApiKeys, HttpOptions, router, router_with_kbs};

use super::common::{fixture_bot_arc, fixture_kb_path, sample_bot_arc};
use super::http::{ADMIN_KEY, ASK_KEY, OTHER_KEY, Server, agent, get_with, post_with};

/// A `redis-server` of the test's own.
struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    /// Starts one, or says why not and gives `None` when `redis-server` is not installed.
    fn start(test: &str) -> Option<Redis> {
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        if !found {
            eprintln!(
                "SKIPPED {test}: redis-server is not installed (apt-get install redis-server; \
                 .ci/run installs it)"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        let mut redis = Redis {
            child: None,
            port,
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        redis.run();
        Some(redis)
    }

    /// Runs the server (again) on its port and waits until it answers PING.
    fn run(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path())
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args(["--protected-mode", "yes", "--daemonize", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let client = redis::Client::open(self.url()).expect("a Redis URL");
        for _ in 0..500 {
            if let Ok(mut c) = client.get_connection_with_timeout(Duration::from_millis(200))
                && redis::cmd("PING").query::<String>(&mut c).is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not answer PING", self.port);
    }

    /// Kills the server (SIGKILL: it goes away as in a crash).
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A store on this server, with the knowledge base's key prefix.
    fn store(&self, prefix: &str) -> Arc<RedisStore> {
        Arc::new(
            RedisStore::open(&self.url(), Duration::from_secs(600))
                .expect("a Redis URL")
                .with_prefix(prefix)
                .with_timeout(Duration::from_millis(500)),
        )
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A replica: a service over the fixture bot with its conversations in `redis`.
fn replica(redis: &Redis) -> Arc<Service> {
    Arc::new(
        Service::builder(Arc::clone(fixture_bot_arc()))
            .store(redis.store("wenda:test:conv:"))
            .build(),
    )
}

fn keys() -> ApiKeys {
    ApiKeys::parse(&format!(
        "ask:web:{ASK_KEY}\nask:app:{OTHER_KEY}\nadmin:ops:{ADMIN_KEY}"
    ))
    .expect("keys parse")
}

fn options() -> HttpOptions {
    HttpOptions {
        keys: keys(),
        rate_limit: None,
        ..HttpOptions::default()
    }
}

fn ask(server: &Server, path: &str, body: &Value, key: &str) -> (u16, Value) {
    post_with(
        &agent(),
        &server.url(path),
        "application/json",
        &body.to_string(),
        Some(key),
    )
}

#[test]
fn a_conversation_started_on_one_replica_continues_on_the_other() {
    let Some(redis) = Redis::start("a_conversation_started_on_one_replica_continues_on_the_other")
    else {
        return;
    };
    let one = Server::with_router(router(replica(&redis), options()));
    let two = Server::with_router(router(replica(&redis), options()));

    // A clarify on replica 1 ...
    let (status, first) = ask(
        &one,
        "/ask",
        &json!({"message": "费用怎么算", "customer": {"id": "u-7"}}),
        ASK_KEY,
    );
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["decision"]["type"], "clarify", "{first}");
    let id = first["conversation_id"].clone();
    let second_suggestion = first["decision"]["suggestions"][1]["entry_id"].clone();
    assert!(second_suggestion.is_string(), "{first}");

    // ... another key may not continue it on replica 2 ...
    let (status, refused) = ask(
        &two,
        "/ask",
        &json!({"message": "2", "conversation_id": id}),
        OTHER_KEY,
    );
    assert_eq!(status, 404, "{refused}");
    assert_eq!(
        refused["error"]["code"], "unknown_conversation",
        "{refused}"
    );

    // ... its own key picks "2" on replica 2, which knows the open suggestions.
    let (status, picked) = ask(
        &two,
        "/ask",
        &json!({"message": "2", "conversation_id": id}),
        ASK_KEY,
    );
    assert_eq!(status, 200, "{picked}");
    assert_eq!(picked["decision"]["type"], "answer", "{picked}");
    assert_eq!(
        picked["decision"]["entry_id"], second_suggestion,
        "{picked}"
    );
    assert_eq!(picked["context"]["kind"], "picked_suggestion", "{picked}");

    // Replica 1 sees both turns and the customer sent on the first.
    let path = format!("/conversations/{}", id.as_str().unwrap_or_default());
    let (status, state) = get_with(&agent(), &one.url(&path), Some(ADMIN_KEY));
    assert_eq!(status, 200, "{state}");
    assert_eq!(
        state["transcript"].as_array().map(Vec::len),
        Some(2),
        "{state}"
    );
    assert_eq!(state["customer"]["id"], "u-7", "{state}");
}

#[test]
fn two_replicas_answering_one_conversation_at_once_lose_no_turn() {
    let Some(redis) = Redis::start("two_replicas_answering_one_conversation_at_once_lose_no_turn")
    else {
        return;
    };
    let replicas = [replica(&redis), replica(&redis)];
    let turns = 20;
    std::thread::scope(|s| {
        for i in 0..turns {
            let service = Arc::clone(&replicas[i % 2]);
            s.spawn(move || {
                service
                    .try_ask(
                        Some("c-shared"),
                        &format!("话费{i}怎么查"),
                        &Default::default(),
                    )
                    .expect("answered")
            });
        }
    });
    let state = replicas[0]
        .conversation("c-shared")
        .expect("Redis answers")
        .expect("the conversation is held");
    assert_eq!(state.transcript().len(), turns);
    for i in 0..turns {
        let message = format!("话费{i}怎么查");
        assert!(
            state.transcript().iter().any(|t| t.customer == message),
            "turn {i} lost"
        );
    }
    // Both replicas answered, and the other replica reads the same state.
    assert_eq!(
        replicas[0].status().replies + replicas[1].status().replies,
        turns as u64
    );
    assert_eq!(
        replicas[1].conversation("c-shared").ok().flatten(),
        Some(state)
    );
}

#[test]
fn redis_going_away_is_a_clear_error_and_the_service_recovers() {
    let Some(mut redis) =
        Redis::start("redis_going_away_is_a_clear_error_and_the_service_recovers")
    else {
        return;
    };
    let server = Server::with_router(router(replica(&redis), options()));
    let (status, first) = ask(&server, "/ask", &json!({"message": "费用怎么算"}), ASK_KEY);
    assert_eq!(status, 200, "{first}");
    let id = first["conversation_id"].clone();

    redis.kill();
    for body in [
        json!({"message": "2", "conversation_id": id}),
        json!({"message": "怎么交话费"}),
    ] {
        let (status, error) = ask(&server, "/ask", &body, ASK_KEY);
        assert_eq!(status, 503, "{error}");
        assert_eq!(error["error"]["code"], "store_unavailable", "{error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("Redis at redis://127.0.0.1:"), "{message}");
        assert!(message.contains("send it again"), "{message}");
    }
    let (status, health) = get_with(&agent(), &server.url("/health"), None);
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["error"]["code"], "store_unavailable", "{health}");

    // Back: healthy again, and the conversation goes on where it was (the refused "2"
    // was not saved, so the clarify is still open).
    redis.run();
    let (status, health) = get_with(&agent(), &server.url("/health"), None);
    assert_eq!(status, 200, "{health}");
    let (status, picked) = ask(
        &server,
        "/ask",
        &json!({"message": "2", "conversation_id": id}),
        ASK_KEY,
    );
    assert_eq!(status, 200, "{picked}");
    assert_eq!(picked["context"]["kind"], "picked_suggestion", "{picked}");
    let (_, stats) = get_with(&agent(), &server.url("/stats"), Some(ADMIN_KEY));
    assert!(
        stats["store_failures"].as_u64().unwrap_or(0) >= 2,
        "{stats}"
    );
}

#[test]
fn several_knowledge_bases_each_with_its_own_conversations_and_reload() {
    let telecom = Arc::new(
        Service::builder(Arc::clone(fixture_bot_arc()))
            .reload_from_kb(fixture_kb_path())
            .build(),
    );
    let insurance = Arc::new(Service::builder(Arc::clone(sample_bot_arc())).build());
    let app = router_with_kbs(
        vec![
            ("telecom".into(), Arc::clone(&telecom)),
            ("insurance".into(), Arc::clone(&insurance)),
        ],
        options(),
    )
    .expect("two named knowledge bases");
    let server = Server::with_router(app);

    // Each answers from its own knowledge base; /ask is the first one's.
    let question = json!({"message": "车险怎么报案"});
    let (status, on_insurance) = ask(&server, "/kbs/insurance/ask", &question, ASK_KEY);
    assert_eq!(status, 200, "{on_insurance}");
    assert_eq!(on_insurance["decision"]["type"], "answer", "{on_insurance}");
    let (status, on_default) = ask(&server, "/ask", &json!({"message": "费用怎么算"}), ASK_KEY);
    assert_eq!(status, 200, "{on_default}");
    let (_, on_telecom) = ask(
        &server,
        "/kbs/telecom/ask",
        &json!({"message": "费用怎么算"}),
        ASK_KEY,
    );
    assert_eq!(on_default["decision"], on_telecom["decision"]);
    assert_eq!(telecom.status().replies, 2);
    assert_eq!(insurance.status().replies, 1);

    // A conversation belongs to its knowledge base.
    let id = on_default["conversation_id"].clone();
    let (status, elsewhere) = ask(
        &server,
        "/kbs/insurance/ask",
        &json!({"message": "1", "conversation_id": id}),
        ASK_KEY,
    );
    assert_eq!(status, 404, "{elsewhere}");
    let (status, picked) = ask(
        &server,
        "/kbs/telecom/ask",
        &json!({"message": "1", "conversation_id": id}),
        ASK_KEY,
    );
    assert_eq!(status, 200, "{picked}");
    assert_eq!(picked["context"]["kind"], "picked_suggestion", "{picked}");

    // Feedback goes to the knowledge base that gave the reply.
    let feedback = json!({"reply_id": on_insurance["id"], "helpful": true});
    let (status, body) = ask(&server, "/kbs/telecom/feedback", &feedback, ASK_KEY);
    assert_eq!(status, 404, "{body}");
    let (status, body) = ask(&server, "/kbs/insurance/feedback", &feedback, ASK_KEY);
    assert_eq!(status, 200, "{body}");

    // Each reloads on its own: telecom has a reload source, insurance has none.
    let (status, report) = ask(&server, "/kbs/telecom/reload", &json!({}), ADMIN_KEY);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["generation"], 2, "{report}");
    assert_eq!(insurance.status().generation, 1);
    let (status, refused) = ask(&server, "/kbs/insurance/reload", &json!({}), ADMIN_KEY);
    assert_eq!(status, 409, "{refused}");
    let (status, _) = ask(&server, "/kbs/telecom/reload", &json!({}), ASK_KEY);
    assert_eq!(status, 403);

    // Health per knowledge base, the list, and unknown names.
    let (status, health) = get_with(
        &agent(),
        &server.url("/kbs/insurance/health"),
        Some(ADMIN_KEY),
    );
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["replies"], 1, "{health}");
    let (status, list) = get_with(&agent(), &server.url("/kbs"), Some(ASK_KEY));
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["kbs"][0]["name"], "telecom", "{list}");
    assert_eq!(list["kbs"][0]["default"], true, "{list}");
    assert_eq!(list["kbs"][1]["generation"], 1, "{list}");
    for (path, get) in [
        ("/kbs/bank/ask", false),
        ("/kbs/bank/health", true),
        ("/kbs/bank/reload", false),
    ] {
        let (status, body) = if get {
            get_with(&agent(), &server.url(path), Some(ADMIN_KEY))
        } else {
            ask(&server, path, &json!({"message": "hi"}), ADMIN_KEY)
        };
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "unknown_kb", "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("telecom, insurance"),
            "{body}"
        );
    }

    // Names are checked.
    let service = || Arc::clone(&telecom);
    for bad in [
        vec![],
        vec![("a".to_string(), service()), ("a".to_string(), service())],
        vec![("a/b".to_string(), service())],
    ] {
        assert!(router_with_kbs(bad, HttpOptions::default()).is_err());
    }
}
