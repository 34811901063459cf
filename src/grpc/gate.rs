//! `expopass.v1.GateService`; needs the gate or admin role. Replies carry
//! no contact data and no documents.

use std::{collections::HashMap, pin::Pin};

use prost::Message as _;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::{Stream, StreamExt as _, wrappers::ReceiverStream};
use tonic::{Request, Response, Status, Streaming};

use super::{ApiState, id_field, timestamp};
use crate::words::Violation;
use crate::{
    domain::{
        Role,
        gates::{OfflineScanInput, ScanRequest},
        hub::GateEvent,
        validate::Validator,
    },
    error::AppError,
    ids::{EventId, GateId},
    proto::pb::{self, gate_service_server::GateService},
    vocab::{ConflictKind, Decision, DenyReason, Direction},
};

/// Implements `GateService`.
#[derive(Clone)]
pub(crate) struct GateApi {
    state: ApiState,
}

impl GateApi {
    pub(crate) fn new(state: ApiState) -> Self {
        Self { state }
    }
}

const GATE: &[Role] = &[Role::Gate, Role::Admin];
/// Most scans one upload may carry.
const UPLOAD_MAX: usize = 200_000;

/// The one mapping of deny reasons to the wire.
fn reason_pb(reason: DenyReason) -> pb::DenyReason {
    match reason {
        DenyReason::Malformed => pb::DenyReason::Malformed,
        DenyReason::UnknownKey => pb::DenyReason::UnknownKey,
        DenyReason::BadSignature => pb::DenyReason::BadSignature,
        DenyReason::WrongEvent => pb::DenyReason::WrongEvent,
        DenyReason::Revoked => pb::DenyReason::Revoked,
        DenyReason::Blocked => pb::DenyReason::Blocked,
        DenyReason::NotValidToday => pb::DenyReason::NotValidToday,
        DenyReason::ZoneNotAllowed => pb::DenyReason::ZoneNotAllowed,
        DenyReason::ZoneFull => pb::DenyReason::ZoneFull,
        DenyReason::AlreadyInside => pb::DenyReason::AlreadyInside,
    }
}

/// The one mapping of conflict kinds to the wire.
fn conflict_pb(kind: ConflictKind) -> pb::ConflictKind {
    match kind {
        ConflictKind::EnteredTwice => pb::ConflictKind::EnteredTwice,
        ConflictKind::AdmittedRevoked => pb::ConflictKind::AdmittedRevoked,
        ConflictKind::AdmittedBlocked => pb::ConflictKind::AdmittedBlocked,
    }
}

/// A deny reason from the wire; unspecified and unknown values are none.
fn reason_from(raw: i32) -> Option<DenyReason> {
    DenyReason::ALL
        .iter()
        .copied()
        .find(|r| i32::from(reason_pb(*r)) == raw)
}

fn time_from(ts: Option<prost_types::Timestamp>) -> Option<chrono::DateTime<chrono::Utc>> {
    let ts = ts?;
    chrono::DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).unwrap_or(0))
}

fn direction_from(v: &mut Validator, field: &str, raw: i32) -> Option<Direction> {
    match pb::Direction::try_from(raw) {
        Ok(pb::Direction::Out) => Some(Direction::Out),
        Ok(pb::Direction::In | pb::Direction::Unspecified) => Some(Direction::In),
        Err(_) => {
            v.violation(field, Violation::UnknownValue);
            None
        }
    }
}

/// A gate id from the wire, parsed.
fn gate_id(v: &mut Validator, field: &str, raw: &str) -> Option<GateId> {
    v.id(field, raw).map(GateId)
}

/// A `Scan` request as the domain takes it; every violation at once.
fn scan_request(r: pb::ScanRequest) -> Result<ScanRequest, AppError> {
    let mut v = Validator::new();
    let gate = gate_id(&mut v, "gate_id", &r.gate_id);
    let nonce = v.nonce("nonce", &r.nonce);
    let direction = direction_from(&mut v, "direction", r.direction);
    let ((gate_id, nonce), direction) = v.finish_with(gate.zip(nonce).zip(direction))?;
    Ok(ScanRequest {
        gate_id,
        qr_text: r.qr_text,
        direction,
        nonce,
        scanned_at: time_from(r.scanned_at),
        lang: crate::call::lang().unwrap_or(crate::words::Lang::En),
    })
}

/// One scan of an upload as the domain takes it (its fields named
/// `scans[i].…`).
fn offline_scan(v: &mut Validator, i: usize, scan: pb::OfflineScan) -> Option<OfflineScanInput> {
    let gate = gate_id(v, &format!("scans[{i}].gate_id"), &scan.gate_id);
    let nonce = v.nonce(&format!("scans[{i}].nonce"), &scan.nonce);
    let direction = direction_from(v, &format!("scans[{i}].direction"), scan.direction);
    let ((gate_id, nonce), direction) = gate.zip(nonce).zip(direction)?;
    Some(OfflineScanInput {
        gate_id,
        nonce,
        scanned_at: time_from(scan.scanned_at),
        qr_text: scan.qr_text,
        direction,
        decision: if scan.decision == i32::from(pb::Decision::Allow) {
            Decision::Allow
        } else {
            Decision::Deny
        },
        deny: reason_from(scan.reason),
    })
}

type Boxed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn zones_pb(zones: &[(String, u32, u32)]) -> Vec<pb::ZoneOccupancy> {
    zones
        .iter()
        .map(|(code, inside, capacity)| pb::ZoneOccupancy {
            zone_code: code.clone(),
            inside: *inside,
            capacity: *capacity,
        })
        .collect()
}

#[tonic::async_trait]
impl GateService for GateApi {
    type WatchGateStream = Boxed<pb::WatchGateResponse>;
    type WatchOccupancyStream = Boxed<pb::WatchOccupancyResponse>;

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn scan(
        &self,
        request: Request<pb::ScanRequest>,
    ) -> Result<Response<pb::ScanResponse>, Status> {
        let actor = self.state.authorize(&request, GATE).await?;
        let command = scan_request(request.into_inner())?;
        let result = self.state.services.scan(&actor, command).await?;
        let (decision, reason) = match result.deny {
            None => (pb::Decision::Allow, pb::DenyReason::Unspecified),
            Some(reason) => (pb::Decision::Deny, reason_pb(reason)),
        };
        Ok(Response::new(pb::ScanResponse {
            decision: decision.into(),
            reason: reason.into(),
            category_code: result.category_code,
            category_color: result.category_color,
            badge_number: result.badge_number,
            holder_name: result.holder_name,
            holder_photo: result.holder_photo.unwrap_or_default(),
            notes: result.notes,
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn upload_offline_scans(
        &self,
        request: Request<Streaming<pb::UploadOfflineScansRequest>>,
    ) -> Result<Response<pb::UploadOfflineScansResponse>, Status> {
        let actor = self.state.authorize(&request, GATE).await?;
        let mut stream = request.into_inner();
        let mut scans = Vec::new();
        let mut v = Validator::new();
        let mut seen = 0usize;
        while let Some(message) = stream.next().await {
            let Some(scan) = message?.scan else {
                continue;
            };
            if seen >= UPLOAD_MAX {
                return Err(AppError::invalid_field(
                    "scan",
                    Violation::AtMost {
                        max: UPLOAD_MAX as u64,
                    },
                )
                .into());
            }
            if let Some(scan) = offline_scan(&mut v, seen, scan) {
                scans.push(scan);
            }
            seen += 1;
        }
        v.finish()?;
        let result = self
            .state
            .services
            .upload_offline_scans(&actor, scans)
            .await?;
        Ok(Response::new(pb::UploadOfflineScansResponse {
            stored: result.stored,
            duplicates: result.duplicates,
            conflicts: result
                .conflicts
                .into_iter()
                .map(|c| pb::ScanConflict {
                    badge_id: c.badge_id.map(|id| id.to_string()).unwrap_or_default(),
                    description: c.kind.description().to_owned(),
                    nonces: c.nonces(),
                    kind: conflict_pb(c.kind).into(),
                    badge_number: c.badge_number(),
                })
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_offline_bundle(
        &self,
        request: Request<pb::GetOfflineBundleRequest>,
    ) -> Result<Response<pb::GetOfflineBundleResponse>, Status> {
        let actor = self.state.authorize(&request, GATE).await?;
        let r = request.into_inner();
        let services = &self.state.services;
        let gate_id = id_field("gate_id", &r.gate_id, GateId)?;
        let event_id = services.gate_event(gate_id).await?;
        actor.require_gate(gate_id, event_id)?;
        let bundle = services.offline_bundle(event_id).await?;
        Ok(Response::new(pb::GetOfflineBundleResponse {
            version: bundle.version,
            bundle: bundle.encode_to_vec(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn watch_gate(
        &self,
        request: Request<pb::WatchGateRequest>,
    ) -> Result<Response<Self::WatchGateStream>, Status> {
        let actor = self.state.authorize(&request, GATE).await?;
        let r = request.into_inner();
        let services = self.state.services.clone();
        let mut events = services.gate_events();
        let gate_id = id_field("gate_id", &r.gate_id, GateId)?;
        let event_id = services.gate_event(gate_id).await?;
        actor.require_gate(gate_id, event_id)?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let change = match events.recv().await {
                    Ok(event) if event.event_id().is_some_and(|e| e != event_id) => continue,
                    Ok(GateEvent::Revoked {
                        serial,
                        version,
                        badge_id,
                        ..
                    }) => pb::watch_gate_response::Change::Revoked(pb::BadgeRef {
                        badge_id: badge_id.to_string(),
                        version: u32::from(version),
                        serial,
                    }),
                    Ok(GateEvent::Blocked { serial, .. }) => {
                        pb::watch_gate_response::Change::Blocked(pb::BadgeRef {
                            serial,
                            ..Default::default()
                        })
                    }
                    Ok(GateEvent::Unblocked { serial, .. }) => {
                        pb::watch_gate_response::Change::Unblocked(pb::BadgeRef {
                            serial,
                            ..Default::default()
                        })
                    }
                    Ok(GateEvent::Rules { .. } | GateEvent::Resync)
                    | Err(broadcast::error::RecvError::Lagged(_)) => {
                        match services.bundle_version().await {
                            Ok(version) => pb::watch_gate_response::Change::BundleVersion(version),
                            Err(e) => {
                                let _ = tx.send(Err(Status::from(e))).await;
                                return;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                let message = pb::WatchGateResponse {
                    change: Some(change),
                };
                if tx.send(Ok(message)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_occupancy(
        &self,
        request: Request<pb::GetOccupancyRequest>,
    ) -> Result<Response<pb::GetOccupancyResponse>, Status> {
        let actor = self.state.authorize(&request, GATE).await?;
        let r = request.into_inner();
        let event = id_field("event_id", &r.event_id, EventId)?;
        actor.require_event(event)?;
        let zones = self.state.services.occupancy(event).await?;
        Ok(Response::new(pb::GetOccupancyResponse {
            zones: zones_pb(&zones),
            as_of: Some(timestamp(chrono::Utc::now())),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn report_gate_status(
        &self,
        request: Request<pb::ReportGateStatusRequest>,
    ) -> Result<Response<pb::ReportGateStatusResponse>, Status> {
        let actor = self.state.authorize(&request, GATE).await?;
        let r = request.into_inner();
        let gate = id_field("gate_id", &r.gate_id, GateId)?;
        self.state
            .services
            .report_gate_status(&actor, gate, r.bundle_version, r.pending_offline)
            .await?;
        Ok(Response::new(pb::ReportGateStatusResponse {}))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_inside(
        &self,
        request: Request<pb::ListInsideRequest>,
    ) -> Result<Response<pb::ListInsideResponse>, Status> {
        let actor = self.state.authorize(&request, &[Role::Admin]).await?;
        let r = request.into_inner();
        let event = id_field("event_id", &r.event_id, EventId)?;
        let size = match r.page_size {
            0 => 100,
            n if n > crate::domain::operations::MAX_INSIDE => {
                return Err(AppError::invalid_field(
                    "page_size",
                    Violation::AtMost {
                        max: u64::from(crate::domain::operations::MAX_INSIDE),
                    },
                )
                .into());
            }
            n => n,
        };
        let (people, total) = self
            .state
            .services
            .list_inside(&actor, event, r.zone_code.trim(), size)
            .await?;
        Ok(Response::new(pb::ListInsideResponse {
            people: people
                .into_iter()
                .map(|p| pb::InsidePerson {
                    participant_id: p.participant_id.to_string(),
                    given_name: p.given_name,
                    family_name: p.family_name,
                    native_name: p.native_name,
                    badge_number: p.badge_number,
                    category_code: p.category_code,
                    entered_at: Some(timestamp(p.entered_at)),
                })
                .collect(),
            total,
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn get_operations(
        &self,
        request: Request<pb::GetOperationsRequest>,
    ) -> Result<Response<pb::GetOperationsResponse>, Status> {
        let actor = self.state.authorize(&request, &[Role::Admin]).await?;
        let r = request.into_inner();
        let event = id_field("event_id", &r.event_id, EventId)?;
        actor.require_event(event)?;
        let ops = self.state.services.operations(event).await?;
        Ok(Response::new(pb::GetOperationsResponse {
            zones: zones_pb(&ops.zones),
            per_minute: ops
                .per_minute
                .into_iter()
                .map(|m| pb::ScansPerMinute {
                    minute: Some(timestamp(m.minute)),
                    allowed: m.allowed,
                    denied: m.denied,
                })
                .collect(),
            incidents: ops
                .incidents
                .into_iter()
                .map(|i| pb::Incident {
                    at: Some(timestamp(i.at)),
                    gate_code: i.gate_code,
                    reason: i
                        .reason
                        .map_or(pb::DenyReason::Unspecified, reason_pb)
                        .into(),
                    badge_number: i.badge_number,
                    offline: i.offline,
                })
                .collect(),
            gates: ops
                .gates
                .into_iter()
                .map(|g| pb::GateState {
                    gate_id: g.gate_id.to_string(),
                    gate_code: g.gate_code,
                    gate_name: g.gate_name,
                    zone_code: g.zone_code,
                    last_scan_at: g.last_scan_at.map(timestamp),
                    last_report_at: g.last_report_at.map(timestamp),
                    bundle_version: g.bundle_version,
                    pending_offline: g.pending_offline,
                    online: g.online,
                    offline_scans: g.offline_scans,
                    device_name: g.device_name.unwrap_or_default(),
                })
                .collect(),
            as_of: Some(timestamp(ops.as_of)),
            denials_by_reason: ops
                .denials_by_reason
                .into_iter()
                .map(|(reason, count)| pb::DenialCount {
                    reason: reason_pb(reason).into(),
                    count,
                })
                .collect(),
            conflicts: ops
                .conflicts
                .into_iter()
                .map(|c| pb::RecordedConflict {
                    found_at: Some(timestamp(c.found_at)),
                    scanned_at: Some(timestamp(c.scanned_at)),
                    kind: c
                        .kind
                        .map_or(pb::ConflictKind::Unspecified, conflict_pb)
                        .into(),
                    badge_number: c.badge_number,
                    gate_codes: c.gate_codes,
                })
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn watch_occupancy(
        &self,
        request: Request<pb::WatchOccupancyRequest>,
    ) -> Result<Response<Self::WatchOccupancyStream>, Status> {
        let actor = self.state.authorize(&request, GATE).await?;
        let r = request.into_inner();
        let event = id_field("event_id", &r.event_id, EventId)?;
        actor.require_event(event)?;
        let (first, mut snapshots) = self.state.services.watch_occupancy(event).await?;
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(async move {
            let message = pb::WatchOccupancyResponse {
                zones: zones_pb(&first.zones),
                as_of: Some(timestamp(first.as_of)),
            };
            if tx.send(Ok(message)).await.is_err() {
                return;
            }
            // What this client was sent last; it gets what changed since,
            // from the newest snapshot when it reads again.
            let mut last: HashMap<String, u32> = first
                .zones
                .iter()
                .map(|(c, n, _)| (c.clone(), *n))
                .collect();
            loop {
                tokio::select! {
                    changed = snapshots.changed() => {
                        if changed.is_err() {
                            return;
                        }
                    }
                    () = tx.closed() => return,
                }
                let snapshot = snapshots.borrow_and_update().clone();
                let changed: Vec<(String, u32, u32)> = snapshot
                    .zones
                    .iter()
                    .filter(|(code, inside, _)| last.get(code) != Some(inside))
                    .cloned()
                    .collect();
                if changed.is_empty() {
                    continue;
                }
                for (code, inside, _) in &changed {
                    last.insert(code.clone(), *inside);
                }
                let message = pb::WatchOccupancyResponse {
                    zones: zones_pb(&changed),
                    as_of: Some(timestamp(snapshot.as_of)),
                };
                if tx.send(Ok(message)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
