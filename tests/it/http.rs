//! The HTTP service on a loopback port, exercised with a real HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};
use wenda::Service;
use wenda::http::{ApiKeys, ConnectionLimits, HttpOptions, RateLimit, router, serve_with};

use super::common::{fixture_bot_arc, fixture_kb_path};

pub(super) struct Server {
    pub(super) addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn start() -> Self {
        Server::start_with(HttpOptions {
            max_body_bytes: 4096,
            ..HttpOptions::default()
        })
    }

    fn start_with(options: HttpOptions) -> Self {
        Server::start_limited(options, ConnectionLimits::default())
    }

    /// A server on a loopback port with these options and connection limits.
    pub(super) fn start_limited(options: HttpOptions, limits: ConnectionLimits) -> Self {
        let service = Arc::new(
            Service::builder(Arc::clone(fixture_bot_arc()))
                .reload_from_kb(fixture_kb_path().join("does-not-exist"))
                .build(),
        );
        Server::with_router_limited(router(service, options), limits)
    }

    /// Serves `app` on a loopback port of its own.
    pub(super) fn with_router(app: axum::Router) -> Self {
        Server::with_router_limited(app, ConnectionLimits::default())
    }

    /// Serves `app` on a loopback port of its own with these connection limits.
    pub(super) fn with_router_limited(app: axum::Router, limits: ConnectionLimits) -> Self {
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
                serve_with(listener, app, limits, async {
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

    pub(super) fn url(&self, path: &str) -> String {
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

pub(super) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// `body` posted as JSON to `url`: the status and the JSON answer.
fn post_json(agent: &ureq::Agent, url: &str, body: &Value) -> (u16, Value) {
    post(agent, url, "application/json", &body.to_string())
}

fn post(agent: &ureq::Agent, url: &str, content_type: &str, body: &str) -> (u16, Value) {
    post_with(agent, url, content_type, body, None)
}

pub(super) fn post_with(
    agent: &ureq::Agent,
    url: &str,
    content_type: &str,
    body: &str,
    key: Option<&str>,
) -> (u16, Value) {
    let mut req = agent.post(url).header("Content-Type", content_type);
    if let Some(k) = key {
        req = req.header("Authorization", &format!("Bearer {k}"));
    }
    let mut resp = req.send(body).expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text:?}")),
    )
}

fn get(agent: &ureq::Agent, url: &str) -> (u16, Value) {
    get_with(agent, url, None)
}

pub(super) fn get_with(agent: &ureq::Agent, url: &str, key: Option<&str>) -> (u16, Value) {
    let mut req = agent.get(url);
    if let Some(k) = key {
        req = req.header("Authorization", &format!("Bearer {k}"));
    }
    let mut resp = req.call().expect("request sent");
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
    let (status, body) = post_json(
        &agent,
        &server.url("/ask"),
        &json!({"message": "费用怎么算"}),
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
    let (_, body) = post_json(
        &agent,
        &server.url("/ask"),
        &json!({"message": "转人工", "conversation_id": conversation, "customer": {"tier": "vip"}}),
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
    let (status, body) = post_json(
        &agent,
        &server.url("/feedback"),
        &json!({"reply_id": reply_id, "helpful": true}),
    );
    assert_eq!((status, body["recorded"].clone()), (200, json!(true)));
    let (status, body) = post_json(
        &agent,
        &server.url("/feedback"),
        &json!({"reply_id": "", "helpful": true}),
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
    let (_, body) = post_json(
        &agent,
        &server.url("/ask"),
        &json!({"message": "怎么交话费"}),
    );
    assert_eq!(body["decision"]["entry_id"], "bill-pay");
}

#[test]
fn a_conversation_keeps_its_customer_and_stays_handed_off() {
    let server = Server::start();
    let agent = agent();
    let ask = |body: Value| post_json(&agent, &server.url("/ask"), &body);
    let (status, body) = ask(json!({"message": "怎么交话费", "channel": "sms",
                                    "customer": {"id": "u-7", "tier": "vip"}}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "open");
    let id = body["conversation_id"].as_str().expect("an id").to_string();
    let sms_answer = body["decision"]["answer"].clone();
    assert_eq!(body["text"], sms_answer, "the text is the answer");

    // Left out: the customer, tier and channel of the conversation stay.
    let (_, body) = ask(json!({"message": "转人工", "conversation_id": id}));
    assert_eq!(body["decision"]["reason"], "asked_for_human", "{body}");
    assert_eq!(body["handoff"]["priority"], "high", "{body}");
    assert_eq!(body["handoff"]["customer"]["id"], "u-7");
    assert_eq!(body["handoff"]["customer"]["channel"], "sms");
    assert_eq!(body["status"], "handed_off");
    assert_eq!(body["text"], "正在为您转接人工客服，请稍候。");

    // After the handoff: rejections and picks stay with the agent; status says so.
    for message in ["不是这个", "2"] {
        let (_, body) = ask(json!({"message": message, "conversation_id": id}));
        assert_eq!(body["status"], "handed_off", "{body}");
        assert_eq!(body["decision"]["type"], "handoff", "{message}: {body}");
    }
    let (_, body) = ask(json!({"message": "怎么交话费", "conversation_id": id}));
    assert_eq!(body["decision"]["answer"], sms_answer, "still the SMS form");
    assert_eq!(body["status"], "handed_off");
}

#[test]
fn every_reply_has_the_customer_text_for_its_channel() {
    let server = Server::start();
    let agent = agent();
    let ask = |body: Value| post_json(&agent, &server.url("/ask"), &body);
    let (_, web) = ask(json!({"message": "费用怎么算"}));
    assert_eq!(web["decision"]["type"], "clarify", "{web}");
    let first = web["decision"]["suggestions"][0]["question"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let text = web["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("您是不是想问：\n1. "), "{text}");
    assert!(text.contains(&first), "{text}");
    let (_, sms) = ask(json!({"message": "费用怎么算", "channel": "sms"}));
    let text = sms["text"].as_str().unwrap_or_default();
    assert!(
        !text.contains('\n') && text.ends_with("回复序号即可。"),
        "{text}"
    );
    let (_, voice) = ask(json!({"message": "费用怎么算", "channel": "voice"}));
    let text = voice["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("您是不是想问：第一，") && text.ends_with("请说出序号。"),
        "{text}"
    );
    let (_, hello) = ask(json!({"message": "你好"}));
    assert_eq!(hello["text"], hello["decision"]["reply"], "{hello}");
}

#[test]
fn feedback_is_for_replies_given_once_each_and_extra_fields_are_ignored() {
    let server = Server::start();
    let agent = agent();
    // A field of the frontend's own is no error.
    let (status, body) = post_json(
        &agent,
        &server.url("/ask"),
        &json!({"message": "怎么交话费", "frontend_session": "s-1", "customer": {"id": "u-1", "vip_since": 2020}}),
    );
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_str().expect("a reply id").to_string();
    let feedback = |reply_id: &str| {
        post_json(
            &agent,
            &server.url("/feedback"),
            &json!({"reply_id": reply_id, "helpful": true, "widget": "thumbs"}),
        )
    };
    let (status, body) = feedback("r-000000000000-ffff");
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("not_found")),
        "{body}"
    );
    let (status, body) = feedback(&id);
    assert_eq!(status, 200, "{body}");
    let (status, body) = feedback(&id);
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (409, json!("already_recorded")),
        "{body}"
    );
}

pub(super) const ASK_KEY: &str = "ask-key-0123456789abcdef";
pub(super) const OTHER_KEY: &str = "other-key-0123456789abcdef";
pub(super) const ADMIN_KEY: &str = "admin-key-0123456789abcdef";

fn keyed(options: HttpOptions) -> Server {
    let keys = ApiKeys::parse(&format!(
        "ask:web:{ASK_KEY}\nask:app:{OTHER_KEY}\nadmin:ops:{ADMIN_KEY}"
    ))
    .expect("keys parse");
    Server::start_with(HttpOptions { keys, ..options })
}

#[test]
fn keys_and_roles_guard_every_endpoint() {
    let server = keyed(HttpOptions::default());
    let agent = agent();
    let ct = "application/json";
    let ask = json!({"message": "怎么交话费"}).to_string();
    // Missing or wrong key: 401 JSON.
    for key in [
        None,
        Some("wrong-key-0123456789abcdef"),
        Some("ask-key-0123456789abcde"),
    ] {
        let (status, body) = post_with(&agent, &server.url("/ask"), ct, &ask, key);
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (401, json!("unauthorized")),
            "{key:?}"
        );
    }
    let (status, body) = post_with(&agent, &server.url("/ask"), ct, &ask, Some(ASK_KEY));
    assert_eq!(status, 200, "{body}");
    let id = body["conversation_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        id.starts_with("c-") && id.len() == 34,
        "128 random bits: {id}"
    );
    // The ask role may not reload, read conversations or stats.
    for (method, path) in [
        ("POST", "/reload"),
        ("GET", &*format!("/conversations/{id}")),
        ("GET", "/stats"),
    ] {
        let (status, body) = if method == "POST" {
            post_with(&agent, &server.url(path), ct, "", Some(ASK_KEY))
        } else {
            get_with(&agent, &server.url(path), Some(ASK_KEY))
        };
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (403, json!("forbidden")),
            "{path}"
        );
        let (status, _) = get_with(&agent, &server.url(path), None);
        assert!(status == 401 || status == 405, "{path}: {status}");
    }
    // The admin role may.
    let (status, body) = get_with(
        &agent,
        &server.url(&format!("/conversations/{id}")),
        Some(ADMIN_KEY),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = get_with(&agent, &server.url("/stats"), Some(ADMIN_KEY));
    assert_eq!((status, body["replies"].clone()), (200, json!(1)), "{body}");
    // Health is open, but tells its counters to admins only.
    let (status, body) = get_with(&agent, &server.url("/health"), None);
    assert_eq!((status, body.clone()), (200, json!({"status": "ok"})));
}

#[test]
fn a_caller_continues_only_the_conversations_it_was_given() {
    let server = keyed(HttpOptions::default());
    let agent = agent();
    let ct = "application/json";
    let ask = |message: &str, id: Option<&str>, key: &str| {
        let mut body = json!({"message": message});
        if let Some(id) = id {
            body["conversation_id"] = json!(id);
        }
        post_with(
            &agent,
            &server.url("/ask"),
            ct,
            &body.to_string(),
            Some(key),
        )
    };
    let (_, first) = ask("费用怎么算", None, ASK_KEY);
    let id = first["conversation_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, body) = ask("1", Some(&id), ASK_KEY);
    assert_eq!(
        (status, body["decision"]["type"].clone()),
        (200, json!("answer")),
        "{body}"
    );
    // Another key, or an id the server never issued: refused.
    for (id, key) in [(id.as_str(), OTHER_KEY), ("c-guessed", ASK_KEY)] {
        let (status, body) = ask("1", Some(id), key);
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (404, json!("unknown_conversation")),
            "{id} {body}"
        );
    }
    // An admin may name its own ids, and continue others'.
    let (status, body) = ask("你好", Some("desk-42"), ADMIN_KEY);
    assert_eq!(
        (status, body["conversation_id"].clone()),
        (200, json!("desk-42")),
        "{body}"
    );
    let (status, _) = ask("你好", Some(&id), ADMIN_KEY);
    assert_eq!(status, 200);
    let (status, _) = ask("谢谢", Some(&id), ASK_KEY);
    assert_eq!(status, 200, "still the caller's");
}

#[test]
fn each_limit_has_its_own_answer() {
    let ct = "application/json";
    let agent = agent();
    let hour = std::time::Duration::from_secs(3600);
    let server = keyed(HttpOptions {
        max_message_chars: 10,
        max_conversations_per_client: 2,
        rate_limit: None,
        ..HttpOptions::default()
    });
    let ask = |message: &str, key: &str| {
        post_with(
            &agent,
            &server.url("/ask"),
            ct,
            &json!({ "message": message }).to_string(),
            Some(key),
        )
    };
    let (status, body) = ask(&"长".repeat(11), ASK_KEY);
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (422, json!("message_too_long"))
    );
    for _ in 0..2 {
        assert_eq!(ask("你好", ASK_KEY).0, 200);
    }
    let (status, body) = ask("你好", ASK_KEY);
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("too_many_conversations")),
        "{body}"
    );
    assert_eq!(ask("你好", OTHER_KEY).0, 200, "per key");
    drop(server);

    // Requests per key: a bucket of 3 that refills once an hour (no timing in the test).
    let server = keyed(HttpOptions {
        rate_limit: Some(RateLimit {
            burst: 3,
            refill: hour,
        }),
        ..HttpOptions::default()
    });
    let ask = |key: &str| {
        post_with(
            &agent,
            &server.url("/ask"),
            ct,
            &json!({"message": "你好"}).to_string(),
            Some(key),
        )
    };
    for _ in 0..3 {
        assert_eq!(ask(ASK_KEY).0, 200);
    }
    let (status, body) = ask(ASK_KEY);
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("rate_limited")),
        "{body}"
    );
    assert_eq!(ask(OTHER_KEY).0, 200, "per key");
}

// --- GET /openapi.json against the router and real responses ---------------------------

/// The routes `router` serves, read from its source (`src/http/mod.rs`, `kbs.rs`):
/// (METHOD, path) for each
/// `.route("PATH", get(…))` / `post(…)`, so a route added there must be described too.
fn served_routes() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut source = String::new();
    for file in ["mod.rs", "kbs.rs"] {
        source += &std::fs::read_to_string(dir.join(file)).expect("src/http/*.rs");
    }
    let mut routes = Vec::new();
    for line in source.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix(".route(\"") else {
            continue;
        };
        let (route, rest) = rest.split_once('"').expect("a quoted path");
        // axum's catch-all `{*path}` is OpenAPI's `{path}`.
        let route = route.replace("{*", "{");
        let route = route.as_str();
        let rest = rest.trim_start_matches([',', ' ']);
        for method in ["get", "post", "put", "patch", "delete"] {
            if rest.starts_with(&format!("{method}(")) || rest.contains(&format!(".{method}(")) {
                routes.push((method.to_uppercase(), route.to_string()));
            }
        }
    }
    assert!(routes.len() >= 6, "found too few routes: {routes:?}");
    routes.sort();
    routes
}

/// The (METHOD, path) operations of an OpenAPI document.
fn described_routes(doc: &Value) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    routes.sort();
    routes
}

/// Follows `$ref`s (`#/components/schemas/NAME`) to the schema itself.
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        schema = doc["components"]["schemas"]
            .get(name)
            .unwrap_or_else(|| panic!("no component schema {name}"));
    }
    schema
}

/// The object shape of `schema` with its `allOf` parts merged: (required, properties),
/// `None` when it says nothing of properties.
fn object_shape(
    doc: &Value,
    schema: &Value,
) -> Option<(Vec<String>, serde_json::Map<String, Value>)> {
    let schema = resolve(doc, schema);
    let mut required: Vec<String> = Vec::new();
    let mut properties = serde_json::Map::new();
    let mut said = false;
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            if let Some((r, p)) = object_shape(doc, part) {
                said = true;
                required.extend(r);
                properties.extend(p);
            }
        }
    }
    if let Some(p) = schema.get("properties").and_then(Value::as_object) {
        said = true;
        properties.extend(p.clone());
    }
    if let Some(r) = schema.get("required").and_then(Value::as_array) {
        said = true;
        required.extend(r.iter().filter_map(Value::as_str).map(String::from));
    }
    said.then_some((required, properties))
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown schema type {other}"),
    }
}

/// What in `value` does not fit `schema` (empty when it fits): a `required` property
/// missing, a property the schema does not list, a wrong type or enum value; `oneOf` fits
/// when one alternative does (the tagged `Decision`, nullable fields, `/health`).
fn misfits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut out = Vec::new();
    if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
        let tried: Vec<Vec<String>> = alternatives
            .iter()
            .map(|a| misfits(doc, a, value, at))
            .collect();
        if !tried.iter().any(Vec::is_empty) {
            out.push(format!("{at}: fits no oneOf alternative: {tried:?}"));
        }
        return out;
    }
    if let Some(t) = schema.get("type") {
        let names: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !names.iter().any(|n| type_matches(n, value)) {
            out.push(format!("{at}: {value} is not of type {t}"));
            return out;
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {values:?}"));
    }
    if let Some(items) = value.as_array()
        && let Some(item_schema) = schema.get("items")
    {
        for (i, item) in items.iter().enumerate() {
            out.extend(misfits(doc, item_schema, item, &format!("{at}[{i}]")));
        }
    }
    if let Some(object) = value.as_object()
        && let Some((required, properties)) = object_shape(doc, schema)
    {
        for r in &required {
            if !object.contains_key(r) {
                out.push(format!("{at}: required `{r}` is missing"));
            }
        }
        for (key, v) in object {
            match properties.get(key) {
                Some(s) => out.extend(misfits(doc, s, v, &format!("{at}.{key}"))),
                None => out.push(format!("{at}: `{key}` is not in the schema")),
            }
        }
    }
    out
}

/// Asserts that `body`, answered with `status` by `METHOD path`, fits the response
/// schema the document gives for that status.
fn assert_fits(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let operation = &doc["paths"][path][method.to_lowercase()];
    let schema =
        &operation["responses"][status.to_string()]["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{method} {path}: no response {status} described"
    );
    let problems = misfits(doc, schema, body, &format!("{method} {path} {status}"));
    assert!(problems.is_empty(), "{problems:#?}\n{body:#}");
}

#[test]
fn openapi_json_describes_every_route_and_the_real_responses() {
    // Many requests from one key: the rate limit (tested on its own) is off here.
    let server = keyed(HttpOptions {
        rate_limit: None,
        ..HttpOptions::default()
    });
    let agent = agent();
    let ct = "application/json";

    // Open to everyone, and an OpenAPI 3.1 document with the security schemes.
    let (status, doc) = get_with(&agent, &server.url("/openapi.json"), None);
    assert_eq!(status, 200, "{doc}");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer", "{schemes}");
    assert_eq!(schemes["api_key"]["name"], "X-Api-Key", "{schemes}");

    // Every route the router serves is described with its method, and nothing more.
    assert_eq!(described_routes(&doc), served_routes());
    // ... and each described operation is served (not the fallback's 404 or 405).
    for (method, path) in described_routes(&doc) {
        let url = server.url(&path.replace("{id}", "c-nope").replace("{name}", "default"));
        let (status, body) = if method == "POST" {
            post_with(&agent, &url, ct, "{}", Some(ADMIN_KEY))
        } else {
            get_with(&agent, &url, Some(ADMIN_KEY))
        };
        let fallback = body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no such endpoint"));
        assert!(
            status != 405 && !fallback,
            "{method} {path}: {status} {body}"
        );
        // The keyed routes say which security they accept.
        let security = &doc["paths"][&path][method.to_lowercase()]["security"];
        assert!(security.is_array(), "{method} {path}: no security");
    }
    for (method, path) in [("post", "/ask"), ("get", "/stats")] {
        let security = &doc["paths"][path][method]["security"];
        assert_eq!(
            security,
            &json!([{"bearer": []}, {"api_key": []}]),
            "{path}"
        );
    }
    for (path, status) in [
        ("/ask", 401),
        ("/ask", 403),
        ("/ask", 413),
        ("/ask", 422),
        ("/ask", 429),
        ("/feedback", 404),
        ("/feedback", 409),
    ] {
        assert!(
            doc["paths"][path]["post"]["responses"][status.to_string()].is_object(),
            "{path}: {status} not described"
        );
    }

    // Real replies of /ask: a clarify, an answer, a handoff, small talk.
    let ask = |body: Value| {
        let (status, reply) = post_with(
            &agent,
            &server.url("/ask"),
            ct,
            &body.to_string(),
            Some(ASK_KEY),
        );
        assert_eq!(status, 200, "{reply}");
        reply
    };
    let clarify =
        ask(json!({"message": "费用怎么算", "customer": {"id": "u-1"}, "channel": "sms"}));
    assert_eq!(clarify["decision"]["type"], "clarify", "{clarify}");
    let id = clarify["conversation_id"].clone();
    let picked = ask(json!({"message": "1", "conversation_id": id}));
    assert_eq!(picked["decision"]["type"], "answer", "{picked}");
    assert!(picked["context"].is_object(), "{picked}");
    let answer = ask(json!({"message": "怎么交话费"}));
    assert_eq!(answer["decision"]["type"], "answer", "{answer}");
    let handoff = ask(json!({"message": "转人工", "conversation_id": id}));
    assert_eq!(handoff["decision"]["type"], "handoff", "{handoff}");
    assert!(handoff["handoff"]["transcript"].is_array(), "{handoff}");
    let hello = ask(json!({"message": "你好"}));
    assert_eq!(hello["decision"]["type"], "small_talk", "{hello}");
    for reply in [&clarify, &picked, &answer, &handoff, &hello] {
        assert_fits(&doc, "POST", "/ask", 200, reply);
    }

    // /feedback: recorded, then already recorded; an unknown reply id.
    let feedback = json!({"reply_id": answer["id"], "helpful": true}).to_string();
    let (status, body) = post_with(
        &agent,
        &server.url("/feedback"),
        ct,
        &feedback,
        Some(ASK_KEY),
    );
    assert_eq!(status, 200, "{body}");
    assert_fits(&doc, "POST", "/feedback", 200, &body);
    let (status, body) = post_with(
        &agent,
        &server.url("/feedback"),
        ct,
        &feedback,
        Some(ASK_KEY),
    );
    assert_eq!(status, 409, "{body}");
    assert_fits(&doc, "POST", "/feedback", 409, &body);

    // /health, open and for an admin; /stats; the conversation.
    let (status, body) = get_with(&agent, &server.url("/health"), None);
    assert_eq!(status, 200);
    assert_fits(&doc, "GET", "/health", 200, &body);
    let (status, body) = get_with(&agent, &server.url("/health"), Some(ADMIN_KEY));
    assert_eq!(status, 200);
    assert!(body["replies"].is_u64(), "{body}");
    assert_fits(&doc, "GET", "/health", 200, &body);
    let (status, body) = get_with(&agent, &server.url("/stats"), Some(ADMIN_KEY));
    assert_eq!(status, 200);
    assert_fits(&doc, "GET", "/stats", 200, &body);
    let conversation = format!("/conversations/{}", id.as_str().expect("an id"));
    let (status, body) = get_with(&agent, &server.url(&conversation), Some(ADMIN_KEY));
    assert_eq!(status, 200, "{body}");
    assert_fits(&doc, "GET", "/conversations/{id}", 200, &body);

    // Error bodies: 401, 403, 404, 422.
    let (status, body) = get_with(&agent, &server.url("/stats"), None);
    assert_eq!(status, 401);
    assert_fits(&doc, "GET", "/stats", 401, &body);
    let (status, body) = get_with(&agent, &server.url("/stats"), Some(ASK_KEY));
    assert_eq!(status, 403);
    assert_fits(&doc, "GET", "/stats", 403, &body);
    let (status, body) = post_with(
        &agent,
        &server.url("/ask"),
        ct,
        &json!({"message": "hi", "conversation_id": "c-nope"}).to_string(),
        Some(ASK_KEY),
    );
    assert_eq!(status, 404, "{body}");
    assert_fits(&doc, "POST", "/ask", 404, &body);
    let (status, body) = post_with(
        &agent,
        &server.url("/ask"),
        ct,
        &json!({"message": "hi", "channel": "fax"}).to_string(),
        Some(ASK_KEY),
    );
    assert_eq!(status, 422, "{body}");
    assert_fits(&doc, "POST", "/ask", 422, &body);

    // The read routes of a help centre, for role `ask`: categories, one category, search, hot.
    let (status, body) = get_with(&agent, &server.url("/categories"), Some(ASK_KEY));
    assert_eq!(status, 200, "{body}");
    assert!(
        body["categories"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["path"] == "账单与缴费")),
        "{body}"
    );
    assert_fits(&doc, "GET", "/categories", 200, &body);
    let url = server.url("/categories/%E8%B4%A6%E5%8D%95%E4%B8%8E%E7%BC%B4%E8%B4%B9");
    let (status, body) = get_with(&agent, &url, Some(ASK_KEY));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["path"], "账单与缴费", "{body}");
    assert!(
        body["entries"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["id"] == "bill-pay")),
        "{body}"
    );
    assert_fits(&doc, "GET", "/categories/{path}", 200, &body);
    let (status, body) = get_with(&agent, &server.url("/categories/nope"), Some(ASK_KEY));
    assert_eq!(status, 404, "{body}");
    assert_fits(&doc, "GET", "/categories/{path}", 404, &body);
    let url = server.url("/search?q=%E5%8F%91%E7%A5%A8&limit=3");
    let (status, body) = get_with(&agent, &url, Some(ASK_KEY));
    assert_eq!(status, 200, "{body}");
    assert!(
        body["hits"].as_array().is_some_and(|h| !h.is_empty()
            && h.len() <= 3
            && h[0]["entry_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("invoice"))),
        "{body}"
    );
    assert_fits(&doc, "GET", "/search", 200, &body);
    let (status, body) = get_with(&agent, &server.url("/search?q="), Some(ASK_KEY));
    assert_eq!(status, 422, "{body}");
    assert_fits(&doc, "GET", "/search", 422, &body);
    ask(json!({"message": "怎么交话费"}));
    let (status, body) = get_with(&agent, &server.url("/hot"), Some(ASK_KEY));
    assert_eq!(status, 200, "{body}");
    // "怎么交话费" was answered above and now again: the most answered entry leads the welcome list.
    assert_eq!(body["entries"][0]["entry_id"], "bill-pay", "{body}");
    assert_fits(&doc, "GET", "/hot", 200, &body);
    let (status, body) = get_with(&agent, &server.url("/hot"), None);
    assert_eq!(status, 401, "{body}");

    // The per-knowledge-base routes (the one knowledge base is `default`).
    let (status, body) = get_with(&agent, &server.url("/kbs"), Some(ASK_KEY));
    assert_eq!(status, 200, "{body}");
    assert_fits(&doc, "GET", "/kbs", 200, &body);
    let (status, body) = post_with(
        &agent,
        &server.url("/kbs/default/ask"),
        ct,
        &json!({"message": "费用怎么算"}).to_string(),
        Some(ASK_KEY),
    );
    assert_eq!(status, 200, "{body}");
    assert_fits(&doc, "POST", "/kbs/{name}/ask", 200, &body);
    let feedback = json!({"reply_id": body["id"], "helpful": false}).to_string();
    let (status, body) = post_with(
        &agent,
        &server.url("/kbs/default/feedback"),
        ct,
        &feedback,
        Some(ASK_KEY),
    );
    assert_eq!(status, 200, "{body}");
    assert_fits(&doc, "POST", "/kbs/{name}/feedback", 200, &body);
    for key in [None, Some(ADMIN_KEY)] {
        let (status, body) = get_with(&agent, &server.url("/kbs/default/health"), key);
        assert_eq!(status, 200, "{body}");
        assert_fits(&doc, "GET", "/kbs/{name}/health", 200, &body);
    }
    let (status, body) = post_with(
        &agent,
        &server.url("/kbs/nope/ask"),
        ct,
        &json!({"message": "hi"}).to_string(),
        Some(ASK_KEY),
    );
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "unknown_kb", "{body}");
    assert_fits(&doc, "POST", "/kbs/{name}/ask", 404, &body);
    let (status, body) = post_with(
        &agent,
        &server.url("/kbs/default/reload"),
        ct,
        "{}",
        Some(ADMIN_KEY),
    );
    // (the test's reload source does not exist)
    assert_eq!(status, 500, "{body}");
    assert_fits(&doc, "POST", "/kbs/{name}/reload", 500, &body);

    // The checker itself catches drift: a property the schema does not list, a missing one.
    let mut extra = answer.clone();
    extra["surprise"] = json!(1);
    assert!(!misfits(&doc, &doc["paths"]["/ask"]["post"]["responses"]["200"]["content"]["application/json"]["schema"], &extra, "").is_empty());
    let mut missing = hello.clone();
    missing["decision"]
        .as_object_mut()
        .expect("object")
        .remove("intent");
    assert!(!misfits(&doc, &doc["paths"]["/ask"]["post"]["responses"]["200"]["content"]["application/json"]["schema"], &missing, "").is_empty());
}
