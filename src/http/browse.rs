//! The read routes of a help centre: the category directory, keyword search and the hot
//! questions (`GET /categories`, `GET /categories/{path}`, `GET /search?q=`, `GET /hot`).
//! Role `ask` (or `admin`), like asking.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, ErrorBody};
use crate::knowledge::browse::CategoryNode;
use crate::knowledge::search::SearchHit;
use crate::service::{CategoryListing, HotEntry};

/// Most hits `GET /search` returns.
const MAX_SEARCH_LIMIT: usize = 100;
/// Longest search text accepted, in characters.
const MAX_SEARCH_CHARS: usize = 200;

/// The answer to `GET /categories`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoriesResponse {
    /// Every category, depth first in path order, with entry counts.
    pub categories: Vec<CategoryNode>,
}

/// The query of `GET /search`.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// The words to look for in questions and answers.
    pub q: String,
    /// Most hits (default 10, at most 100).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// The answer to `GET /search`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// The entries containing the words, best first.
    pub hits: Vec<SearchHit>,
}

/// The answer to `GET /hot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HotResponse {
    /// The welcome list: the curated `[hot] entries`, or the most answered entries.
    pub entries: Vec<HotEntry>,
}

/// `GET /categories`.
#[utoipa::path(
    get,
    path = "/categories",
    tag = "ask",
    responses(
        (status = 200, description = "The category tree with entry counts", body = CategoriesResponse),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(super) async fn categories(State(state): State<Arc<AppState>>) -> Json<CategoriesResponse> {
    Json(CategoriesResponse {
        categories: state.service.categories(),
    })
}

/// `GET /categories/{path}`.
#[utoipa::path(
    get,
    path = "/categories/{path}",
    tag = "ask",
    params(("path" = String, Path, description = "The category path, `/` between levels (URL-encoded)")),
    responses(
        (status = 200, description = "The category, the categories under it and their entries", body = CategoryListing),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such category", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(super) async fn category(
    State(state): State<Arc<AppState>>,
    Path(path): Path<String>,
) -> Result<Json<CategoryListing>, ApiError> {
    state.service.category(&path).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no category \"{path}\" (see GET /categories)"),
        )
    })
}

/// `GET /search?q=`.
#[utoipa::path(
    get,
    path = "/search",
    tag = "ask",
    params(SearchParams),
    responses(
        (status = 200, description = "Entries containing the words, best first", body = SearchResponse),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 422, description = "`invalid_request`: `q` missing, empty or too long", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(super) async fn search(
    State(state): State<Arc<AppState>>,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let invalid = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", m);
    let Query(params) = params.map_err(|e| invalid(format!("{e}: use /search?q=WORDS")))?;
    if params.q.trim().is_empty() {
        return Err(invalid("`q` is empty: use /search?q=WORDS".into()));
    }
    if params.q.chars().count() > MAX_SEARCH_CHARS {
        return Err(invalid(format!(
            "`q` is longer than {MAX_SEARCH_CHARS} characters"
        )));
    }
    let limit = params.limit.unwrap_or(10).clamp(1, MAX_SEARCH_LIMIT);
    let service = Arc::clone(&state.service);
    let hits = tokio::task::spawn_blocking(move || service.search(&params.q, limit))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    Ok(Json(SearchResponse { hits }))
}

/// `GET /hot`.
#[utoipa::path(
    get,
    path = "/hot",
    tag = "ask",
    responses(
        (status = 200, description = "The welcome list of hot questions", body = HotResponse),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(super) async fn hot(State(state): State<Arc<AppState>>) -> Json<HotResponse> {
    Json(HotResponse {
        entries: state.service.hot(),
    })
}
