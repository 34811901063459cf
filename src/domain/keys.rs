//! Signing keys: one active per event (signs new badges), older ones still
//! verifying until retired.

use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::records::{Console, audit_row};
use super::{Principal, Services, events::EventKey, ids::EventId, secrets::DocumentVault};
use crate::{
    db::{
        self, Conn,
        keys::{KEY_ACTIVE, KEY_VERIFYING, SigningKeyRow},
    },
    error::{AppError, AppResult, Reason},
};

/// A key as operators see it: never the secret half.
#[derive(Debug, Clone)]
pub struct KeyView {
    pub key_id: u32,
    pub event_id: EventId,
    pub public_key: [u8; 32],
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

impl KeyView {
    /// The key id as printed: eight hex digits.
    pub fn id_text(&self) -> String {
        format!("{:08x}", self.key_id)
    }
}

fn view(row: &SigningKeyRow) -> AppResult<KeyView> {
    Ok(KeyView {
        key_id: key_id_of(row)?,
        event_id: row.event_id,
        public_key: row.public_key.as_slice().try_into().map_err(|_| {
            AppError::internal(anyhow::anyhow!("stored public key is not 32 bytes"))
        })?,
        status: row.status.clone(),
        created_at: row.created_at,
        retired_at: row.retired_at,
    })
}

fn key_id_of(row: &SigningKeyRow) -> AppResult<u32> {
    u32::try_from(row.key_id)
        .map_err(|_| AppError::internal(anyhow::anyhow!("stored key id out of range")))
}

impl Services {
    /// Whether the document key opens the signing keys this database holds
    /// (true when it holds none yet). A server given another key than the
    /// one the database was made with could not sign a badge nor read a
    /// travel document; `serve` refuses to start instead.
    pub async fn document_key_fits(&self) -> AppResult<bool> {
        let mut conn = self.db.get().await?;
        let rows = db::keys::verifying(&mut conn).await?;
        Ok(rows.iter().take(3).all(|row| {
            key_id_of(row)
                .is_ok_and(|id| self.vault.open_signing_key(id, &row.secret_cipher).is_ok())
        }))
    }
}

/// The public half of a stored key.
pub(crate) fn verifying_key(row: &SigningKeyRow) -> AppResult<VerifyingKey> {
    let bytes: [u8; 32] =
        row.public_key.as_slice().try_into().map_err(|_| {
            AppError::internal(anyhow::anyhow!("stored public key is not 32 bytes"))
        })?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| AppError::internal(anyhow::anyhow!("stored public key is invalid")))
}

fn random<const N: usize>() -> AppResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    Ok(bytes)
}

/// A new key row for an event, its secret sealed by the vault.
fn new_key(vault: &DocumentVault, event_id: EventId, status: &str) -> AppResult<SigningKeyRow> {
    let key_id = u32::from_be_bytes(random::<4>()?);
    let secret = random::<32>()?;
    let signing = SigningKey::from_bytes(&secret);
    Ok(SigningKeyRow {
        key_id: i64::from(key_id),
        event_id,
        public_key: signing.verifying_key().to_bytes().to_vec(),
        secret_cipher: vault.seal_signing_key(key_id, &secret)?,
        status: status.to_owned(),
        created_at: super::now(),
        retired_at: None,
    })
}

impl Services {
    /// The active key of an event, created on first use.
    pub(crate) async fn active_signer(
        &self,
        conn: &mut Conn,
        event_id: EventId,
    ) -> AppResult<(u32, SigningKey)> {
        // A fresh key collides with an existing id once in four billion
        // draws; a few attempts are plenty.
        for _ in 0..4 {
            if let Some(row) = db::keys::active(conn, event_id).await? {
                let key_id = key_id_of(&row)?;
                let secret = self.vault.open_signing_key(key_id, &row.secret_cipher)?;
                return Ok((key_id, SigningKey::from_bytes(&secret)));
            }
            let row = new_key(&self.vault, event_id, KEY_ACTIVE)?;
            if db::keys::insert(conn, &row).await? {
                db::audit::record(
                    conn,
                    &audit_row(&Console, "key.create", "event", event_id, ""),
                )
                .await?;
            }
        }
        Err(AppError::internal(anyhow::anyhow!(
            "could not create a signing key for event {event_id}"
        )))
    }

    /// Makes a new key the active one; the previous one keeps verifying.
    pub async fn rotate_key(
        &self,
        actor: Option<&Principal>,
        event_code: &str,
    ) -> AppResult<KeyView> {
        let event = self
            .get_event(EventKey::Code(event_code.to_owned()))
            .await?;
        if let Some(actor) = actor {
            actor.require_event(event.id)?;
        }
        let who = actor.map(|a| a.token_id);
        let mut conn = self.db.get().await?;
        let vault = self.vault.clone();
        let row = crate::domain::transaction(&mut conn, async move |conn| {
            db::keys::demote_active(conn, event.id).await?;
            for _ in 0..4 {
                let row = new_key(&vault, event.id, KEY_ACTIVE)?;
                if db::keys::insert(conn, &row).await? {
                    db::audit::record(conn, &audit_row(&who, "key.rotate", "event", event.id, ""))
                        .await?;
                    return Ok(row);
                }
            }
            Err(AppError::internal(anyhow::anyhow!(
                "could not insert a new key"
            )))
        })
        .await?;
        view(&row)
    }

    /// Retires verifying keys of an event: one (`key_id`) or all. The
    /// active key cannot be retired: rotate first.
    pub async fn retire_keys(
        &self,
        actor: Option<&Principal>,
        event_code: &str,
        key_id: Option<u32>,
    ) -> AppResult<Vec<KeyView>> {
        let event = self
            .get_event(EventKey::Code(event_code.to_owned()))
            .await?;
        if let Some(actor) = actor {
            actor.require_event(event.id)?;
        }
        let who = actor.map(|a| a.token_id);
        let mut conn = self.db.get().await?;
        let keys = db::keys::list(&mut conn, event.id).await?;
        if let Some(wanted) = key_id {
            let Some(row) = keys.iter().find(|k| k.key_id == i64::from(wanted)) else {
                return Err(AppError::not_found(
                    Reason::KeyNotFound,
                    format!("no key {wanted:08x} in {event_code}"),
                ));
            };
            if row.status == KEY_ACTIVE {
                return Err(AppError::precondition(
                    Reason::KeyActive,
                    format!("key {wanted:08x} signs new badges: rotate before retiring it"),
                ));
            }
        }
        let at = super::now();
        let retired = crate::domain::transaction(&mut conn, async move |conn| {
            let retired = db::keys::retire(conn, event.id, key_id.map(i64::from), at).await?;
            if !retired.is_empty() {
                db::audit::record(conn, &audit_row(&who, "key.retire", "event", event.id, ""))
                    .await?;
            }
            Ok(retired)
        })
        .await?;
        db::keys::list(&mut conn, event.id)
            .await?
            .iter()
            .filter(|k| retired.contains(&k.key_id))
            .map(view)
            .collect()
    }

    /// Every key of an event.
    pub async fn list_keys(&self, event_code: &str) -> AppResult<Vec<KeyView>> {
        let event = self
            .get_event(EventKey::Code(event_code.to_owned()))
            .await?;
        let mut conn = self.db.get().await?;
        db::keys::list(&mut conn, event.id)
            .await?
            .iter()
            .map(view)
            .collect()
    }
}

/// Whether a key of this status still verifies badges.
pub(crate) fn status_verifies(status: &str) -> bool {
    status == KEY_ACTIVE || status == KEY_VERIFYING
}
