//! API tokens and roles.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::RwLock,
    time::{Duration, Instant},
};

use super::{Services, ids::TokenId, secrets};
use crate::{
    db::{self, models::NewApiToken},
    error::{AppError, AppResult, ErrorKind, Reason},
};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The organiser: everything.
    Admin,
    /// A registration desk: registration and badges.
    Desk,
    /// An entry gate: scans, its bundle, its watch stream.
    Gate,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Desk => "desk",
            Role::Gate => "gate",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "desk" => Ok(Role::Desk),
            "gate" => Ok(Role::Gate),
            other => Err(format!("unknown role {other:?} (admin, desk or gate)")),
        }
    }
}

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub token_id: TokenId,
    pub role: Role,
}

impl Principal {
    /// Fails with `PERMISSION_DENIED` unless the role is one of `allowed`.
    pub fn require(&self, allowed: &[Role]) -> AppResult<()> {
        if allowed.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        Err(AppError::new(
            ErrorKind::PermissionDenied,
            Reason::RoleNotAllowed,
            format!(
                "a {} token cannot make this call; it needs one of: {}",
                self.role.as_str(),
                names.join(", ")
            ),
        ))
    }
}

/// How long an authenticated token is trusted without asking the database.
const CACHE_TTL: Duration = Duration::from_secs(30);

/// Recently seen tokens, by hash.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<Vec<u8>, (Principal, Instant)>>,
}

impl TokenCache {
    fn get(&self, hash: &[u8]) -> Option<Principal> {
        let entries = self.entries.read().ok()?;
        let (principal, at) = entries.get(hash)?;
        (at.elapsed() < CACHE_TTL).then_some(*principal)
    }

    fn put(&self, hash: Vec<u8>, principal: Principal) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() > 10_000 {
                entries.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            }
            entries.insert(hash, (principal, Instant::now()));
        }
    }
}

fn unauthenticated(message: &str) -> AppError {
    AppError::new(ErrorKind::Unauthenticated, Reason::Unauthenticated, message)
}

impl Services {
    /// Creates a token; returns its id and its text (shown once, stored only
    /// as a hash). The creation is audited.
    pub async fn create_token(&self, name: &str, role: Role) -> AppResult<(TokenId, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::invalid_field("name", "1 to 200 characters"));
        }
        let text = secrets::new_token_text()?;
        let hash = secrets::token_hash(&text);
        let id = TokenId::generate();
        let mut conn = self.db.get().await?;
        crate::db::transaction::<_, AppError, _>(&mut conn, async move |conn| {
            db::tokens::insert(
                conn,
                &NewApiToken {
                    id,
                    name,
                    role: role.as_str(),
                    token_hash: &hash,
                },
            )
            .await?;
            db::audit::record(
                conn,
                &db::models::NewAuditEntry {
                    token_id: None,
                    action: "token.create",
                    entity_type: "api_token",
                    entity_id: id.0,
                    request_id: "",
                },
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok((id, text))
    }

    /// The principal of a bearer token; `UNAUTHENTICATED` when unknown.
    pub async fn authenticate(&self, cache: &TokenCache, token: &str) -> AppResult<Principal> {
        if token.is_empty() {
            return Err(unauthenticated(
                "missing token: send `authorization: Bearer <token>`",
            ));
        }
        let hash = secrets::token_hash(token);
        if let Some(principal) = cache.get(&hash) {
            return Ok(principal);
        }
        let mut conn = self.db.get().await?;
        let row = db::tokens::find_by_hash(&mut conn, &hash)
            .await?
            .ok_or_else(|| unauthenticated("unknown or revoked token"))?;
        // The lookup was by hash; compare again in constant time.
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            row.token_hash.as_slice(),
            hash.as_slice(),
        )) {
            return Err(unauthenticated("unknown or revoked token"));
        }
        let role = row
            .role
            .parse()
            .map_err(|e: String| AppError::internal(anyhow::anyhow!(e)))?;
        let principal = Principal {
            token_id: row.id,
            role,
        };
        cache.put(hash, principal);
        Ok(principal)
    }
}
