//! `expopass.v1.BadgeTemplateService`.

use tonic::{Request, Response, Status};

use super::{ApiState, timestamp};
use crate::{
    domain::{
        Role,
        badges::templates::{MAX_PREVIEW, PreviewOf, TemplateView, parse_document},
        validate::Validator,
    },
    error::FieldViolation,
    ids::{EventId, ParticipantId},
    proto::pb::{self, badge_template_service_server::BadgeTemplateService},
    render::template::Template,
    words::Violation,
};

/// The largest layout document read, in bytes.
pub(crate) const MAX_DOCUMENT: usize = 256 * 1024;

/// Implements `BadgeTemplateService`; needs the admin role.
#[derive(Clone)]
pub(crate) struct BadgeTemplateApi {
    state: ApiState,
}

impl BadgeTemplateApi {
    pub(crate) fn new(state: ApiState) -> Self {
        Self { state }
    }
}

const ADMIN: &[Role] = &[Role::Admin];

/// A template code: 2 to 32 of A-Z, 0-9 and '_', a letter first
/// (upper-cased).
fn template_code(v: &mut Validator, field: &str, raw: &str) -> String {
    let code = raw.trim().to_uppercase();
    let ok = (2..=32).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        v.violation(field, Violation::NotACode);
    }
    code
}

/// A document's bytes, read: every violation of the request at once.
fn document(v: &mut Validator, field: &str, bytes: &[u8]) -> Option<Template> {
    if bytes.is_empty() {
        v.violation(field, Violation::Required);
        return None;
    }
    if bytes.len() > MAX_DOCUMENT {
        v.violation(field, Violation::TooManyBytes { max: MAX_DOCUMENT });
        return None;
    }
    match parse_document(field, bytes) {
        Ok(t) => Some(t),
        Err(e) => {
            v.extend(e.violations);
            None
        }
    }
}

fn problems_pb(problems: Vec<FieldViolation>) -> Vec<pb::TemplateProblem> {
    let lang = crate::call::lang();
    problems
        .into_iter()
        .map(|p| pb::TemplateProblem {
            description: lang
                .and_then(|l| p.in_lang(l))
                .map(str::to_owned)
                .unwrap_or(p.description),
            field: p.field,
            code: p.code,
        })
        .collect()
}

fn template_pb(t: TemplateView) -> pb::BadgeTemplate {
    pb::BadgeTemplate {
        code: t.code,
        name: t.name,
        version: u32::try_from(t.version).unwrap_or(0),
        document: t.document.to_json().into_bytes(),
        saved_at: Some(timestamp(t.saved_at)),
        published_at: t.published_at.map(timestamp),
    }
}

#[tonic::async_trait]
impl BadgeTemplateService for BadgeTemplateApi {
    #[tracing::instrument(skip_all, fields(token_id))]
    async fn save_badge_template_draft(
        &self,
        request: Request<pb::SaveBadgeTemplateDraftRequest>,
    ) -> Result<Response<pb::SaveBadgeTemplateDraftResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let mut v = Validator::new();
        let event_id = v.id("event_id", &r.event_id).map(EventId);
        let code = template_code(&mut v, "code", &r.code);
        let name = v.optional_text("name", &r.name, 200);
        let document = document(&mut v, "document", &r.document);
        let (event_id, document) = v.finish_with(event_id.zip(document))?;
        let (draft, problems) = self
            .state
            .services
            .save_template_draft(&actor, event_id, code, name, document)
            .await?;
        Ok(Response::new(pb::SaveBadgeTemplateDraftResponse {
            draft: Some(template_pb(draft)),
            problems: problems_pb(problems),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn validate_badge_template(
        &self,
        request: Request<pb::ValidateBadgeTemplateRequest>,
    ) -> Result<Response<pb::ValidateBadgeTemplateResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let mut v = Validator::new();
        let event_id = v.id("event_id", &r.event_id).map(EventId);
        let document = document(&mut v, "document", &r.document);
        let (event_id, document) = v.finish_with(event_id.zip(document))?;
        let problems = self
            .state
            .services
            .validate_template(&actor, event_id, document)
            .await?;
        Ok(Response::new(pb::ValidateBadgeTemplateResponse {
            problems: problems_pb(problems),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn preview_badge_template(
        &self,
        request: Request<pb::PreviewBadgeTemplateRequest>,
    ) -> Result<Response<pb::PreviewBadgeTemplateResponse>, Status> {
        use pb::preview_badge_template_request::Template as Of;
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let mut v = Validator::new();
        let event_id = v.id("event_id", &r.event_id).map(EventId);
        let of = match r.template {
            Some(Of::Document(bytes)) => {
                document(&mut v, "document", &bytes).map(PreviewOf::Document)
            }
            Some(Of::Stored(s)) => {
                let code = template_code(&mut v, "stored.code", &s.code);
                match i32::try_from(s.version) {
                    Ok(version) => Some(PreviewOf::Stored { code, version }),
                    Err(_) => {
                        v.violation("stored.version", Violation::OutOfRange);
                        None
                    }
                }
            }
            None => {
                v.violation(
                    "template",
                    Violation::OneOf {
                        choices: "a document or a stored version",
                    },
                );
                None
            }
        };
        if r.participant_ids.len() > MAX_PREVIEW {
            v.violation(
                "participant_ids",
                Violation::AtMost {
                    max: MAX_PREVIEW as u64,
                },
            );
        }
        let ids: Vec<ParticipantId> = r
            .participant_ids
            .iter()
            .take(MAX_PREVIEW)
            .enumerate()
            .filter_map(|(i, id)| {
                v.id(&format!("participant_ids[{i}]"), id)
                    .map(ParticipantId)
            })
            .collect();
        let (event_id, of) = v.finish_with(event_id.zip(of))?;
        let preview = self
            .state
            .services
            .preview_template(&actor, event_id, of, ids)
            .await?;
        Ok(Response::new(pb::PreviewBadgeTemplateResponse {
            pdf: preview.pdf,
            names: preview.names,
            problems: problems_pb(preview.problems),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn publish_badge_template(
        &self,
        request: Request<pb::PublishBadgeTemplateRequest>,
    ) -> Result<Response<pb::PublishBadgeTemplateResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let mut v = Validator::new();
        let event_id = v.id("event_id", &r.event_id).map(EventId);
        let code = template_code(&mut v, "code", &r.code);
        let event_id = v.finish_with(event_id)?;
        let published = self
            .state
            .services
            .publish_template(&actor, event_id, code)
            .await?;
        Ok(Response::new(pb::PublishBadgeTemplateResponse {
            template: Some(template_pb(published)),
        }))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn assign_badge_template(
        &self,
        request: Request<pb::AssignBadgeTemplateRequest>,
    ) -> Result<Response<pb::AssignBadgeTemplateResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let r = request.into_inner();
        let mut v = Validator::new();
        let event_id = v.id("event_id", &r.event_id).map(EventId);
        let category = v.code("category_code", &r.category_code);
        let template = match r.template_code.trim() {
            "" => None,
            raw => Some(template_code(&mut v, "template_code", raw)),
        };
        let event_id = v.finish_with(event_id)?;
        self.state
            .services
            .assign_template(&actor, event_id, category, template)
            .await?;
        Ok(Response::new(pb::AssignBadgeTemplateResponse {}))
    }

    #[tracing::instrument(skip_all, fields(token_id))]
    async fn list_badge_templates(
        &self,
        request: Request<pb::ListBadgeTemplatesRequest>,
    ) -> Result<Response<pb::ListBadgeTemplatesResponse>, Status> {
        let actor = self.state.authorize(&request, ADMIN).await?;
        let event_id = super::id_field("event_id", &request.into_inner().event_id, EventId)?;
        let list = self.state.services.list_templates(&actor, event_id).await?;
        Ok(Response::new(pb::ListBadgeTemplatesResponse {
            templates: list.templates.into_iter().map(template_pb).collect(),
            assignments: list
                .assignments
                .into_iter()
                .map(|(category_code, template_code)| pb::TemplateAssignment {
                    category_code,
                    template_code,
                })
                .collect(),
        }))
    }
}
