//! `expopass.v1.TokenService`.

use tonic::{Request, Response, Status};

use super::{ApiState, id_field, timestamp};
use crate::words::Violation;
use crate::{
    domain::{NewToken, Role, TokenView, enrolment::NewEnrolment},
    error::AppError,
    ids::TokenId,
    proto::pb::{self, token_service_server::TokenService},
};

/// Implements `TokenService`; needs the admin role.
#[derive(Clone)]
pub(crate) struct TokenApi {
    state: ApiState,
}

impl TokenApi {
    pub(crate) fn new(state: ApiState) -> Self {
        Self { state }
    }
}

const ADMIN: &[Role] = &[Role::Admin];

fn token_pb(t: TokenView) -> pb::ApiToken {
    pb::ApiToken {
        id: t.id.to_string(),
        name: t.name,
        role: t.role,
        event_code: t.event_code.unwrap_or_default(),
        gate_codes: t.gate_codes,
        created_by: t.created_by.unwrap_or_default(),
        created_at: Some(timestamp(t.created_at)),
        last_used_at: t.last_used_at.map(timestamp),
        expires_at: t.expires_at.map(timestamp),
        revoked_at: t.revoked_at.map(timestamp),
    }
}

/// A role named in a request.
fn role_of(text: &str) -> Result<Role, AppError> {
    text.trim()
        .parse()
        .map_err(|_: String| AppError::invalid_field("role", Violation::UnknownRole))
}

/// When a token stops working, as a request gives it (`field`).
fn expiry(
    field: &str,
    at: Option<prost_types::Timestamp>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    at.map(|ts| {
        chrono::DateTime::from_timestamp(ts.seconds, 0)
            .ok_or_else(|| AppError::invalid_field(field, Violation::OutOfRange))
    })
    .transpose()
}

#[tonic::async_trait]
impl TokenService for TokenApi {
    #[tracing::instrument(skip_all, fields(token_id))]
    async fn create_enrolment_code(
        &self,
        request: Request<pb::CreateEnrolmentCodeRequest>,
    ) -> Result<Response<pb::CreateEnrolmentCodeResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let role = role_of(&r.role)?;
        let token_expires_at = expiry("token_expires_at", r.token_expires_at)?;
        let ttl = match r.ttl_seconds {
            0 => std::time::Duration::from_secs(24 * 3600),
            s => std::time::Duration::from_secs(u64::from(s)),
        };
        let event_code = Some(r.event_code.trim().to_owned()).filter(|c| !c.is_empty());
        let (code, expires_at) = self
            .state
            .services
            .create_enrolment(
                Some(&actor),
                NewEnrolment {
                    token: NewToken {
                        name: r.name,
                        role,
                        event_code,
                        gate_codes: r.gate_codes,
                        expires_at: token_expires_at,
                    },
                    ttl,
                }
                .check()?,
            )
            .await?;
        let qr_png = crate::console::EnrolmentQr::new(&code)
            .and_then(|qr| qr.png())
            .map_err(AppError::internal)?;
        Ok(Response::new(pb::CreateEnrolmentCodeResponse {
            code,
            expires_at: Some(timestamp(expires_at)),
            qr_png,
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn create_token(
        &self,
        request: Request<pb::CreateTokenRequest>,
    ) -> Result<Response<pb::CreateTokenResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let role = role_of(&r.role)?;
        let expires_at = expiry("expires_at", r.expires_at)?;
        let event_code = Some(r.event_code.trim().to_owned()).filter(|c| !c.is_empty());
        let services = &self.state.services;
        let (id, secret) = services
            .create_scoped_token(
                Some(&actor),
                NewToken {
                    name: r.name,
                    role,
                    event_code: event_code.clone(),
                    gate_codes: r.gate_codes,
                    expires_at,
                }
                .check()?,
            )
            .await?;
        let token = services
            .list_tokens(Some(&actor), event_code.as_deref())
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .map(token_pb);
        Ok(Response::new(pb::CreateTokenResponse { token, secret }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::ListTokensResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let code = request.into_inner().event_code;
        let code = Some(code.trim()).filter(|c| !c.is_empty());
        let tokens = self.state.services.list_tokens(Some(&actor), code).await?;
        Ok(Response::new(pb::ListTokensResponse {
            tokens: tokens.into_iter().map(token_pb).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn revoke_token(
        &self,
        request: Request<pb::RevokeTokenRequest>,
    ) -> Result<Response<pb::RevokeTokenResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let id = id_field("id", &request.into_inner().id, TokenId)?;
        self.state.services.revoke_token(Some(&actor), id).await?;
        Ok(Response::new(pb::RevokeTokenResponse {}))
    }
}
