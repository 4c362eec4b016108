//! The HTTP service on a loopback port, exercised with a real HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};
use wenda::Service;
use wenda::http::{HttpOptions, router, serve};

use super::common::{fixture_bot_arc, fixture_kb_path};

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn start() -> Self {
        let service = Arc::new(
            Service::builder(Arc::clone(fixture_bot_arc()))
                .reload_from_kb(fixture_kb_path().join("does-not-exist"))
                .build(),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                tx.send(listener.local_addr()?).ok();
                let options = HttpOptions {
                    max_body_bytes: 4096,
                };
                serve(listener, router(service, options), async {
                    stopped.await.ok();
                })
                .await
            })
        });
        let addr = rx.recv().expect("the server reports its address");
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            s.send(()).ok();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn post(agent: &ureq::Agent, url: &str, content_type: &str, body: &str) -> (u16, Value) {
    let mut resp = agent
        .post(url)
        .header("Content-Type", content_type)
        .send(body)
        .expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text:?}")),
    )
}

fn get(agent: &ureq::Agent, url: &str) -> (u16, Value) {
    let mut resp = agent.get(url).call().expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text:?}")),
    )
}

#[test]
fn ask_feedback_health_and_errors_over_http() {
    let server = Server::start();
    let agent = agent();
    let json_ct = "application/json";

    // A conversation: clarify, then pick by number with the returned conversation id.
    let (status, body) = post(
        &agent,
        &server.url("/ask"),
        json_ct,
        &json!({"message": "费用怎么算"}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["decision"]["type"], "clarify", "{body}");
    let conversation = body["conversation_id"]
        .as_str()
        .expect("conversation id")
        .to_string();
    let first = body["decision"]["suggestions"][0]["entry_id"].clone();
    let (status, body) = post(
        &agent,
        &server.url("/ask"),
        "application/json; charset=utf-8",
        &json!({"message": "1", "conversation_id": conversation, "channel": "sms", "customer": {"id": "u-7", "tier": "vip"}}).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["decision"]["type"], "answer");
    assert_eq!(body["decision"]["entry_id"], first);
    assert_eq!(body["context"]["kind"], "picked_suggestion");
    let reply_id = body["id"].as_str().expect("reply id").to_string();

    // Handoff with the package for the agent.
    let (_, body) = post(
        &agent,
        &server.url("/ask"),
        json_ct,
        &json!({"message": "转人工", "conversation_id": conversation, "customer": {"tier": "vip"}})
            .to_string(),
    );
    assert_eq!(body["decision"]["reason"], "asked_for_human");
    assert_eq!(body["handoff"]["priority"], "high");
    assert_eq!(
        body["handoff"]["transcript"].as_array().map(Vec::len),
        Some(3)
    );

    // The conversation can be fetched by an agent desk.
    let (status, body) = get(
        &agent,
        &server.url(&format!("/conversations/{conversation}")),
    );
    assert_eq!(status, 200);
    assert_eq!(body["transcript"].as_array().map(Vec::len), Some(3));
    let (status, _) = get(&agent, &server.url("/conversations/nope"));
    assert_eq!(status, 404);

    // Feedback.
    let (status, body) = post(
        &agent,
        &server.url("/feedback"),
        json_ct,
        &json!({"reply_id": reply_id, "helpful": true}).to_string(),
    );
    assert_eq!((status, body["recorded"].clone()), (200, json!(true)));
    let (status, body) = post(
        &agent,
        &server.url("/feedback"),
        json_ct,
        &json!({"reply_id": "", "helpful": true}).to_string(),
    );
    assert_eq!(status, 422, "{body}");

    // Health.
    let (status, body) = get(&agent, &server.url("/health"));
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["replies"], 3);

    // Clear 4xx JSON errors.
    let cases = [
        (
            "/ask",
            json_ct,
            "{\"message\": ".to_string(),
            400,
            "malformed_json",
        ),
        (
            "/ask",
            json_ct,
            json!({"msg": "hi"}).to_string(),
            422,
            "invalid_request",
        ),
        (
            "/ask",
            json_ct,
            json!({"message": "hi", "channel": "fax"}).to_string(),
            422,
            "invalid_request",
        ),
        (
            "/ask",
            "text/plain",
            json!({"message": "hi"}).to_string(),
            415,
            "unsupported_media_type",
        ),
        (
            "/ask",
            json_ct,
            json!({"message": "长".repeat(5000)}).to_string(),
            413,
            "body_too_large",
        ),
        ("/nowhere", json_ct, "{}".to_string(), 404, "not_found"),
    ];
    for (path, ct, body, want_status, want_code) in cases {
        let (status, got) = post(&agent, &server.url(path), ct, &body);
        assert_eq!(status, want_status, "{path} {got}");
        assert_eq!(got["error"]["code"], want_code, "{got}");
        assert!(
            got["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (status, got) = get(&agent, &server.url("/ask"));
    assert_eq!(
        (status, got["error"]["code"].clone()),
        (405, json!("method_not_allowed"))
    );

    // A reload whose knowledge base cannot be read is refused; the old bot keeps serving.
    let (status, got) = post(&agent, &server.url("/reload"), json_ct, "");
    assert!(status >= 400, "{got}");
    let (_, body) = post(
        &agent,
        &server.url("/ask"),
        json_ct,
        &json!({"message": "怎么交话费"}).to_string(),
    );
    assert_eq!(body["decision"]["entry_id"], "bill-pay");
}

#[test]
fn categories_and_search_over_http() {
    let server = Server::start();
    let agent = agent();
    let (status, body) = get(&agent, &server.url("/categories"));
    assert_eq!(status, 200);
    let paths: Vec<&str> = body["categories"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert!(paths.contains(&"账单与缴费"), "{paths:?}");

    let url = server.url("/categories/%E8%B4%A6%E5%8D%95%E4%B8%8E%E7%BC%B4%E8%B4%B9");
    let (status, body) = get(&agent, &url);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["path"], "账单与缴费");
    assert_eq!(body["entries"].as_array().map(Vec::len), Some(6));
    let (status, body) = get(&agent, &server.url("/categories/nothing"));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    let (status, body) = get(&agent, &server.url("/search?q=%E5%8F%91%E7%A5%A8"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["hits"][0]["entry_id"], "invoice-electronic", "{body}");
    let (status, body) = get(&agent, &server.url("/search?q="));
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_request"))
    );
}
