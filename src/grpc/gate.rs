//! `expopass.v1.GateService`: declared; answers UNIMPLEMENTED until gates land.

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

use super::ApiState;
use crate::{
    domain::Role,
    error::{AppError, ErrorKind},
    proto::pb::{self, gate_service_server::GateService},
};

/// Implements `GateService`.
#[derive(Clone)]
pub struct GateApi {
    state: ApiState,
}

impl GateApi {
    pub fn new(state: ApiState) -> Self {
        Self { state }
    }

    async fn not_yet<T>(&self, request: &Request<T>) -> Status {
        if let Err(status) = self
            .state
            .authorize(request, &[Role::Gate, Role::Admin])
            .await
        {
            return status;
        }
        AppError::new(
            ErrorKind::Unimplemented,
            "NOT_IMPLEMENTED",
            "gate decisions are not available in this version",
        )
        .into()
    }
}

type Boxed<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl GateService for GateApi {
    type WatchGateStream = Boxed<pb::WatchGateResponse>;
    type WatchOccupancyStream = Boxed<pb::WatchOccupancyResponse>;

    async fn scan(
        &self,
        request: Request<pb::ScanRequest>,
    ) -> Result<Response<pb::ScanResponse>, Status> {
        Err(self.not_yet(&request).await)
    }

    async fn upload_offline_scans(
        &self,
        request: Request<Streaming<pb::UploadOfflineScansRequest>>,
    ) -> Result<Response<pb::UploadOfflineScansResponse>, Status> {
        Err(self.not_yet(&request).await)
    }

    async fn get_offline_bundle(
        &self,
        request: Request<pb::GetOfflineBundleRequest>,
    ) -> Result<Response<pb::GetOfflineBundleResponse>, Status> {
        Err(self.not_yet(&request).await)
    }

    async fn watch_gate(
        &self,
        request: Request<pb::WatchGateRequest>,
    ) -> Result<Response<Self::WatchGateStream>, Status> {
        Err(self.not_yet(&request).await)
    }

    async fn get_occupancy(
        &self,
        request: Request<pb::GetOccupancyRequest>,
    ) -> Result<Response<pb::GetOccupancyResponse>, Status> {
        Err(self.not_yet(&request).await)
    }

    async fn watch_occupancy(
        &self,
        request: Request<pb::WatchOccupancyRequest>,
    ) -> Result<Response<Self::WatchOccupancyStream>, Status> {
        Err(self.not_yet(&request).await)
    }
}
