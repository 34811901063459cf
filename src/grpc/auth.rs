//! `expopass.v1.AuthService`.

use tonic::{Request, Response, Status};

use super::ApiState;
use crate::proto::pb::{self, auth_service_server::AuthService};
use crate::words::Violation;
use crate::{domain::Role, error::AppError};

/// Implements `AuthService`; needs no token.
#[derive(Clone)]
pub(crate) struct AuthApi {
    state: ApiState,
}

impl AuthApi {
    pub(crate) fn new(state: ApiState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    #[tracing::instrument(skip_all)]
    async fn enroll(
        &self,
        request: Request<pb::EnrollRequest>,
    ) -> Result<Response<pb::EnrollResponse>, Status> {
        let source = request.remote_addr().map(|a| a.ip());
        let r = request.into_inner();
        let expected = r
            .roles
            .iter()
            .map(|role| {
                role.trim()
                    .parse::<Role>()
                    .map_err(|_| AppError::invalid_field("roles", Violation::UnknownRole))
            })
            .collect::<Result<Vec<Role>, _>>()?;
        let (id, token, role) = self
            .state
            .services
            .enroll(source, &r.code, &r.device_name, expected)
            .await?;
        tracing::info!(token_id = %id, "a device enrolled");
        Ok(Response::new(pb::EnrollResponse {
            token_id: id.to_string(),
            token,
            role: role.as_str().to_owned(),
        }))
    }
}
