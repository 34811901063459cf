//! `expopass.v1.BadgeService`: declared; answers UNIMPLEMENTED until badges land.

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::ApiState;
use crate::{
    domain::Role,
    error::{AppError, ErrorKind},
    proto::pb::{self, badge_service_server::BadgeService},
};

/// Implements `BadgeService`.
#[derive(Clone)]
pub struct BadgeApi {
    state: ApiState,
}

impl BadgeApi {
    pub fn new(state: ApiState) -> Self {
        Self { state }
    }

    async fn not_yet<T>(&self, request: &Request<T>) -> Status {
        if let Err(status) = self
            .state
            .authorize(request, &[Role::Desk, Role::Admin])
            .await
        {
            return status;
        }
        AppError::new(
            ErrorKind::Unimplemented,
            "NOT_IMPLEMENTED",
            "badges are not available in this version",
        )
        .into()
    }
}

type PrintStream = Pin<Box<dyn Stream<Item = Result<pb::PrintBadgesResponse, Status>> + Send>>;

#[tonic::async_trait]
impl BadgeService for BadgeApi {
    type PrintBadgesStream = PrintStream;

    async fn issue_badge(
        &self,
        request: Request<pb::IssueBadgeRequest>,
    ) -> Result<Response<pb::IssueBadgeResponse>, Status> {
        Err(self.not_yet(&request).await)
    }

    async fn get_badge(
        &self,
        request: Request<pb::GetBadgeRequest>,
    ) -> Result<Response<pb::GetBadgeResponse>, Status> {
        Err(self.not_yet(&request).await)
    }

    async fn revoke_badge(
        &self,
        request: Request<pb::RevokeBadgeRequest>,
    ) -> Result<Response<pb::RevokeBadgeResponse>, Status> {
        Err(self.not_yet(&request).await)
    }

    async fn print_badges(
        &self,
        request: Request<pb::PrintBadgesRequest>,
    ) -> Result<Response<Self::PrintBadgesStream>, Status> {
        Err(self.not_yet(&request).await)
    }
}
