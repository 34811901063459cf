//! The rules an event's gates decide with, read from the database: one
//! snapshot of keys, categories, zones, revocations and blocks makes both
//! the online rules (`offline::Rules`) and the offline bundle.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;

use crate::{
    db,
    domain::{
        Services,
        events::EventKey,
        keys::{status_verifies, verifying_key},
        offline::{BUNDLE_FORMAT, CategoryRule, GateDisplay, Rules, ZoneRule},
        qr::event_tag,
    },
    error::{AppError, AppResult},
    ids::{EventId, ZoneId},
    proto::pb,
};

/// A value that the packed lists of a bundle cannot hold: the rules are
/// refused rather than built without it (a gate would admit that badge).
fn out_of_range(what: &str, value: i64) -> AppError {
    AppError::internal(anyhow::anyhow!(
        "{what} {value} does not fit the offline bundle's packed format"
    ))
}

/// Revoked badges as (serial, version) in the widths tokens carry. Fails on
/// any value that does not fit.
fn narrow_revoked(revoked: &[(i64, i32)]) -> AppResult<Vec<(u32, u16)>> {
    revoked
        .iter()
        .map(|&(serial, version)| {
            Ok((
                u32::try_from(serial).map_err(|_| out_of_range("serial", serial))?,
                u16::try_from(version).map_err(|_| out_of_range("version", i64::from(version)))?,
            ))
        })
        .collect()
}

/// Blocked serials in the width tokens carry. Fails on any value that does
/// not fit.
fn narrow_blocked(blocked: &[i64]) -> AppResult<Vec<u32>> {
    blocked
        .iter()
        .map(|&serial| u32::try_from(serial).map_err(|_| out_of_range("blocked serial", serial)))
        .collect()
}

/// A signing key of the event as gates receive it.
struct SnapshotKey {
    key_id: u32,
    key: VerifyingKey,
    active: bool,
    created_at: DateTime<Utc>,
}

/// What an event's gates decide with, read from the database once: the
/// source of both the online rules and the offline bundle.
struct Snapshot {
    event: db::models::Event,
    keys: Vec<SnapshotKey>,
    categories: Vec<db::badges::NumberedCategory>,
    zones: Vec<db::badges::NumberedZone>,
    revoked: Vec<(u32, u16)>,
    blocked: Vec<u32>,
    version: u64,
}

impl Snapshot {
    fn zone_numbers(&self) -> HashMap<ZoneId, u8> {
        self.zones
            .iter()
            .filter_map(|z| Some((z.id, u8::try_from(z.number).ok()?)))
            .collect()
    }

    /// The rules an online gate decides with (keys of this event only).
    fn rules(&self) -> AppResult<Rules> {
        let number_of = self.zone_numbers();
        let time_zone = self.event.time_zone.parse().map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "stored time zone {} is unknown",
                self.event.time_zone
            ))
        })?;
        Ok(Rules {
            event_id: self.event.id,
            event_code: self.event.code.clone(),
            event_name: self.event.name.clone(),
            event_tag: event_tag(self.event.id),
            time_zone,
            keys: self.keys.iter().map(|k| (k.key_id, k.key)).collect(),
            revoked: self.revoked.iter().copied().collect(),
            blocked: self.blocked.iter().copied().collect(),
            categories: self
                .categories
                .iter()
                .filter_map(|c| {
                    Some((
                        u8::try_from(c.number).ok()?,
                        CategoryRule {
                            code: c.code.clone(),
                            name: c.name.clone(),
                            color: c.color.clone(),
                        },
                    ))
                })
                .collect(),
            zones: self
                .zones
                .iter()
                .filter_map(|z| {
                    Some(ZoneRule {
                        number: *number_of.get(&z.id)?,
                        code: z.code.clone(),
                        name: z.name.clone(),
                        parent: z.parent_zone_id.and_then(|p| number_of.get(&p).copied()),
                        capacity: u32::try_from(z.capacity).unwrap_or(0),
                    })
                })
                .collect(),
            version: self.version,
            display: GateDisplay {
                names: self.event.names_at_gates,
                photos: self.event.photos_at_gates,
            },
        })
    }

    /// The bundle an offline gate decides with.
    fn bundle(self) -> pb::OfflineBundle {
        let number_of = self.zone_numbers();
        let mut revoked = Vec::with_capacity(self.revoked.len() * 6);
        for (serial, version) in &self.revoked {
            revoked.extend_from_slice(&serial.to_be_bytes());
            revoked.extend_from_slice(&version.to_be_bytes());
        }
        let blocked = self.blocked.iter().flat_map(|s| s.to_be_bytes()).collect();
        let event = self.event;
        pb::OfflineBundle {
            format: BUNDLE_FORMAT,
            event_id: event.id.to_string(),
            event_code: event.code,
            event_tag: event_tag(event.id),
            time_zone: event.time_zone,
            first_day: event.first_day.to_string(),
            last_day: event.last_day.to_string(),
            keys: self
                .keys
                .iter()
                .map(|k| pb::BundleKey {
                    key_id: k.key_id,
                    public_key: k.key.to_bytes().to_vec(),
                    active: k.active,
                    valid_from: Some(prost_types::Timestamp {
                        seconds: k.created_at.timestamp(),
                        nanos: 0,
                    }),
                })
                .collect(),
            categories: self
                .categories
                .into_iter()
                .map(|c| pb::BundleCategory {
                    number: u32::try_from(c.number).unwrap_or(0),
                    zone_numbers: c
                        .zone_ids
                        .iter()
                        .flatten()
                        .filter_map(|id| number_of.get(id))
                        .map(|n| u32::from(*n))
                        .collect(),
                    valid_days: c
                        .valid_days
                        .iter()
                        .flatten()
                        .map(|d| d.to_string())
                        .collect(),
                    code: c.code,
                    name: c.name,
                    color: c.color,
                    name_ru: c.name_ru,
                    name_uz: c.name_uz,
                })
                .collect(),
            zones: self
                .zones
                .iter()
                .map(|z| pb::BundleZone {
                    number: u32::try_from(z.number).unwrap_or(0),
                    code: z.code.clone(),
                    name: z.name.clone(),
                    parent_number: z
                        .parent_zone_id
                        .and_then(|p| number_of.get(&p))
                        .map_or(0, |n| u32::from(*n)),
                    capacity: u32::try_from(z.capacity).unwrap_or(0),
                    name_ru: z.name_ru.clone(),
                    name_uz: z.name_uz.clone(),
                })
                .collect(),
            revoked,
            blocked,
            version: self.version,
            generated_at: Some(prost_types::Timestamp {
                seconds: chrono::Utc::now().timestamp(),
                nanos: 0,
            }),
            event_name: event.name,
        }
    }
}

impl Services {
    /// Reads what an event's gates decide with. Fails closed: a revoked or
    /// blocked badge whose numbers do not fit the token's widths is an
    /// error, never left out.
    async fn snapshot(&self, event_id: EventId) -> AppResult<Snapshot> {
        let mut conn = self.db.get().await?;
        // Read afresh: its gate display may have changed (rules are rebuilt
        // when the event's row changes).
        let event = self.fresh_event(&mut conn, event_id).await?;
        let mut keys = Vec::new();
        for row in db::keys::list(&mut conn, event.id).await? {
            if !status_verifies(&row.status) {
                continue;
            }
            keys.push(SnapshotKey {
                key_id: u32::try_from(row.key_id).map_err(|_| {
                    AppError::internal(anyhow::anyhow!("stored key id out of range"))
                })?,
                key: verifying_key(&row)?,
                active: row.status == crate::db::keys::KEY_ACTIVE,
                created_at: row.created_at,
            });
        }
        let categories = db::badges::numbered_categories(&mut conn, event.id).await?;
        let zones = db::badges::numbered_zones(&mut conn, event.id).await?;
        let revoked = narrow_revoked(&db::badges::revoked(&mut conn, event.id).await?)?;
        let blocked = narrow_blocked(&db::gates::blocked(&mut conn, event.id).await?)?;
        let version = u64::try_from(db::audit::last_id(&mut conn).await?).unwrap_or(0);
        Ok(Snapshot {
            event,
            keys,
            categories,
            zones,
            revoked,
            blocked,
            version,
        })
    }

    /// The rules of an event's gates, built straight from the database
    /// (the online path; the offline bundle carries the same content).
    pub(crate) async fn event_rules(&self, event_id: EventId) -> AppResult<Rules> {
        self.snapshot(event_id).await?.rules()
    }

    /// The offline bundle of an event.
    pub async fn offline_bundle(&self, event_id: EventId) -> AppResult<pb::OfflineBundle> {
        Ok(self.snapshot(event_id).await?.bundle())
    }

    /// The current bundle version (the same for every event: it grows with
    /// every change).
    pub async fn bundle_version(&self) -> AppResult<u64> {
        let mut conn = self.db.get().await?;
        Ok(u64::try_from(db::audit::last_id(&mut conn).await?).unwrap_or(0))
    }

    /// The offline bundle of an event given by code.
    pub async fn offline_bundle_by_code(&self, event_code: &str) -> AppResult<pb::OfflineBundle> {
        let event = self
            .get_event(EventKey::Code(event_code.to_owned()))
            .await?;
        self.offline_bundle(event.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::{narrow_blocked, narrow_revoked};

    #[test]
    fn a_bundle_fails_closed_on_values_it_cannot_pack() {
        assert_eq!(narrow_revoked(&[(1, 2)]).unwrap(), [(1, 2)]);
        assert!(narrow_revoked(&[(1, 2), (i64::from(u32::MAX) + 1, 1)]).is_err());
        assert!(narrow_revoked(&[(5, 70_000)]).is_err());
        assert!(narrow_revoked(&[(-1, 1)]).is_err());
        assert_eq!(narrow_blocked(&[7]).unwrap(), [7]);
        assert!(narrow_blocked(&[1 << 40]).is_err());
    }
}
