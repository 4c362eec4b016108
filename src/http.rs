//! JSON over HTTP for frontends in other languages (feature `serve`, on by default):
//! [`router`] gives an axum `Router` over a [`Service`], to serve on its own ([`serve`],
//! as `wenda serve` does) or to mount inside a bigger axum application.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /ask` | `{"message": "…", "conversation_id"?: "…", "channel"?: "sms", "customer"?: {"id"?: "…", "tier"?: "vip"}}` | 200: the [`Reply`] JSON plus `conversation_id` (a new one when none was sent) |
//! | `POST /feedback` | `{"reply_id": "…", "helpful": true, "comment"?: "…"}` | 200 `{"recorded": true}` |
//! | `POST /reload` | none | 200: a [`ReloadReport`]; 422 with `problems` when the new knowledge base has errors (the old one keeps serving); 409 while another reload runs |
//! | `GET /health` | | 200: `{"status": "ok", …}` with the service's [`Status`](crate::Status) |
//! | `GET /conversations/{id}` | | 200: the conversation's customer and transcript; 404 when unknown |
//!
//! Every error is JSON, `{"error": {"code": "…", "message": "…"}}`, with status 400
//! (`malformed_json`), 413 (`body_too_large`, above [`HttpOptions::max_body_bytes`]),
//! 415 (`unsupported_media_type`: send `Content-Type: application/json`), 422
//! (`invalid_request`: a missing or mistyped field, an unknown channel), 404
//! (`not_found`), 405 (`method_not_allowed`), 409 (`busy`) or 500 (`internal`).

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

fn service_error(e: Error) -> ApiError {
    match e {
        Error::Knowledge(problems) => ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_knowledge",
            message: format!(
                "{} error(s); the previous knowledge base keeps serving",
                problems.errors().count()
            ),
            problems: serde_json::to_value(&problems).ok(),
        },
        Error::InvalidRequest(m) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", m)
        }
        Error::Busy(m) => ApiError::new(StatusCode::CONFLICT, "busy", m),
        Error::Config(m) => ApiError::new(StatusCode::CONFLICT, "not_configured", m),
        other => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            other.to_string(),
        ),
    }
}

/// The routes over `service` (see the [module docs](self)).
pub fn router(service: Arc<Service>, options: HttpOptions) -> Router {
    Router::new()
        .route("/ask", post(ask))
        .route("/feedback", post(feedback))
        .route("/reload", post(reload))
        .route("/health", get(health))
        .route("/conversations/{id}", get(conversation))
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
