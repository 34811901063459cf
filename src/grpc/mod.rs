//! Thin gRPC adapters: authenticate, convert the request, make one domain
//! call, convert the result. No diesel here, no business rules.

mod audit;
mod auth;
mod badge;
mod convert;
mod event;
mod gate;
mod registration;
mod template;
mod token;

use chrono::{DateTime, Utc};
use tonic::{Request, Status};

pub(crate) use audit::AuditApi;
pub(crate) use auth::AuthApi;
pub(crate) use badge::BadgeApi;
pub(crate) use event::EventApi;
pub(crate) use gate::GateApi;
pub(crate) use registration::RegistrationApi;
pub(crate) use template::BadgeTemplateApi;
pub(crate) use token::TokenApi;

use uuid::Uuid;

use crate::{
    domain::{Principal, Role, Services, validate::Validator},
    error::AppError,
};

/// A request's one id field, parsed into its typed id.
pub(crate) fn id_field<T>(
    field: &str,
    raw: &str,
    typed: impl FnOnce(Uuid) -> T,
) -> Result<T, AppError> {
    let mut v = Validator::new();
    let id = v.id(field, raw).map(typed);
    v.finish_with(id)
}

/// A request's id and its required free text (a reason, a note of at most
/// 500 characters), parsed together: both violations at once.
pub(crate) fn id_and_text<T>(
    (field, raw): (&str, &str),
    typed: impl FnOnce(Uuid) -> T,
    (text_field, text): (&str, &str),
) -> Result<(T, String), AppError> {
    let mut v = Validator::new();
    let id = v.id(field, raw).map(typed);
    let text = v.required_text(text_field, text, 500);
    Ok((v.finish_with(id)?, text))
}

/// What every API struct holds: the use cases (and their token cache).
#[derive(Clone)]
pub(crate) struct ApiState {
    pub services: Services,
}

impl ApiState {
    pub(crate) fn new(services: Services) -> Self {
        Self { services }
    }

    /// The caller, who must hold one of `roles`.
    pub(crate) async fn authorize<T>(
        &self,
        request: &Request<T>,
        roles: &[Role],
    ) -> Result<Principal, Status> {
        let token = bearer(request);
        let principal = self.services.authenticate(token).await?;
        principal.require(roles)?;
        tracing::Span::current().record("token_id", tracing::field::display(principal.token_id));
        Ok(principal)
    }
}

/// The token of `authorization: Bearer <token>`, or "" when absent.
fn bearer<T>(request: &Request<T>) -> &str {
    request
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or("")
}

fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

fn id_or_empty(id: Option<impl std::fmt::Display>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}
