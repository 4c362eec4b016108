//! Several knowledge bases in one service: `/kbs/{name}/…` routes, each over its own
//! [`Service`] (its own bot and index, reload, query log and conversations).
//!
//! | method and path | role | answer |
//! |---|---|---|
//! | `GET /kbs` | ask | 200: a [`KbList`], the default first |
//! | `POST /kbs/{name}/ask` | ask | as `POST /ask`, in knowledge base `name` |
//! | `POST /kbs/{name}/feedback` | ask | as `POST /feedback` |
//! | `POST /kbs/{name}/reload` | admin | as `POST /reload`: only `name` is rebuilt |
//! | `GET /kbs/{name}/health` | — | as `GET /health`, for `name` alone |
//!
//! An unknown `name` is 404 `unknown_kb`. The routes without `/kbs/{name}` serve the
//! default knowledge base (the first). Conversations belong to one knowledge base: an id
//! given by one is unknown to the others.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};

use super::access::{Caller, Owners};
use super::{ApiError, ask_in, build_router, feedback_in, health_of, reload_in};
use super::{
    AppState, AskRequest, AskResponse, ErrorBody, FeedbackRequest, FeedbackResponse,
    HealthResponse, HttpOptions, service_error,
};
use crate::error::{Error, Result};
use crate::service::{ReloadReport, Service};

/// The name under which [`router`](super::router) also serves its one knowledge base.
pub const DEFAULT_KB: &str = "default";

/// Longest knowledge base name.
const MAX_NAME: usize = 64;

/// One knowledge base's service and the conversations its callers were given.
#[derive(Clone)]
pub(super) struct KbState {
    pub service: Arc<Service>,
    pub owners: Arc<Owners>,
}

/// The knowledge bases by name, the default first.
pub(super) struct Kbs {
    by_name: Vec<(String, KbState)>,
}

impl Kbs {
    /// One knowledge base, named [`DEFAULT_KB`].
    pub(super) fn one(service: Arc<Service>) -> Self {
        Kbs {
            by_name: vec![(
                DEFAULT_KB.to_string(),
                KbState {
                    service,
                    owners: Arc::default(),
                },
            )],
        }
    }

    /// The first knowledge base.
    pub(super) fn default_kb(&self) -> KbState {
        // `Kbs` is only made with at least one knowledge base.
        self.by_name[0].1.clone()
    }

    fn get(&self, name: &str) -> Result<KbState, ApiError> {
        self.by_name
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, kb)| kb.clone())
            .ok_or_else(|| {
                let known: Vec<&str> = self.by_name.iter().map(|(n, _)| n.as_str()).collect();
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_kb",
                    format!(
                        "no knowledge base \"{}\" (this service has: {})",
                        name.chars().take(MAX_NAME).collect::<String>(),
                        known.join(", ")
                    ),
                )
            })
    }

    /// Every knowledge base's service.
    pub(super) fn services(&self) -> Vec<Arc<Service>> {
        self.by_name
            .iter()
            .map(|(_, kb)| Arc::clone(&kb.service))
            .collect()
    }
}

/// The routes over several knowledge bases, by name: `/kbs/{name}/…` for each, and the
/// routes without `/kbs/{name}` for the first (see the [module docs](self) and
/// [`router`](super::router)).
///
/// ```
/// use std::sync::Arc;
/// use wenda::{Bot, KnowledgeBase, Service, http::{HttpOptions, router_with_kbs}};
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");
/// let insurance = Arc::new(Service::builder(Bot::build(KnowledgeBase::load(dir)?)?).build());
/// let bank = Arc::new(Service::builder(Bot::build(KnowledgeBase::load(dir)?)?).build());
/// let app = router_with_kbs(vec![("insurance".into(), insurance), ("bank".into(), bank)],
///                           HttpOptions::default())?;
/// # drop(app);
/// # Ok::<(), wenda::Error>(())
/// ```
///
/// # Errors
/// [`Error::Config`] when `kbs` is empty, a name is repeated, or a name is not 1 to 64
/// letters, digits, `-` and `_`.
pub fn router_with_kbs(kbs: Vec<(String, Arc<Service>)>, options: HttpOptions) -> Result<Router> {
    if kbs.is_empty() {
        return Err(Error::Config("no knowledge base to serve".into()));
    }
    let mut by_name: Vec<(String, KbState)> = Vec::with_capacity(kbs.len());
    for (name, service) in kbs {
        check_name(&name)?;
        if by_name.iter().any(|(n, _)| *n == name) {
            return Err(Error::Config(format!(
                "the knowledge base name \"{name}\" is given twice"
            )));
        }
        by_name.push((
            name,
            KbState {
                service,
                owners: Arc::default(),
            },
        ));
    }
    Ok(build_router(Kbs { by_name }, options))
}

/// A knowledge base's name: 1 to 64 ASCII letters, digits, `-` and `_`.
///
/// # Errors
/// [`Error::Config`] otherwise.
pub(super) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "\"{}\" is not a knowledge base name: use 1 to {MAX_NAME} letters, digits, `-` and `_`",
            name.chars().take(MAX_NAME).collect::<String>()
        )))
    }
}

/// The route a path names within its knowledge base: `/kbs/NAME/ask` → `/ask`; other
/// paths as they are.
pub(super) fn route_in_kb(path: &str) -> &str {
    path.strip_prefix("/kbs/")
        .and_then(|rest| rest.find('/').map(|slash| &rest[slash..]))
        .unwrap_or(path)
}

/// The `/kbs` routes.
pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/kbs", get(list_kbs))
        .route("/kbs/{name}/ask", post(kb_ask))
        .route("/kbs/{name}/feedback", post(kb_feedback))
        .route("/kbs/{name}/reload", post(kb_reload))
        .route("/kbs/{name}/health", get(kb_health))
}

/// A knowledge base in `GET /kbs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KbSummary {
    /// Its name, as in `/kbs/{name}/ask`.
    pub name: String,
    /// FAQ entries of its current bot.
    pub entries: usize,
    /// Its bots swapped in so far (each reloads on its own).
    pub generation: u64,
    /// Whether the routes without `/kbs/{name}` serve it.
    pub default: bool,
}

/// The answer to `GET /kbs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KbList {
    /// The knowledge bases, the default first.
    pub kbs: Vec<KbSummary>,
}

/// `GET /kbs`.
#[utoipa::path(
    get,
    path = "/kbs",
    tag = "ask",
    responses(
        (status = 200, description = "The knowledge bases, the default first", body = KbList),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(super) async fn list_kbs(State(state): State<Arc<AppState>>) -> Json<KbList> {
    let kbs = state
        .kbs
        .by_name
        .iter()
        .enumerate()
        .map(|(i, (name, kb))| {
            let status = kb.service.status();
            KbSummary {
                name: name.clone(),
                entries: status.entries,
                generation: status.generation,
                default: i == 0,
            }
        })
        .collect();
    Json(KbList { kbs })
}

/// `POST /kbs/{name}/ask`.
#[utoipa::path(
    post,
    path = "/kbs/{name}/ask",
    tag = "ask",
    params(("name" = String, Path, description = "The knowledge base's name")),
    request_body = AskRequest,
    responses(
        (status = 200, description = "The reply, with the conversation id to send next time", body = AskResponse),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`unknown_kb`, `unknown_conversation`", body = ErrorBody),
        (status = 413, description = "`body_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`invalid_request`, `message_too_long`", body = ErrorBody),
        (status = 429, description = "`too_many_conversations`, `rate_limited`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: the conversation store (Redis) cannot be reached; the message was not answered", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(super) async fn kb_ask(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<AskRequest>, JsonRejection>,
) -> Result<Json<AskResponse>, ApiError> {
    let kb = state.kbs.get(&name)?;
    let Json(req) = body?;
    ask_in(&state, kb, caller, req).await
}

/// `POST /kbs/{name}/feedback`.
#[utoipa::path(
    post,
    path = "/kbs/{name}/feedback",
    tag = "ask",
    params(("name" = String, Path, description = "The knowledge base's name")),
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "Recorded", body = FeedbackResponse),
        (status = 400, description = "`malformed_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`unknown_kb`; `not_found`: a reply id this knowledge base did not give", body = ErrorBody),
        (status = 409, description = "`already_recorded`", body = ErrorBody),
        (status = 422, description = "`invalid_request`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(super) async fn kb_feedback(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    body: Result<Json<FeedbackRequest>, JsonRejection>,
) -> Result<Json<FeedbackResponse>, ApiError> {
    let kb = state.kbs.get(&name)?;
    let Json(req) = body?;
    feedback_in(&kb.service, &req)
}

/// `POST /kbs/{name}/reload`.
#[utoipa::path(
    post,
    path = "/kbs/{name}/reload",
    tag = "admin",
    params(("name" = String, Path, description = "The knowledge base's name")),
    responses(
        (status = 200, description = "The new knowledge base serves (the others are untouched)", body = ReloadReport),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`unknown_kb`", body = ErrorBody),
        (status = 409, description = "`busy`, `not_configured`, `stale_index`, `embedder_mismatch`", body = ErrorBody),
        (status = 422, description = "`invalid_knowledge` (with `problems`), `empty_knowledge_base`, `bad_model`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 500, description = "`index_error`, `wrong_dimension`, `internal`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(super) async fn kb_reload(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Json<ReloadReport>, ApiError> {
    let kb = state.kbs.get(&name)?;
    reload_in(kb.service).await
}

/// `GET /kbs/{name}/health`.
#[utoipa::path(
    get,
    path = "/kbs/{name}/health",
    tag = "open",
    params(("name" = String, Path, description = "The knowledge base's name")),
    responses(
        (status = 200, description = "`{\"status\": \"ok\"}`, with this knowledge base's counters for an admin", body = HealthResponse),
        (status = 401, description = "`unauthorized`: a wrong key", body = ErrorBody),
        (status = 404, description = "`unknown_kb`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`: its conversation store (Redis) cannot be reached", body = ErrorBody),
    ),
    security((), ("bearer" = []), ("api_key" = []))
)]
pub(super) async fn kb_health(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    caller: Option<Extension<Caller>>,
) -> Result<Json<HealthResponse>, ApiError> {
    let kb = state.kbs.get(&name)?;
    let service = Arc::clone(&kb.service);
    tokio::task::spawn_blocking(move || service.check_store().map_err(service_error))
        .await
        .map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })??;
    Ok(health_of(&kb.service, caller))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_in_a_kb_and_names() {
        assert_eq!(route_in_kb("/kbs/bank/ask"), "/ask");
        assert_eq!(route_in_kb("/kbs/bank/health"), "/health");
        assert_eq!(route_in_kb("/kbs"), "/kbs");
        assert_eq!(route_in_kb("/kbs/bank"), "/kbs/bank");
        assert_eq!(route_in_kb("/ask"), "/ask");
        assert!(check_name("car-insurance_2").is_ok());
        for bad in ["", "a/b", "车险", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
