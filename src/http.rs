//! JSON over HTTP for frontends in other languages (feature `serve`, on by default):
//! [`router`] gives an axum `Router` over a [`Service`], to serve on its own ([`serve`],
//! as `wenda serve` does) or to mount inside a bigger axum application.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /ask` | `{"message": "…", "conversation_id"?: "…", "channel"?: "sms", "customer"?: {"id"?: "…", "tier"?: "vip"}}` | 200: the [`Reply`] JSON plus `conversation_id` (a new one when none was sent) |
//! | `POST /feedback` | `{"reply_id": "…", "helpful": true, "comment"?: "…"}` | 200 `{"recorded": true}` |
//! | `POST /reload` | none | 200: a [`ReloadReport`]; 422 with `problems` when the new knowledge base has errors (the old one keeps serving); 409 while another reload runs; see the error codes below |
//! | `GET /health` | | 200: `{"status": "ok", …}` with the service's [`Status`](crate::Status) |
//! | `GET /conversations/{id}` | | 200: the conversation's customer and transcript; 404 when unknown |
//! | `GET /categories` | | 200 `{"categories": [{"path", "name", "depth", "entries", "own_entries"}]}` |
//! | `GET /categories/{path}` | | 200 `{"path", "categories", "entries": [{"id", "question", "category"}]}`; 404 when unknown |
//! | `GET /search?q=…&limit=10` | | 200 `{"hits": [{"entry_id", "question", "category", "score", "matched_in"}]}` (keyword search over questions and answers) |
//!
//! Every error is JSON, `{"error": {"code": "…", "message": "…"}}`; the `code` says what
//! went wrong, the message says it in words:
//!
//! | status | `code` | when |
//! |---|---|---|
//! | 400 | `malformed_json` | the body is not JSON |
//! | 404 | `not_found` | no such endpoint, or an unknown conversation |
//! | 405 | `method_not_allowed` | wrong method for the endpoint |
//! | 413 | `body_too_large` | the body is above [`HttpOptions::max_body_bytes`] |
//! | 415 | `unsupported_media_type` | send `Content-Type: application/json` |
//! | 422 | `invalid_request` | a missing or mistyped field, an unknown channel, a bad reply id ([`Error::InvalidRequest`]) |
//! | 422 | `invalid_knowledge` | the new knowledge base has errors, listed in `problems` ([`Error::Knowledge`]) |
//! | 422 | `empty_knowledge_base` | the new knowledge base has no entries ([`Error::EmptyKnowledgeBase`]) |
//! | 422 | `bad_model` | the confidence model file cannot be used; refit it with `wenda calibrate` ([`Error::BadModel`]) |
//! | 422 | `invalid_queries`, `evaluated_on_fitting_queries` | a labelled-queries problem ([`Error::Queries`], [`Error::EvaluatedOnFittingQueries`]) |
//! | 409 | `busy` | another reload is running ([`Error::Busy`]) |
//! | 409 | `stale_index` | the saved index does not match this wenda; rebuild it with `wenda build` ([`Error::StaleIndex`]) |
//! | 409 | `embedder_mismatch` | the saved index was built with another embedder ([`Error::EmbedderMismatch`]) |
//! | 409 | `not_configured` | the service cannot do this as set up, e.g. a reload without a reload source ([`Error::Config`]) |
//! | 500 | `index_error` | the index failed or is damaged ([`Error::Index`]) |
//! | 500 | `wrong_dimension` | the embedder returned vectors of the wrong length ([`Error::WrongDimension`]) |
//! | 500 | `internal` | a file could not be read or written ([`Error::Io`]), or another internal failure |

use std::future::Future;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::conversation::ConversationState;
use crate::error::Error;
use crate::ids::conversation_id;
use crate::knowledge::Channel;
use crate::reply::{Customer, Reply};
use crate::service::{ReloadReport, Service};

/// Longest conversation id accepted.
const MAX_CONVERSATION_ID: usize = 128;

/// Options of the HTTP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// Largest request body, in bytes; larger requests get 413. Default 64 KiB.
    pub max_body_bytes: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            max_body_bytes: 64 * 1024,
        }
    }
}

/// The body of `POST /ask`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRequest {
    /// The frontend's customer id.
    #[serde(default)]
    pub id: Option<String>,
    /// A tier configured in `wenda.toml`.
    #[serde(default)]
    pub tier: Option<String>,
}

/// The answer to `POST /ask`: the reply, plus the conversation id to send next time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AskResponse {
    /// The conversation the reply belongs to.
    pub conversation_id: String,
    /// The reply.
    #[serde(flatten)]
    pub reply: Reply,
}

/// The body of `POST /feedback`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// The `id` of the reply.
    pub reply_id: String,
    /// Whether it helped.
    pub helpful: bool,
    /// An optional comment (masked before it is logged).
    #[serde(default)]
    pub comment: Option<String>,
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
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(p) = self.problems {
            error["problems"] = p;
        }
        (self.status, Json(json!({ "error": error }))).into_response()
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
        Error::Queries(_) => (unprocessable, "invalid_queries"),
        Error::EvaluatedOnFittingQueries { .. } => (unprocessable, "evaluated_on_fitting_queries"),
        Error::InvalidRequest(_) => (unprocessable, "invalid_request"),
        Error::StaleIndex { .. } => (StatusCode::CONFLICT, "stale_index"),
        Error::EmbedderMismatch { .. } => (StatusCode::CONFLICT, "embedder_mismatch"),
        Error::Busy(_) => (StatusCode::CONFLICT, "busy"),
        Error::Config(_) => (StatusCode::CONFLICT, "not_configured"),
        Error::WrongDimension { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "wrong_dimension"),
        Error::Index(_) => (StatusCode::INTERNAL_SERVER_ERROR, "index_error"),
        Error::Io { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    };
    let message = match e {
        // Their Display adds a prefix ("busy: …") that the code already says.
        Error::InvalidRequest(m) | Error::Busy(m) | Error::Config(m) => m,
        other => other.to_string(),
    };
    ApiError::new(status, code, message)
}

/// The routes over `service` (see the [module docs](self)).
pub fn router(service: Arc<Service>, options: HttpOptions) -> Router {
    Router::new()
        .route("/ask", post(ask))
        .route("/feedback", post(feedback))
        .route("/reload", post(reload))
        .route("/health", get(health))
        .route("/conversations/{id}", get(conversation))
        .route("/categories", get(categories))
        .route("/categories/{*path}", get(category))
        .route("/search", get(search))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint (see GET /health, POST /ask, POST /feedback, POST /reload)",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "wrong method for this endpoint",
            )
        })
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .with_state(service)
}

async fn ask(
    State(service): State<Arc<Service>>,
    body: Result<Json<AskRequest>, JsonRejection>,
) -> Result<Json<AskResponse>, ApiError> {
    let Json(req) = body?;
    let conversation_id = match req.conversation_id {
        Some(id) if id.is_empty() || id.len() > MAX_CONVERSATION_ID => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                format!("conversation_id must have 1 to {MAX_CONVERSATION_ID} bytes"),
            ));
        }
        Some(id) => id,
        None => conversation_id(),
    };
    let c = req.customer.unwrap_or_default();
    let customer = Customer {
        id: c.id,
        tier: c.tier,
        channel: req.channel,
    };
    let reply = service.ask(Some(&conversation_id), &req.message, &customer);
    Ok(Json(AskResponse {
        conversation_id,
        reply,
    }))
}

async fn feedback(
    State(service): State<Arc<Service>>,
    body: Result<Json<FeedbackRequest>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(req) = body?;
    service
        .feedback(&req.reply_id, req.helpful, req.comment.as_deref())
        .map_err(service_error)?;
    Ok(Json(json!({"recorded": true})))
}

async fn reload(State(service): State<Arc<Service>>) -> Result<Json<ReloadReport>, ApiError> {
    let result = tokio::task::spawn_blocking(move || service.reload())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    result.map(Json).map_err(service_error)
}

async fn health(State(service): State<Arc<Service>>) -> Json<serde_json::Value> {
    let mut v = serde_json::to_value(service.status()).unwrap_or_else(|_| json!({}));
    v["status"] = json!("ok");
    Json(v)
}

async fn conversation(
    State(service): State<Arc<Service>>,
    Path(id): Path<String>,
) -> Result<Json<ConversationState>, ApiError> {
    match service.conversation(&id).map_err(service_error)? {
        Some(state) => Ok(Json(state)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no conversation \"{id}\" (it may have ended or expired)"),
        )),
    }
}

async fn categories(State(service): State<Arc<Service>>) -> Json<serde_json::Value> {
    Json(json!({ "categories": service.categories() }))
}

async fn category(
    State(service): State<Arc<Service>>,
    Path(path): Path<String>,
) -> Result<Json<crate::service::CategoryListing>, ApiError> {
    service.category(&path).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no category \"{path}\" (see GET /categories)"),
        )
    })
}

/// `GET /search?q=…&limit=…`.
#[derive(Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
    limit: Option<usize>,
}

async fn search(
    State(service): State<Arc<Service>>,
    axum::extract::Query(params): axum::extract::Query<SearchParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if params.q.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "GET /search needs a query: ?q=words",
        ));
    }
    let limit = params.limit.unwrap_or(10).clamp(1, 100);
    let hits = tokio::task::spawn_blocking(move || service.search(&params.q, limit))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(Json(json!({ "hits": hits })))
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight
/// finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
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
