//! JSON over HTTP for frontends in other languages (feature `serve`, on by default):
//! [`router`] gives an axum `Router` over a [`Service`], to serve on its own ([`serve`],
//! as `wenda serve` does) or to mount inside a bigger axum application.
//!
//! | method and path | role | body | answer |
//! |---|---|---|---|
//! | `POST /ask` | ask | `{"message": "…", "conversation_id"?: "…", "channel"?: "sms", "customer"?: {"id"?: "…", "tier"?: "vip"}}` | 200: the [`Reply`] JSON (with `text` and `status`) plus `conversation_id`: a new one, issued by the server, when none was sent; 404 `unknown_conversation` for an id this key was not given |
//! | `POST /feedback` | ask | `{"reply_id": "…", "helpful": true, "comment"?: "…"}` | 200 `{"recorded": true}`; 404 for a reply id this service did not give; 409 `already_recorded` the second time |
//! | `POST /reload` | admin | none | 200: a [`ReloadReport`]; 422 with `problems` when the new knowledge base has errors (the old one keeps serving); 409 while another reload runs; see the error codes below |
//! | `GET /health` | — | | 200: `{"status": "ok"}`, with the service's [`Status`](crate::Status) for an admin |
//! | `GET /stats` | admin | | 200: `{"status": "ok", …}` with the service's [`Status`](crate::Status) |
//! | `GET /conversations/{id}` | admin | | 200: the conversation's customer and transcript; 404 when unknown |
//! | `GET /categories` | ask | | 200: `{"categories": [{"path", "name", "depth", "entries", "own_entries"}]}`, the category tree |
//! | `GET /categories/{path}` | ask | | 200: the category (`path` with `/` between levels), the categories under it and their entries; 404 `not_found` |
//! | `GET /search?q=WORDS&limit=10` | ask | | 200: `{"hits": [{"entry_id", "question", "category", "score", "matched_in"}]}`, keyword search over questions and answers; 422 `invalid_request` for an empty or missing `q` |
//! | `GET /hot` | ask | | 200: `{"entries": [{"entry_id", "question", "category", "answered"?}]}`: `[hot] entries` of `wenda.toml`, or the most answered entries (from `serve --log`'s log and the answers since) |
//! | `GET /openapi.json` | — | | 200: the OpenAPI 3.1 description of every endpoint, request and reply ([`openapi`]) |
//! | `GET /kbs`, `POST /kbs/{name}/ask`, `…/feedback`, `…/reload`, `GET /kbs/{name}/health` | as above | | the same in knowledge base `name` ([`router_with_kbs`]); 404 `unknown_kb` |
//!
//! **`GET /openapi.json`** is generated from the request and reply types themselves (with
//! `utoipa`: `ToSchema` derives on them and `#[utoipa::path]` on each handler), so it
//! cannot drift from them; the security schemes are `bearer` and `api_key`
//! (`X-Api-Key`). A test checks it against real responses.
//!
//! **Access.** [`HttpOptions::keys`] holds the API keys ([`ApiKeys`]: `ROLE:NAME:KEY`),
//! sent as `Authorization: Bearer KEY` (or `X-Api-Key: KEY`) and compared in constant time
//! (`subtle`); a key is never logged or echoed. Role `ask` may ask, give feedback and use
//! the read routes (categories, search, hot),
//! `admin` may do everything. With no keys configured only loopback peers are served
//! (all as admin), so serve the router with connection info ([`serve`] does).
//! Conversation ids are issued by the server (`c-` and 128 random bits); a caller may
//! continue only the conversations it was given, while they are live; an admin may also
//! choose its own ids and continue any conversation.
//!
//! **Limits** ([`HttpOptions`], each with its own answer): the body (413
//! `body_too_large`, default 64 KiB), the message (422 `message_too_long`, default 2,000
//! characters), live conversations per key (429 `too_many_conversations`, default
//! 10,000), requests per key (429 `rate_limited` with `Retry-After`, default 20 a second
//! with bursts of 20; `tower_governor`). Per connection ([`ConnectionLimits`], applied by
//! [`serve`] and [`serve_with`]): 10 s to send the headers, 30 s for the body (408
//! `body_timeout`), 60 s idle, 10,000 connections at once.
//!
//! Request bodies may carry fields of the frontend's own: fields wenda does not know are
//! ignored.
//!
//! Every error is JSON, `{"error": {"code": "…", "message": "…"}}`; the `code` says what
//! went wrong, the message says it in words:
//!
//! | status | `code` | when |
//! |---|---|---|
//! | 400 | `malformed_json` | the body is not JSON |
//! | 401 | `unauthorized` | the API key is missing or wrong (or, with no keys configured, the client is not on loopback) |
//! | 403 | `forbidden` | the key's role may not use the endpoint |
//! | 404 | `unknown_conversation` | a `conversation_id` this key was not given, or one that expired |
//! | 404 | `unknown_kb` | `/kbs/{name}/…` with a name the service does not serve |
//! | 422 | `message_too_long` | the message is above [`HttpOptions::max_message_chars`] |
//! | 429 | `too_many_conversations` | the key holds [`HttpOptions::max_conversations_per_client`] live conversations |
//! | 429 | `rate_limited` | more requests than [`HttpOptions::rate_limit`] allows |
//! | 404 | `not_found` | no such endpoint, an unknown conversation, feedback on a reply id this service did not give ([`Error::NotFound`]) |
//! | 405 | `method_not_allowed` | wrong method for the endpoint |
//! | 408 | `body_timeout` | the body did not arrive within [`ConnectionLimits::body_timeout`] |
//! | 413 | `body_too_large` | the body is above [`HttpOptions::max_body_bytes`] |
//! | 415 | `unsupported_media_type` | send `Content-Type: application/json` |
//! | 422 | `invalid_request` | a missing or mistyped field, an unknown channel, a bad reply id ([`Error::InvalidRequest`]) |
//! | 422 | `invalid_knowledge` | the new knowledge base has errors, listed in `problems` ([`Error::Knowledge`]) |
//! | 422 | `empty_knowledge_base` | the new knowledge base has no entries ([`Error::EmptyKnowledgeBase`]) |
//! | 422 | `bad_model` | the confidence model file cannot be used; refit it with `wenda calibrate` ([`Error::BadModel`]) |
//! | 422 | `bad_embedder` | the pretrained model `[embedder]` names cannot be used; the message names the file ([`Error::BadEmbedder`]) |
//! | 422 | `invalid_queries`, `evaluated_on_fitting_queries` | a labelled-queries problem ([`Error::Queries`], [`Error::EvaluatedOnFittingQueries`]) |
//! | 409 | `busy` | another reload is running ([`Error::Busy`]) |
//! | 409 | `already_recorded` | feedback on a reply that already has it: it is accepted once per reply ([`Error::AlreadyRecorded`]) |
//! | 409 | `stale_index` | the saved index does not match this wenda; rebuild it with `wenda build` ([`Error::StaleIndex`]) |
//! | 409 | `embedder_mismatch` | the saved index was built with another embedder ([`Error::EmbedderMismatch`]) |
//! | 409 | `not_configured` | the service cannot do this as set up, e.g. a reload without a reload source ([`Error::Config`]) |
//! | 500 | `index_error` | the index failed or is damaged ([`Error::Index`]) |
//! | 500 | `wrong_dimension` | the embedder returned vectors of the wrong length ([`Error::WrongDimension`]) |
//! | 500 | `internal` | a file could not be read or written ([`Error::Io`]), or another internal failure |
//! | 503 | `store_unavailable` | the shared conversation store (Redis) cannot be reached: the message was not answered, send it again later ([`Error::StoreUnavailable`]); `GET /health` answers it too while the store is down |

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use tower_governor::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;

mod access;
mod browse;
mod conn;
mod kbs;

pub use access::{ApiKeys, MIN_KEY_BYTES, Role};
use access::{Caller, CallerKey, Owners, Refused};
pub use browse::{CategoriesResponse, HotResponse, SearchParams, SearchResponse};
pub use conn::{ConnectionLimits, serve_with};
use kbs::KbState;
pub use kbs::{DEFAULT_KB, KbList, KbSummary, router_with_kbs};

use crate::conversation::ConversationState;
use crate::error::Error;
use crate::ids::conversation_id;
use crate::knowledge::Channel;
use crate::reply::{Customer, Reply};
use crate::service::{ReloadReport, Service, Status};

/// Longest conversation id accepted.
const MAX_CONVERSATION_ID: usize = 128;

/// Requests per caller: a bucket of `burst` requests, refilled by one every `refill`
/// (the default, 20 every second, is 20 requests per second with bursts of 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed at once.
    pub burst: u32,
    /// One more request is allowed after this much time.
    pub refill: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            burst: 20,
            refill: Duration::from_millis(50),
        }
    }
}

/// Options of the HTTP layer: access and limits (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body, in bytes; larger requests get 413 `body_too_large`. Default
    /// 64 KiB.
    pub max_body_bytes: usize,
    /// Longest `message` of `POST /ask`, in characters; longer ones get 422
    /// `message_too_long`. Default 2,000.
    pub max_message_chars: usize,
    /// Live conversations one caller (API key) may hold; one more gets 429
    /// `too_many_conversations`. Default 10,000.
    pub max_conversations_per_client: usize,
    /// A conversation without a message for this long is no longer live (and cannot be
    /// continued). Default 30 minutes, as the service's memory store.
    pub conversation_idle: Duration,
    /// Requests per caller (per API key); more get 429 `rate_limited` with `Retry-After`.
    /// `None` switches the limit off. Default [`RateLimit::default`].
    pub rate_limit: Option<RateLimit>,
    /// The API keys; none: only loopback clients are served, all as admin.
    pub keys: ApiKeys,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            max_body_bytes: 64 * 1024,
            max_message_chars: 2000,
            max_conversations_per_client: 10_000,
            conversation_idle: Duration::from_secs(30 * 60),
            rate_limit: Some(RateLimit::default()),
            keys: ApiKeys::default(),
        }
    }
}

/// What the handlers share.
struct AppState {
    /// The default knowledge base's service (also in `kbs`).
    service: Arc<Service>,
    options: HttpOptions,
    keys: ApiKeys,
    /// The default knowledge base's conversation owners (also in `kbs`).
    owners: Arc<Owners>,
    /// Every knowledge base by name, the default first.
    kbs: kbs::Kbs,
}

impl AppState {
    /// The default knowledge base: what the routes without `/kbs/{name}` serve.
    fn default_kb(&self) -> KbState {
        KbState {
            service: Arc::clone(&self.service),
            owners: Arc::clone(&self.owners),
        }
    }
}

/// The body of `POST /ask`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AskRequest {
    /// The customer's message.
    pub message: String,
    /// The conversation it belongs to; a new conversation is started when left out.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// Render the reply for this channel.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Who is asking.
    #[serde(default)]
    pub customer: Option<CustomerRequest>,
}

/// `customer` in `POST /ask`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CustomerRequest {
    /// The frontend's customer id.
    #[serde(default)]
    pub id: Option<String>,
    /// A tier configured in `wenda.toml`.
    #[serde(default)]
    pub tier: Option<String>,
}

/// The answer to `POST /ask`: the reply, plus the conversation id to send next time.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AskResponse {
    /// The conversation the reply belongs to.
    pub conversation_id: String,
    /// The reply.
    #[serde(flatten)]
    pub reply: Reply,
}

/// The body of `POST /feedback`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct FeedbackRequest {
    /// The `id` of the reply.
    pub reply_id: String,
    /// Whether it helped.
    pub helpful: bool,
    /// An optional comment (masked before it is logged).
    #[serde(default)]
    pub comment: Option<String>,
}

/// The answer to `POST /feedback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedbackResponse {
    /// Always `true`: the feedback was recorded.
    pub recorded: bool,
}

/// `"ok"`, the `status` of `GET /health` and `GET /stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The service is up.
    Ok,
}

/// The answer to `GET /stats` (and to `GET /health` for an admin): `status: ok` and the
/// service's counters.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StatsResponse {
    /// Always `ok`.
    pub status: HealthStatus,
    /// The service's counters.
    #[serde(flatten)]
    pub service: Status,
}

/// The answer to `GET /health` for anyone but an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HealthOk {
    /// Always `ok`.
    pub status: HealthStatus,
}

/// The answer to `GET /health`: the counters for an admin, `{"status": "ok"}` for others.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum HealthResponse {
    /// For an admin.
    Admin(StatsResponse),
    /// For everyone else.
    Open(HealthOk),
}

/// Every error's body: `{"error": {"code", "message", "problems"?}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// `error` in an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// What went wrong, for programs (the codes are listed in the `wenda::http` docs).
    pub code: String,
    /// What went wrong, in words.
    pub message: String,
    /// For `invalid_knowledge`: the knowledge base's problems (file, line, entry, what).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub problems: Option<serde_json::Value>,
}

/// An error answered as `{"error": {"code", "message"}}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    problems: Option<serde_json::Value>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            problems: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                problems: self.problems,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = match (&r, status) {
            (_, StatusCode::PAYLOAD_TOO_LARGE) => "body_too_large",
            (JsonRejection::JsonSyntaxError(_), _) => "malformed_json",
            (JsonRejection::JsonDataError(_), _) => "invalid_request",
            (JsonRejection::MissingJsonContentType(_), _) => "unsupported_media_type",
            _ if status.is_client_error() => "bad_request",
            _ => "internal",
        };
        let message = match code {
            "body_too_large" => "the request body is too large".to_string(),
            "unsupported_media_type" => {
                "send the body as JSON with `Content-Type: application/json`".to_string()
            }
            _ => r.body_text(),
        };
        ApiError::new(status, code, message)
    }
}

/// The status and `code` of each [`Error`] (see the [module docs](self)).
fn service_error(e: Error) -> ApiError {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let (status, code) = match &e {
        Error::Knowledge(problems) => {
            return ApiError {
                status: unprocessable,
                code: "invalid_knowledge",
                message: format!(
                    "{} error(s); the previous knowledge base keeps serving",
                    problems.errors().count()
                ),
                problems: serde_json::to_value(problems).ok(),
            };
        }
        Error::EmptyKnowledgeBase => (unprocessable, "empty_knowledge_base"),
        Error::BadModel { .. } => (unprocessable, "bad_model"),
        Error::BadEmbedder { .. } => (unprocessable, "bad_embedder"),
        Error::Queries(_) => (unprocessable, "invalid_queries"),
        Error::EvaluatedOnFittingQueries { .. } => (unprocessable, "evaluated_on_fitting_queries"),
        Error::InvalidRequest(_) => (unprocessable, "invalid_request"),
        Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        Error::AlreadyRecorded(_) => (StatusCode::CONFLICT, "already_recorded"),
        Error::StaleIndex { .. } => (StatusCode::CONFLICT, "stale_index"),
        Error::EmbedderMismatch { .. } => (StatusCode::CONFLICT, "embedder_mismatch"),
        Error::Busy(_) => (StatusCode::CONFLICT, "busy"),
        Error::Config(_) => (StatusCode::CONFLICT, "not_configured"),
        Error::WrongDimension { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "wrong_dimension"),
        Error::Index(_) => (StatusCode::INTERNAL_SERVER_ERROR, "index_error"),
        Error::Io { .. } | Error::BadLog { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        Error::StoreUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
    };
    let message = match e {
        // Their Display adds a prefix ("busy: …") that the code already says.
        Error::InvalidRequest(m)
        | Error::NotFound(m)
        | Error::AlreadyRecorded(m)
        | Error::Busy(m)
        | Error::Config(m) => m,
        other => other.to_string(),
    };
    ApiError::new(status, code, message)
}

/// The routes over `service` (see the [module docs](self)). Serve them with
/// [`serve`], or with connection info (`into_make_service_with_connect_info::<SocketAddr>`):
/// without keys, only loopback peers are served.
///
/// The one knowledge base is also served as `/kbs/default/…`; [`router_with_kbs`] serves
/// several.
pub fn router(service: Arc<Service>, options: HttpOptions) -> Router {
    let kbs = kbs::Kbs::one(service);
    build_router(kbs, options)
}

/// The routes over `kbs` (at least one; the first is the default).
fn build_router(kbs: kbs::Kbs, options: HttpOptions) -> Router {
    let default = kbs.default_kb();
    let state = Arc::new(AppState {
        service: default.service,
        keys: options.keys.clone(),
        options: options.clone(),
        owners: default.owners,
        kbs,
    });
    let mut router = Router::new()
        .route("/ask", post(ask))
        .route("/feedback", post(feedback))
        .route("/reload", post(reload))
        .route("/health", get(health))
        .route("/stats", get(stats))
        .route("/conversations/{id}", get(conversation))
        .route("/openapi.json", get(openapi_json))
        .merge(browse_routes())
        .merge(kbs::routes())
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint (see GET /openapi.json)",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "wrong method for this endpoint",
            )
        })
        .with_state(Arc::clone(&state));
    if let Some(limit) = options.rate_limit {
        let config = GovernorConfigBuilder::default()
            .period(limit.refill)
            .burst_size(limit.burst.max(1))
            .key_extractor(CallerKey)
            .finish();
        if let Some(config) = config {
            let layer =
                tower_governor::GovernorLayer::new(Arc::new(config)).error_handler(rate_limited);
            router = router.layer(layer);
        }
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            state,
            access::authenticate,
        ))
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
}

/// The read routes of a help centre ([`browse`]): categories, search, hot questions.
fn browse_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/categories", get(browse::categories))
        .route("/categories/{*path}", get(browse::category))
        .route("/search", get(browse::search))
        .route("/hot", get(browse::hot))
}

/// 429 `rate_limited` as JSON, with `Retry-After`.
fn rate_limited(e: GovernorError) -> Response {
    match e {
        GovernorError::TooManyRequests { wait_time, .. } => {
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests for this key: try again in {wait_time} s"),
            )
            .into_response();
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(wait_time.max(1)),
            );
            r
        }
        other => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            other.to_string(),
        )
        .into_response(),
    }
}

/// `POST /ask`.
#[utoipa::path(
    post,
    path = "/ask",
    tag = "ask",
    request_body = AskRequest,
    responses(
        (status = 200, description = "The reply, with the conversation id to send next time", body = AskResponse),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`unknown_conversation`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`invalid_request`, `message_too_long`", body = ErrorBody),
        (status = 429, description = "`too_many_conversations`, `rate_limited`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the conversation store (Redis) cannot be reached; the message was not answered", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
async fn ask(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<AskRequest>, JsonRejection>,
) -> Result<Json<AskResponse>, ApiError> {
    let Json(req) = body?;
    let kb = state.default_kb();
    ask_in(&state, kb, caller, req).await
}

/// `POST /ask` in knowledge base `kb`: the checks, the conversation's owner, the turn
/// (on a blocking thread: a shared store is reached over the network).
async fn ask_in(
    state: &AppState,
    kb: KbState,
    caller: Caller,
    req: AskRequest,
) -> Result<Json<AskResponse>, ApiError> {
    let max = state.options.max_message_chars;
    if req.message.chars().count() > max {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "message_too_long",
            format!("the message is longer than {max} characters"),
        ));
    }
    if let Some(id) = &req.conversation_id
        && (id.is_empty() || id.len() > MAX_CONVERSATION_ID)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            format!("conversation_id must have 1 to {MAX_CONVERSATION_ID} bytes"),
        ));
    }
    let max_conversations = state.options.max_conversations_per_client;
    let idle = state.options.conversation_idle;
    let turn = move || -> Result<AskResponse, ApiError> {
        let asked_for = req.conversation_id.clone();
        let admitted = kb.owners.admit(
            &caller,
            req.conversation_id,
            max_conversations,
            idle,
            conversation_id,
        );
        let conversation_id = match (admitted, asked_for) {
            (Ok(id), None) => {
                // A new conversation: the store keeps its owner too, for the other
                // replicas sharing it.
                kb.service
                    .give_conversation(&id, &caller.name)
                    .map_err(service_error)?;
                id
            }
            (Ok(id), Some(_)) => id,
            (Err(Refused::Unknown), Some(id)) => {
                // Not given here: maybe by another replica sharing the store.
                match kb.service.conversation_owner(&id).map_err(service_error)? {
                    Some(owner) if owner == caller.name => {
                        kb.owners.adopt(&caller, &id);
                        id
                    }
                    _ => return Err(unknown_conversation()),
                }
            }
            (Err(Refused::Unknown), None) => return Err(unknown_conversation()),
            (Err(Refused::TooMany(n)), _) => {
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_conversations",
                    format!("this key holds {n} live conversations, the most allowed"),
                ));
            }
        };
        let c = req.customer.unwrap_or_default();
        let customer = Customer {
            id: c.id,
            tier: c.tier,
            channel: req.channel,
        };
        let reply = kb
            .service
            .try_ask(Some(&conversation_id), &req.message, &customer)
            .map_err(service_error)?;
        Ok(AskResponse {
            conversation_id,
            reply,
        })
    };
    tokio::task::spawn_blocking(turn)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map(Json)
}

/// 404 `unknown_conversation`.
fn unknown_conversation() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_conversation",
        "no such conversation for this key (ids are issued by the server; it may have \
         expired): leave conversation_id out to start one",
    )
}

/// `POST /feedback`.
#[utoipa::path(
    post,
    path = "/feedback",
    tag = "ask",
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "Recorded", body = FeedbackResponse),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`: a reply id this service did not give", body = ErrorBody),
        (status = 409, description = "`already_recorded`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`invalid_request`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
async fn feedback(
    State(state): State<Arc<AppState>>,
    body: Result<Json<FeedbackRequest>, JsonRejection>,
) -> Result<Json<FeedbackResponse>, ApiError> {
    let Json(req) = body?;
    feedback_in(&state.service, &req)
}

/// `POST /feedback` to `service`.
fn feedback_in(
    service: &Service,
    req: &FeedbackRequest,
) -> Result<Json<FeedbackResponse>, ApiError> {
    service
        .feedback(&req.reply_id, req.helpful, req.comment.as_deref())
        .map_err(service_error)?;
    Ok(Json(FeedbackResponse { recorded: true }))
}

/// `POST /reload`.
#[utoipa::path(
    post,
    path = "/reload",
    tag = "admin",
    responses(
        (status = 200, description = "The new knowledge base serves", body = ReloadReport),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 409, description = "`busy`, `not_configured`, `stale_index`, `embedder_mismatch`", body = ErrorBody),
        (status = 422, description = "`invalid_knowledge` (with `problems`), `empty_knowledge_base`, `bad_model`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 500, description = "`index_error`, `wrong_dimension`, `internal`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
async fn reload(State(state): State<Arc<AppState>>) -> Result<Json<ReloadReport>, ApiError> {
    reload_in(Arc::clone(&state.service)).await
}

/// `POST /reload` of `service`, on a blocking thread.
async fn reload_in(service: Arc<Service>) -> Result<Json<ReloadReport>, ApiError> {
    let result = tokio::task::spawn_blocking(move || service.reload())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    result.map(Json).map_err(service_error)
}

/// The service's counters with `status: ok`.
fn stats_response(service: &Service) -> StatsResponse {
    StatsResponse {
        status: HealthStatus::Ok,
        service: service.status(),
    }
}

/// `GET /health`.
#[utoipa::path(
    get,
    path = "/health",
    tag = "open",
    responses(
        (status = 200, description = "`{\"status\": \"ok\"}`, with the counters for an admin", body = HealthResponse),
        (status = 401, description = "`unauthorized`: a wrong key", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: a conversation store (Redis) cannot be reached", body = ErrorBody),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
async fn health(
    State(state): State<Arc<AppState>>,
    caller: Option<Extension<Caller>>,
) -> Result<Json<HealthResponse>, ApiError> {
    // Every knowledge base's conversation store must be reachable.
    let services: Vec<Arc<Service>> = state.kbs.services();
    tokio::task::spawn_blocking(move || {
        services
            .iter()
            .try_for_each(|s| s.check_store())
            .map_err(service_error)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??;
    Ok(health_of(&state.service, caller))
}

/// `{"status": "ok"}`, with `service`'s counters for an admin.
fn health_of(service: &Service, caller: Option<Extension<Caller>>) -> Json<HealthResponse> {
    match caller {
        Some(Extension(c)) if c.role == Role::Admin => {
            Json(HealthResponse::Admin(stats_response(service)))
        }
        _ => Json(HealthResponse::Open(HealthOk {
            status: HealthStatus::Ok,
        })),
    }
}

/// `GET /stats`.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "admin",
    responses(
        (status = 200, description = "The service's counters", body = StatsResponse),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
async fn stats(State(state): State<Arc<AppState>>) -> Json<StatsResponse> {
    Json(stats_response(&state.service))
}

/// `GET /conversations/{id}`.
#[utoipa::path(
    get,
    path = "/conversations/{id}",
    tag = "admin",
    params(("id" = String, Path, description = "The conversation id")),
    responses(
        (status = 200, description = "The conversation's customer and transcript", body = ConversationState),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such conversation (it may have ended or expired)", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the conversation store (Redis) cannot be reached", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
async fn conversation(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<ConversationState>, ApiError> {
    match state.service.conversation(&id).map_err(service_error)? {
        Some(state) => Ok(Json(state)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no conversation \"{id}\" (it may have ended or expired)"),
        )),
    }
}

/// `GET /openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "open",
    responses(
        (status = 200, description = "This description (OpenAPI 3.1)", body = Object),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(())
)]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

/// The OpenAPI document, derived from the handlers and the types.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "wenda",
        description = "Chinese FAQ question answering with calibrated confidence and human handoff"
    ),
    paths(
        ask,
        feedback,
        reload,
        health,
        stats,
        conversation,
        openapi_json,
        browse::categories,
        browse::category,
        browse::search,
        browse::hot,
        kbs::list_kbs,
        kbs::kb_ask,
        kbs::kb_feedback,
        kbs::kb_reload,
        kbs::kb_health
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "ask", description = "Role `ask` or `admin`"),
        (name = "admin", description = "Role `admin`"),
        (name = "open", description = "Open to everyone")
    )
)]
struct ApiDoc;

/// Adds the `bearer` and `api_key` security schemes.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`Authorization: Bearer KEY`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "`X-Api-Key: KEY`",
            ))),
        );
    }
}

/// The OpenAPI 3.1 description of the routes of [`router`], as served at
/// `GET /openapi.json`: generated from the handlers and the request and reply types.
pub fn openapi() -> utoipa::openapi::OpenApi {
    <ApiDoc as utoipa::OpenApi>::openapi()
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish: [`serve_with`] with the default [`ConnectionLimits`] (10 s for the headers,
/// 30 s for the body, 60 s idle, 10,000 connections).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, ConnectionLimits::default(), shutdown).await
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Problem, Problems};

    fn status_and_code(e: Error) -> (u16, &'static str) {
        let api = service_error(e);
        (api.status.as_u16(), api.code)
    }

    #[test]
    fn every_error_has_its_own_status_and_code() {
        let cases: Vec<(Error, u16, &str)> = vec![
            (
                Error::Knowledge(Problems::new(vec![Problem::error(
                    "a.toml",
                    "empty answer",
                )])),
                422,
                "invalid_knowledge",
            ),
            (Error::EmptyKnowledgeBase, 422, "empty_knowledge_base"),
            (
                Error::BadModel {
                    file: Some("model.json".into()),
                    reason: "is not a wenda confidence model: EOF".into(),
                },
                422,
                "bad_model",
            ),
            (
                Error::Queries(vec![Problem::error("q.jsonl", "not JSON")]),
                422,
                "invalid_queries",
            ),
            (
                Error::EvaluatedOnFittingQueries {
                    file: "q.jsonl".into(),
                },
                422,
                "evaluated_on_fitting_queries",
            ),
            (
                Error::InvalidRequest("not a reply id".into()),
                422,
                "invalid_request",
            ),
            (
                Error::StaleIndex {
                    dir: "idx/gen-1".into(),
                    why: "index format 999".into(),
                },
                409,
                "stale_index",
            ),
            (
                Error::EmbedderMismatch {
                    dir: "idx".into(),
                    expected: "custom/32".into(),
                    expected_dimension: 32,
                    got: None,
                },
                409,
                "embedder_mismatch",
            ),
            (Error::Busy("a reload is running".into()), 409, "busy"),
            (Error::NotFound("no reply".into()), 404, "not_found"),
            (
                Error::AlreadyRecorded("feedback given".into()),
                409,
                "already_recorded",
            ),
            (
                Error::Config("no reload source".into()),
                409,
                "not_configured",
            ),
            (
                Error::WrongDimension {
                    embedder: "custom/32".into(),
                    expected: 32,
                    got: 16,
                },
                500,
                "wrong_dimension",
            ),
            (Error::Index("damaged".into()), 500, "index_error"),
            (
                Error::StoreUnavailable("Redis at redis://127.0.0.1:1/0: refused".into()),
                503,
                "store_unavailable",
            ),
            (
                Error::io("kb", std::io::Error::other("disk on fire")),
                500,
                "internal",
            ),
        ];
        for (e, status, code) in cases {
            let shown = format!("{e:?}");
            assert_eq!(status_and_code(e), (status, code), "{shown}");
        }
    }

    #[test]
    fn knowledge_errors_carry_their_problems() {
        let api = service_error(Error::Knowledge(Problems::new(vec![Problem::error(
            "a.toml",
            "empty answer",
        )])));
        let problems = api.problems.unwrap_or_default();
        assert_eq!(problems[0]["file"], "a.toml", "{problems}");
        assert!(api.message.contains("1 error(s)"), "{}", api.message);
    }

    #[test]
    fn messages_are_the_errors_words_without_a_repeated_prefix() {
        let api = service_error(Error::Busy("a reload is already running".into()));
        assert_eq!(api.message, "a reload is already running");
        let api = service_error(Error::StaleIndex {
            dir: "idx/gen-1".into(),
            why: "index format 999".into(),
        });
        assert_eq!(
            api.message,
            "idx/gen-1: index format 999; rebuild the index with `wenda build`"
        );
    }
}
