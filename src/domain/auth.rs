//! API tokens and roles.

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};

use super::records::audit_row;
use super::{
    Services,
    ids::{EventId, GateId, TokenId},
    secrets,
    validate::Validator,
};
use crate::words::Violation;
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

/// Who is calling, and where its token may act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub token_id: TokenId,
    pub role: Role,
    /// The event the token is for; `None`: every event.
    pub event: Option<EventId>,
    /// The gates a gate token may act at; empty: every gate of its event.
    pub gates: Arc<[GateId]>,
    /// When the token stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Principal {
    /// A token for every event and gate, without expiry.
    pub fn unscoped(token_id: TokenId, role: Role) -> Self {
        Self {
            token_id,
            role,
            event: None,
            gates: Arc::from(Vec::new()),
            expires_at: None,
        }
    }

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

    /// Fails with `PERMISSION_DENIED` (`EVENT_NOT_ALLOWED`) when the token
    /// is for another event.
    pub fn require_event(&self, event: EventId) -> AppResult<()> {
        match self.event {
            Some(own) if own != event => Err(AppError::new(
                ErrorKind::PermissionDenied,
                Reason::EventNotAllowed,
                "this token is for another event",
            )),
            _ => Ok(()),
        }
    }

    /// Fails with `EVENT_NOT_ALLOWED` when the token is for one event: the
    /// call concerns all of them (creating an event).
    pub fn require_every_event(&self) -> AppResult<()> {
        if self.event.is_some() {
            return Err(AppError::new(
                ErrorKind::PermissionDenied,
                Reason::EventNotAllowed,
                "this token is for one event only",
            ));
        }
        Ok(())
    }

    /// As [`Principal::require_event`] for the gate's event, then
    /// `GATE_NOT_ALLOWED` when the token names gates and not this one.
    pub fn require_gate(&self, gate: GateId, event: EventId) -> AppResult<()> {
        self.require_event(event)?;
        if self.gates.is_empty() || self.gates.contains(&gate) {
            return Ok(());
        }
        Err(AppError::new(
            ErrorKind::PermissionDenied,
            Reason::GateNotAllowed,
            "this token may not act for this gate",
        ))
    }

    /// Whether the token has expired at `now`.
    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// How long an authenticated token is trusted without asking the database.
/// Revocations do not wait for it: they are announced (`GateHub`).
const CACHE_TTL: Duration = Duration::from_secs(30);

/// Recently seen tokens, by hash.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<Vec<u8>, (Principal, Instant)>>,
    /// Bumped by every forgetting: a lookup that began before one does not
    /// cache what it read (the token may have been revoked meanwhile).
    generation: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    fn get(&self, hash: &[u8]) -> Option<Principal> {
        let entries = self.entries.read().ok()?;
        let (principal, at) = entries.get(hash)?;
        (at.elapsed() < CACHE_TTL).then(|| principal.clone())
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Caches a token read when the cache was at `generation`, unless a
    /// token was forgotten since.
    fn put(&self, hash: Vec<u8>, principal: Principal, generation: u64) {
        if let Ok(mut entries) = self.entries.write() {
            if self.generation() != generation {
                return;
            }
            if entries.len() > 10_000 {
                entries.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
            }
            entries.insert(hash, (principal, Instant::now()));
        }
    }

    /// Forgets a revoked token.
    pub(crate) fn forget(&self, token: TokenId) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            entries.retain(|_, (p, _)| p.token_id != token);
        }
    }

    /// Forgets every token (revocations may have been missed).
    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            entries.clear();
        }
    }
}

fn unauthenticated(message: &str) -> AppError {
    AppError::new(ErrorKind::Unauthenticated, Reason::Unauthenticated, message)
}

/// A token to make: its role and scope.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    /// The event's code; `None`: every event.
    pub event_code: Option<String>,
    /// Gate codes of that event (gate tokens only); empty: every gate.
    pub gate_codes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewToken {
    /// The token checked as far as it can be without the database: a name,
    /// an expiry to come, gates only for a gate token and with its event.
    /// Every violation at once.
    pub fn check(self) -> AppResult<TokenSpec> {
        let mut v = Validator::new();
        let spec = self.check_into(&mut v);
        v.finish()?;
        Ok(spec)
    }

    /// As [`check`](Self::check), adding its violations to `v`'s.
    pub(crate) fn check_into(self, v: &mut Validator) -> TokenSpec {
        let name = v.required_text("name", &self.name, 200);
        if self.expires_at.is_some_and(|at| at <= super::now()) {
            v.violation("expires", Violation::NotInTheFuture);
        }
        let event_code = self
            .event_code
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty());
        if self.role != Role::Gate && !self.gate_codes.is_empty() {
            v.violation("gates", Violation::GatesOnlyForGateTokens);
        }
        if event_code.is_none() && !self.gate_codes.is_empty() {
            v.violation("gates", Violation::GatesNeedTheEvent);
        }
        TokenSpec {
            name,
            role: self.role,
            event_code,
            gate_codes: self
                .gate_codes
                .iter()
                .map(|g| g.trim().to_uppercase())
                .collect(),
            expires_at: self.expires_at,
        }
    }
}

/// A token to make, checked (`NewToken::check`): what the use cases take.
/// Its event and gates are resolved when it is made.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) event_code: Option<String>,
    pub(crate) gate_codes: Vec<String>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl TokenSpec {
    pub fn role(&self) -> Role {
        self.role
    }
}

/// A token as listed: never its secret.
#[derive(Debug, Clone)]
pub struct TokenView {
    pub id: TokenId,
    pub name: String,
    pub role: String,
    pub event_code: Option<String>,
    pub gate_codes: Vec<String>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Services {
    /// Creates a token for every event; returns its id and its text.
    pub async fn create_token(&self, name: &str, role: Role) -> AppResult<(TokenId, String)> {
        let token = NewToken {
            name: name.to_owned(),
            role,
            event_code: None,
            gate_codes: Vec::new(),
            expires_at: None,
        };
        self.create_scoped_token(None, token.check()?).await
    }

    /// Creates a token; returns its id and its text (shown once, stored
    /// only as a hash). `actor` is who makes it (`None`: the command line).
    /// The creation is audited.
    pub async fn create_scoped_token(
        &self,
        actor: Option<&Principal>,
        token: TokenSpec,
    ) -> AppResult<(TokenId, String)> {
        let mut conn = self.db.get().await?;
        let (event_id, gate_ids) = self.token_scope(&mut conn, actor, &token).await?;
        let name = token.name.clone();
        let created_by = actor.map(|a| a.token_id);
        let expires_at = token.expires_at;
        let role = token.role;
        let services = self.clone();
        crate::domain::transaction(&mut conn, async move |conn| {
            services
                .insert_token(
                    conn, created_by, &name, role, event_id, gate_ids, expires_at,
                )
                .await
        })
        .await
    }

    /// Writes a new token and its audit row in the caller's transaction;
    /// returns its id and text (stored only as a hash).
    #[expect(clippy::too_many_arguments, reason = "the columns of a token")]
    pub(crate) async fn insert_token(
        &self,
        conn: &mut db::Conn,
        created_by: Option<TokenId>,
        name: &str,
        role: Role,
        event_id: Option<EventId>,
        gate_ids: Vec<Option<GateId>>,
        expires_at: Option<DateTime<Utc>>,
    ) -> AppResult<(TokenId, String)> {
        let text = secrets::new_token_text()?;
        let hash = secrets::token_hash(&text);
        let id = TokenId::generate();
        let row = NewApiToken {
            id,
            name,
            role: role.as_str(),
            token_hash: &hash,
            event_id,
            gate_ids,
            expires_at,
            created_by,
        };
        db::tokens::insert(conn, &row).await?;
        db::audit::record(
            conn,
            &audit_row(&created_by, "token.create", "api_token", id, ""),
        )
        .await?;
        Ok((id, text))
    }

    /// The event and gates of a token (or an enrolment code) resolved: an
    /// event that exists and that `actor` may act for, gates of that event.
    pub(crate) async fn token_scope(
        &self,
        conn: &mut db::Conn,
        actor: Option<&Principal>,
        token: &TokenSpec,
    ) -> AppResult<(Option<EventId>, Vec<Option<GateId>>)> {
        let (event_code, gate_codes) = (token.event_code.as_deref(), &token.gate_codes);
        let event = match event_code {
            None => None,
            Some(code) => Some(
                db::events::find_event_by_code(conn, code)
                    .await?
                    .ok_or_else(|| {
                        AppError::not_found(Reason::EventNotFound, format!("no event {code}"))
                    })?
                    .id,
            ),
        };
        match (actor, event) {
            (Some(actor), Some(event)) => actor.require_event(event)?,
            (Some(actor), None) => actor.require_every_event()?,
            _ => {}
        }
        let mut gate_ids = Vec::new();
        if let Some(event) = event
            && !gate_codes.is_empty()
        {
            let gates = db::events::list_gates(conn, event).await?;
            let mut v = Validator::new();
            for (i, code) in gate_codes.iter().enumerate() {
                match gates.iter().find(|g| &g.code == code) {
                    Some(g) => gate_ids.push(Some(g.id)),
                    None => v.violation(&format!("gates[{i}]"), Violation::UnknownGate),
                }
            }
            v.finish()?;
        }
        Ok((event, gate_ids))
    }

    /// Tokens, newest first: those for `event_code` and those for every
    /// event, or all of them. An event-scoped caller sees its event's only
    /// (not the tokens for every event).
    pub async fn list_tokens(
        &self,
        actor: Option<&Principal>,
        event_code: Option<&str>,
    ) -> AppResult<Vec<TokenView>> {
        let mut conn = self.db.get().await?;
        let mut event = match event_code {
            None => None,
            Some(code) => Some(
                db::events::find_event_by_code(&mut conn, &code.trim().to_uppercase())
                    .await?
                    .ok_or_else(|| {
                        AppError::not_found(Reason::EventNotFound, format!("no event {code}"))
                    })?
                    .id,
            ),
        };
        let scoped = actor.and_then(|a| a.event);
        if let Some(scoped) = scoped {
            if let Some(asked) = event {
                actor.map_or(Ok(()), |a| a.require_event(asked))?;
            }
            event = Some(scoped);
        }
        let rows = db::tokens::list(&mut conn, event, scoped.is_none()).await?;
        let names: HashMap<TokenId, String> = rows.iter().map(|r| (r.id, r.name.clone())).collect();
        let mut gate_codes: HashMap<GateId, String> = HashMap::new();
        let mut event_codes: HashMap<EventId, String> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(e) = row.event_id
                && !event_codes.contains_key(&e)
            {
                let found = self.event(&mut conn, e).await?;
                event_codes.insert(e, found.code);
                for g in db::events::list_gates(&mut conn, e).await? {
                    gate_codes.insert(g.id, g.code);
                }
            }
            let created_by = match row.created_by {
                None => None,
                Some(id) => match names.get(&id) {
                    Some(name) => Some(name.clone()),
                    None => db::tokens::find(&mut conn, id).await?.map(|t| t.name),
                },
            };
            out.push(TokenView {
                id: row.id,
                name: row.name,
                role: row.role,
                event_code: row.event_id.and_then(|e| event_codes.get(&e).cloned()),
                gate_codes: row
                    .gate_ids
                    .iter()
                    .flatten()
                    .filter_map(|g| gate_codes.get(g).cloned())
                    .collect(),
                created_by,
                created_at: row.created_at,
                last_used_at: row.last_used_at,
                expires_at: row.expires_at,
                revoked_at: row.revoked_at,
            });
        }
        Ok(out)
    }

    /// Revokes a token: refused on every instance within the
    /// notification's round trip, here at once. Revoking a revoked token
    /// changes nothing. Audited.
    pub async fn revoke_token(&self, actor: Option<&Principal>, id: TokenId) -> AppResult<()> {
        let mut conn = self.db.get().await?;
        let audit = audit_row(&actor, "token.revoke", "api_token", id, "");
        let scope = actor.and_then(|a| a.event);
        crate::domain::transaction(&mut conn, async move |conn| {
            let token = db::tokens::find(conn, id).await?.ok_or_else(|| {
                AppError::not_found(Reason::TokenNotFound, format!("no token {id}"))
            })?;
            if let Some(scope) = scope
                && token.event_id != Some(scope)
            {
                return Err(AppError::new(
                    ErrorKind::PermissionDenied,
                    Reason::EventNotAllowed,
                    "this token is for another event",
                ));
            }
            if db::tokens::revoke(conn, id, super::now()).await? {
                db::audit::record(conn, &audit).await?;
            }
            Ok(())
        })
        .await?;
        self.tokens.forget(id);
        Ok(())
    }

    /// The principal of a bearer token; `UNAUTHENTICATED` when unknown,
    /// revoked or expired.
    pub async fn authenticate(&self, token: &str) -> AppResult<Principal> {
        if token.is_empty() {
            return Err(unauthenticated(
                "missing token: send `authorization: Bearer <token>`",
            ));
        }
        // Revocations reach the cache through the gate channel.
        self.start_hub();
        let hash = secrets::token_hash(token);
        let now = super::now();
        if let Some(principal) = self.tokens.get(&hash) {
            return live(principal, now);
        }
        let generation = self.tokens.generation();
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
            event: row.event_id,
            gates: row.gate_ids.iter().flatten().copied().collect(),
            expires_at: row.expires_at,
        };
        let principal = live(principal, now)?;
        // The last use is a courtesy: a database that refuses writes (a
        // standby being promoted) does not refuse the caller for it.
        if let Err(e) = db::tokens::touch(&mut conn, row.id, now).await {
            tracing::debug!("last use of a token not recorded: {e}");
        }
        self.tokens.put(hash, principal.clone(), generation);
        Ok(principal)
    }
}

/// The principal, unless its token has expired.
fn live(principal: Principal, now: DateTime<Utc>) -> AppResult<Principal> {
    if principal.expired(now) {
        return Err(AppError::new(
            ErrorKind::Unauthenticated,
            Reason::TokenExpired,
            "this token has expired",
        ));
    }
    Ok(principal)
}
