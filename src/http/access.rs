//! Who may call what: API keys and their roles, the caller of a request, and which
//! conversations each caller was given.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use tower_governor::GovernorError;
use tower_governor::key_extractor::KeyExtractor;

use super::{ApiError, AppState};

/// Shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `POST /ask` and `POST /feedback`, in the conversations the caller was given.
    Ask,
    /// Everything: also `POST /reload`, `GET /conversations/{id}`, `GET /stats`, and
    /// conversation ids of the caller's choosing.
    Admin,
}

impl Role {
    fn may(self, needed: Role) -> bool {
        self == Role::Admin || needed == Role::Ask
    }
}

/// One API key: a name (who; what the logs and limits use) and a role. The secret is
/// never shown (`Debug` leaves it out).
#[derive(Clone)]
struct ApiKey {
    name: String,
    role: Role,
    secret: Vec<u8>,
}

/// The API keys the service accepts. Empty: no keys, and only loopback clients are served.
///
/// The text form (a keys file, or the value of an environment variable) has one key per
/// line or whitespace-separated word, `ROLE:NAME:KEY`, with `ROLE` `ask` or `admin`, `NAME`
/// the caller's name (letters, digits, `-`, `_`, `.`) and `KEY` the secret, at least 16
/// bytes; lines starting with `#` are comments:
///
/// ```text
/// # frontends
/// ask:web-frontend:3f1c0c7e5b2a4d9e8f7a6b5c
/// admin:ops:9b8a7c6d5e4f3a2b1c0d9e8f
/// ```
#[derive(Clone, Default)]
pub struct ApiKeys {
    keys: Arc<Vec<ApiKey>>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<(&str, Role)> = self
            .keys
            .iter()
            .map(|k| (k.name.as_str(), k.role))
            .collect();
        f.debug_struct("ApiKeys").field("keys", &names).finish()
    }
}

impl ApiKeys {
    /// Parses the text form (see the [type docs](ApiKeys)). Errors name the line, never
    /// its text (it holds a secret).
    pub fn parse(text: &str) -> Result<ApiKeys, String> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            for word in line.split_whitespace() {
                let mut parts = word.splitn(3, ':');
                let (Some(role), Some(name), Some(secret)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(format!("line {}: expected ROLE:NAME:KEY", n + 1));
                };
                let role = match role {
                    "ask" => Role::Ask,
                    "admin" => Role::Admin,
                    _ => return Err(format!("line {}: the role is `ask` or `admin`", n + 1)),
                };
                let name_ok = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !name_ok {
                    return Err(format!(
                        "line {}: a key's name has letters, digits, `-`, `_` and `.`",
                        n + 1
                    ));
                }
                if secret.len() < MIN_KEY_BYTES {
                    return Err(format!(
                        "line {}: the key of `{name}` is shorter than {MIN_KEY_BYTES} bytes",
                        n + 1
                    ));
                }
                keys.push(ApiKey {
                    name: name.to_string(),
                    role,
                    secret: secret.as_bytes().to_vec(),
                });
            }
        }
        Ok(ApiKeys {
            keys: Arc::new(keys),
        })
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The key matching `presented`, comparing with every key in constant time.
    fn find(&self, presented: &[u8]) -> Option<&ApiKey> {
        let mut found = None;
        for key in self.keys.iter() {
            if bool::from(key.secret.as_slice().ct_eq(presented)) {
                found = Some(key);
            }
        }
        found
    }
}

/// Who is calling: the key's name and role (`loopback`, admin, when no keys are
/// configured).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Caller {
    pub name: String,
    pub role: Role,
}

/// The role a path needs; `None`: open to everyone (health, the API description).
/// `/kbs/{name}/ROUTE` needs what `/ROUTE` needs.
fn needed_role(path: &str) -> Option<Role> {
    match super::kbs::route_in_kb(path) {
        "/health" | "/openapi.json" => None,
        "/ask" | "/feedback" | "/kbs" | "/categories" | "/search" | "/hot" => Some(Role::Ask),
        p if p.starts_with("/categories/") => Some(Role::Ask),
        _ => Some(Role::Admin),
    }
}

/// The key presented: `Authorization: Bearer KEY` or `X-Api-Key: KEY`.
fn presented(headers: &HeaderMap) -> Option<&[u8]> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let v = v.as_bytes();
        return v.strip_prefix(b"Bearer ").map(<[u8]>::trim_ascii);
    }
    headers.get("x-api-key").map(|v| v.as_bytes().trim_ascii())
}

fn unauthorized(message: &str) -> Response {
    let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    r
}

/// The middleware: finds the caller (401 when the key is missing or wrong, 403 when its
/// role may not use the endpoint) and hands it to the handlers.
pub(super) async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let needed = needed_role(request.uri().path());
    let caller = if state.keys.is_empty() {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if !peer.is_some_and(|ip| ip.is_loopback()) {
            return unauthorized(
                "no API keys are configured: only clients on this machine (loopback) are served",
            );
        }
        Some(Caller {
            name: "loopback".into(),
            role: Role::Admin,
        })
    } else {
        presented(request.headers())
            .and_then(|k| state.keys.find(k))
            .map(|k| Caller {
                name: k.name.clone(),
                role: k.role,
            })
    };
    match (needed, caller) {
        (None, caller) => {
            if let Some(c) = caller {
                request.extensions_mut().insert(c);
            }
            next.run(request).await
        }
        (Some(_), None) => unauthorized(
            "a valid API key is needed: send `Authorization: Bearer KEY` (or `X-Api-Key: KEY`)",
        ),
        (Some(needed), Some(c)) if !c.role.may(needed) => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this key's role may not use this endpoint (it needs the admin role)",
        )
        .into_response(),
        (Some(_), Some(c)) => {
            request.extensions_mut().insert(c);
            next.run(request).await
        }
    }
}

/// Rate limits are kept per caller (the key's name), after authentication; requests
/// without a caller (the open endpoints) share one bucket.
#[derive(Debug, Clone, Copy)]
pub(super) struct CallerKey;

impl KeyExtractor for CallerKey {
    type Key = String;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<String, GovernorError> {
        Ok(req
            .extensions()
            .get::<Caller>()
            .map_or_else(String::new, |c| c.name.clone()))
    }
}

/// Which caller each conversation was given to, while it is live.
#[derive(Debug, Default)]
pub(super) struct Owners {
    inner: Mutex<HashMap<String, (String, Instant)>>,
}

/// Why a conversation cannot be used by a caller.
pub(super) enum Refused {
    /// Never given to this caller (or expired).
    Unknown,
    /// The caller holds its most conversations already.
    TooMany(usize),
}

impl Owners {
    /// Lets `caller` use conversation `id`: one it was given and that is live, or, for an
    /// admin, any id. `None` asks for a new conversation, counted against
    /// `max_per_client`; `Ok` is the conversation's id.
    pub(super) fn admit(
        &self,
        caller: &Caller,
        id: Option<String>,
        max_per_client: usize,
        idle: Duration,
        new_id: impl FnOnce() -> String,
    ) -> Result<String, Refused> {
        let mut map = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if let Some(id) = &id {
            let live = map
                .get_mut(id)
                .filter(|(_, at)| now.duration_since(*at) < idle);
            match live {
                // Its owner, or an admin (the owner stays the owner).
                Some((owner, at)) if *owner == caller.name || caller.role == Role::Admin => {
                    *at = now;
                    return Ok(id.clone());
                }
                _ if caller.role != Role::Admin => return Err(Refused::Unknown),
                _ => {}
            }
        }
        map.retain(|_, (_, at)| now.duration_since(*at) < idle);
        let held = map.values().filter(|(o, _)| *o == caller.name).count();
        if held >= max_per_client {
            return Err(Refused::TooMany(max_per_client));
        }
        let id = id.unwrap_or_else(new_id);
        map.insert(id.clone(), (caller.name.clone(), now));
        Ok(id)
    }
}

impl Owners {
    /// Records `caller` as the owner of conversation `id`, given to it by another replica
    /// (the shared store says so), so that this replica admits it from now on.
    pub(super) fn adopt(&self, caller: &Caller, id: &str) {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_string(), (caller.name.clone(), Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_errors_never_show_the_secret() {
        let keys = ApiKeys::parse(
            "# comment\nask:web:0123456789abcdef\n\nadmin:ops:fedcba9876543210 ask:app:aaaaaaaaaaaaaaaa:b",
        )
        .unwrap_or_default();
        assert_eq!(keys.len(), 3);
        assert_eq!(
            keys.find(b"aaaaaaaaaaaaaaaa:b").map(|k| k.role),
            Some(Role::Ask)
        );
        assert_eq!(
            keys.find(b"fedcba9876543210").map(|k| k.role),
            Some(Role::Admin)
        );
        assert!(keys.find(b"fedcba987654321").is_none());
        assert!(!format!("{keys:?}").contains("0123456789abcdef"));
        for bad in [
            "ask:web",
            "root:web:0123456789abcdef",
            "ask:w b:0123456789abcdef",
            "ask:web:short",
        ] {
            let e = ApiKeys::parse(bad).err().unwrap_or_default();
            assert!(e.starts_with("line 1"), "{bad}: {e}");
            assert!(
                !e.contains("0123456789abcdef") && !e.contains("tiny1"),
                "{e}"
            );
        }
    }

    #[test]
    fn conversations_are_admitted_to_their_owner_only() {
        let owners = Owners::default();
        let idle = Duration::from_secs(3600);
        let a = Caller {
            name: "a".into(),
            role: Role::Ask,
        };
        let b = Caller {
            name: "b".into(),
            role: Role::Ask,
        };
        let admin = Caller {
            name: "ops".into(),
            role: Role::Admin,
        };
        let id = owners.admit(&a, None, 2, idle, || "c-1".into()).ok();
        assert_eq!(id.as_deref(), Some("c-1"));
        assert!(
            owners
                .admit(&a, Some("c-1".into()), 2, idle, String::new)
                .is_ok()
        );
        assert!(matches!(
            owners.admit(&b, Some("c-1".into()), 2, idle, String::new),
            Err(Refused::Unknown)
        ));
        assert!(matches!(
            owners.admit(&a, Some("c-9".into()), 2, idle, String::new),
            Err(Refused::Unknown)
        ));
        assert!(owners.admit(&a, None, 2, idle, || "c-2".into()).is_ok());
        assert!(matches!(
            owners.admit(&a, None, 2, idle, || "c-3".into()),
            Err(Refused::TooMany(2))
        ));
        assert_eq!(
            owners
                .admit(&admin, Some("my-own".into()), 2, idle, String::new)
                .ok()
                .as_deref(),
            Some("my-own")
        );
        // An admin may continue a's conversation, which stays a's.
        assert!(
            owners
                .admit(&admin, Some("c-1".into()), 2, idle, String::new)
                .is_ok()
        );
        assert!(
            owners
                .admit(&a, Some("c-1".into()), 2, idle, String::new)
                .is_ok()
        );
    }
}
