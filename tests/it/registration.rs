use diesel_async::RunQueryDsl as _;
use expopass::proto::pb;
use tonic::Code;

use crate::support::{
    TestApp,
    builders::{person, register_request},
    metadata, reason, violated_fields,
};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.db.connect().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await
        .unwrap()
        .n
}

#[tokio::test]
async fn a_desk_registers_a_participant_in_any_script() {
    let app = TestApp::start().await;
    let fixture = app.event("REG").await;
    let mut input = person("Oʻktam", "Gʻulomov");
    input.native_name = "Ўктам Ғуломов".to_owned();
    input.email = "oktam@example.uz".to_owned();
    input.phone = "+998 71 238-57-00".to_owned();
    input.job_title = "Chief engineer".to_owned();
    let p = app.register(&fixture, input).await;
    assert_eq!(p.given_name, "Oʻktam");
    assert_eq!(p.native_name, "Ўктам Ғуломов");
    assert_eq!(p.category_code, "VISITOR");
    assert_eq!(p.status(), pb::ParticipantStatus::Active);
    assert_eq!(p.version, 1);

    let got = app
        .desk()
        .get_participant(pb::GetParticipantRequest { id: p.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    // A read also says where the badge stands, which a registration leaves out.
    assert_eq!(got.badge_state(), pb::BadgeState::None);
    assert_eq!(
        pb::Participant {
            badge_state: pb::BadgeState::Unspecified.into(),
            ..got
        },
        p
    );
    assert_eq!(
        count(&app, &format!("SELECT count(*) AS n FROM audit_log WHERE entity_id = '{}' AND action = 'participant.register' AND token_id IS NOT NULL", p.id)).await,
        1
    );
}

#[tokio::test]
async fn every_invalid_field_is_named() {
    let app = TestApp::start().await;
    let fixture = app.event("VAL").await;
    let input = pb::ParticipantInput {
        given_name: String::new(),
        family_name: "x".repeat(201),
        native_name: "12345".to_owned(),
        country: "XX".to_owned(),
        category_code: String::new(),
        email: "not an email".to_owned(),
        phone: "call me".to_owned(),
        travel_document: "A1".to_owned(),
        organization_id: "not-a-uuid".to_owned(),
        ..Default::default()
    };
    let mut request = register_request(&fixture, input);
    request.request_id = String::new();
    let err = app.desk().register_participant(request).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(reason(&err), "INVALID_FIELD");
    let mut fields = violated_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "participant.category_code",
            "participant.country",
            "participant.email",
            "participant.family_name",
            "participant.given_name",
            "participant.native_name",
            "participant.organization_id",
            "participant.phone",
            "participant.travel_document",
            "request_id",
        ]
    );
    assert!(!err.message().contains("A1"), "no document in errors");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants").await,
        0
    );
}

#[tokio::test]
async fn references_must_exist_and_belong_to_the_event() {
    let app = TestApp::start().await;
    let fixture = app.event("REFS").await;
    let other = app.event("OTHER").await;
    let foreign = app.delegation(&other, "KZ", &[("DELEGATE", 5)]).await;

    let mut input = person("Aigerim", "Nurlanova");
    input.category_code = "ASTRONAUT".to_owned();
    let err = app
        .desk()
        .register_participant(register_request(&fixture, input))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["participant.category_code"]);

    let mut input = person("Aigerim", "Nurlanova");
    input.delegation_id = foreign.id.clone();
    let err = app
        .desk()
        .register_participant(register_request(&fixture, input))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&err), ["participant.delegation_id"]);

    let mut input = person("Aigerim", "Nurlanova");
    input.delegation_id = uuid::Uuid::new_v4().to_string();
    let err = app
        .desk()
        .register_participant(register_request(&fixture, input))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason(&err), "DELEGATION_NOT_FOUND");

    let mut input = person("Aigerim", "Nurlanova");
    input.organization_id = uuid::Uuid::new_v4().to_string();
    let err = app
        .desk()
        .register_participant(register_request(&fixture, input))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "ORGANIZATION_NOT_FOUND");

    let mut request = register_request(&fixture, person("Aigerim", "Nurlanova"));
    request.event_id = uuid::Uuid::new_v4().to_string();
    let err = app.desk().register_participant(request).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason(&err), "EVENT_NOT_FOUND");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants").await,
        0
    );
}

#[tokio::test]
async fn repeating_a_request_id_returns_the_first_result_and_creates_nothing() {
    let app = TestApp::start().await;
    let fixture = app.event("IDEM").await;
    let request = register_request(&fixture, person("Dmitry", "Volkov"));
    let first = app
        .desk()
        .register_participant(request.clone())
        .await
        .unwrap()
        .into_inner();
    let second = app
        .desk()
        .register_participant(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first.participant.as_ref().unwrap().id,
        second.participant.as_ref().unwrap().id
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants").await,
        1
    );

    let mut changed = request;
    changed.participant.as_mut().unwrap().job_title = "Director".to_owned();
    let err = app.desk().register_participant(changed).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(reason(&err), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants").await,
        1
    );
}

#[tokio::test]
async fn duplicates_by_email_or_document_are_refused_naming_the_first() {
    let app = TestApp::start().await;
    let fixture = app.event("DUP").await;
    let mut input = person("Li", "Wei");
    input.native_name = "李伟".to_owned();
    input.country = "CN".to_owned();
    input.email = "Li.Wei@Example.cn".to_owned();
    input.travel_document = "E1234 5678".to_owned();
    let first = app.register(&fixture, input).await;
    assert!(first.has_travel_document);

    let mut same_email = person("Wei", "Li");
    same_email.email = "li.wei@example.CN".to_owned();
    let err = app
        .desk()
        .register_participant(register_request(&fixture, same_email))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(reason(&err), "DUPLICATE_PARTICIPANT");
    assert_eq!(
        metadata(&err, "participant_id").as_deref(),
        Some(first.id.as_str())
    );

    let mut same_document = person("Wei", "Li");
    same_document.email = "other@example.cn".to_owned();
    same_document.travel_document = "e12345678".to_owned();
    let err = app
        .desk()
        .register_participant(register_request(&fixture, same_document))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "DUPLICATE_PARTICIPANT");
    assert_eq!(
        metadata(&err, "participant_id").as_deref(),
        Some(first.id.as_str())
    );
    assert!(
        !format!("{err:?}").contains("12345678"),
        "the document never appears in errors"
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants").await,
        1
    );
}

#[tokio::test]
async fn travel_documents_are_encrypted_and_shown_masked_to_admins_only() {
    let app = TestApp::start().await;
    let fixture = app.event("DOCS").await;
    let mut input = person("Anna", "Schmidt");
    input.country = "DE".to_owned();
    input.travel_document = "C01X00T47".to_owned();
    let p = app.register(&fixture, input).await;
    assert_eq!(p.travel_document_masked, "", "desks never see it");

    let as_admin = app
        .registration_admin()
        .get_participant(pb::GetParticipantRequest { id: p.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(as_admin.travel_document_masked, "******T47");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants WHERE position('C01X00T47'::bytea in document_cipher) > 0").await,
        0,
        "not stored in clear"
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants WHERE document_cipher IS NOT NULL AND document_hash IS NOT NULL").await,
        1
    );
}

#[tokio::test]
async fn twenty_parallel_registrations_into_a_quota_of_five_leave_exactly_five() {
    let app = TestApp::start().await;
    let fixture = app.event("QUOTA").await;
    let delegation = app.delegation(&fixture, "BY", &[("DELEGATE", 5)]).await;
    let mut calls = Vec::new();
    for i in 0..20 {
        let mut input = person("Ivan", &format!("Petrov{i}"));
        input.country = "BY".to_owned();
        input.category_code = "DELEGATE".to_owned();
        input.delegation_id = delegation.id.clone();
        let mut client = app.desk();
        let request = register_request(&fixture, input);
        calls.push(tokio::spawn(async move {
            client.register_participant(request).await
        }));
    }
    let mut ok = 0;
    let mut refused = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => ok += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition);
                assert_eq!(reason(&status), "DELEGATION_QUOTA_EXCEEDED");
                refused += 1;
            }
        }
    }
    assert_eq!((ok, refused), (5, 15));
    let stored = app
        .desk()
        .get_delegation(pb::GetDelegationRequest {
            id: delegation.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.members.len(), 5);
    assert_eq!(stored.delegation.unwrap().quotas[0].used, 5);

    // A category without a quota cannot join the delegation at all.
    let mut press = person("Olga", "Sokolova");
    press.category_code = "PRESS".to_owned();
    press.delegation_id = delegation.id;
    let err = app
        .desk()
        .register_participant(register_request(&fixture, press))
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "DELEGATION_QUOTA_EXCEEDED");
}

#[tokio::test]
async fn an_update_is_partial_and_refuses_a_stale_version() {
    let app = TestApp::start().await;
    let fixture = app.event("UPD").await;
    let p = app.register(&fixture, person("Mehmet", "Yilmaz")).await;
    let updated = app
        .desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: p.id.clone(),
            expected_version: 1,
            family_name: Some("Yılmaz".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(updated.family_name, "Yılmaz");
    assert_eq!(updated.given_name, "Mehmet", "untouched fields stay");
    assert_eq!(updated.email, p.email);
    assert_eq!(updated.version, 2);

    let stale = app
        .desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: p.id.clone(),
            expected_version: 1,
            given_name: Some("Ahmet".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(reason(&stale), "VERSION_CONFLICT");
    assert_eq!(metadata(&stale, "current_version").as_deref(), Some("2"));

    let bad = app
        .desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: p.id.clone(),
            expected_version: 2,
            country: Some("ZZ".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad), ["country"]);

    let missing = app
        .desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: uuid::Uuid::new_v4().to_string(),
            expected_version: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let now = app
        .desk()
        .get_participant(pb::GetParticipantRequest { id: p.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.participant.unwrap().given_name, "Mehmet");
}

#[tokio::test]
async fn a_cancelled_participant_is_kept_with_its_reason() {
    let app = TestApp::start().await;
    let fixture = app.event("CANCEL").await;
    let mut input = person("Nguyễn", "Văn An");
    input.email = "an.nguyen@example.vn".to_owned();
    let p = app.register(&fixture, input).await;
    let cancelled = app
        .desk()
        .cancel_participant(pb::CancelParticipantRequest {
            id: p.id.clone(),
            reason: "did not travel".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    assert_eq!(cancelled.status(), pb::ParticipantStatus::Cancelled);
    assert_eq!(cancelled.cancel_reason, "did not travel");
    assert_eq!(cancelled.version, 2);
    let err = app
        .desk()
        .update_participant(pb::UpdateParticipantRequest {
            id: p.id.clone(),
            expected_version: 2,
            job_title: Some("Engineer".to_owned()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "PARTICIPANT_CANCELLED");
    // The same email may register again once the first is cancelled.
    let mut again = person("Nguyễn", "Văn An");
    again.email = p.email.clone();
    app.register(&fixture, again).await;
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants").await,
        2
    );
}

#[tokio::test]
async fn delegations_have_heads_and_quotas_that_cannot_drop_below_use() {
    let app = TestApp::start().await;
    let fixture = app.event("DELEG").await;
    let delegation = app
        .delegation(&fixture, "KZ", &[("DELEGATE", 3), ("PRESS", 1)])
        .await;
    let mut member = person("Nursultan", "Abenov");
    member.native_name = "Нұрсұлтан Әбенов".to_owned();
    member.country = "KZ".to_owned();
    member.category_code = "DELEGATE".to_owned();
    member.delegation_id = delegation.id.clone();
    let head = app.register(&fixture, member).await;
    let outsider = app.register(&fixture, person("Timur", "Karimov")).await;

    let err = app
        .desk()
        .update_delegation(pb::UpdateDelegationRequest {
            id: delegation.id.clone(),
            head_participant_id: Some(outsider.id),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "HEAD_NOT_MEMBER");

    let updated = app
        .desk()
        .update_delegation(pb::UpdateDelegationRequest {
            id: delegation.id.clone(),
            head_participant_id: Some(head.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .delegation
        .unwrap();
    assert_eq!(updated.head_participant_id, head.id);
    assert_eq!(updated.member_count, 1);

    let err = app
        .desk()
        .update_delegation(pb::UpdateDelegationRequest {
            id: delegation.id.clone(),
            replace_quotas: true,
            quotas: vec![pb::DelegationQuota {
                category_code: "PRESS".to_owned(),
                quota: 2,
                used: 0,
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&err), "QUOTA_BELOW_USAGE");

    let list = app
        .desk()
        .list_delegations(pb::ListDelegationsRequest {
            event_id: fixture.event_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .delegations;
    assert_eq!(list.len(), 1);
    let quotas: Vec<(String, u32, u32)> = list[0]
        .quotas
        .iter()
        .map(|q| (q.category_code.clone(), q.quota, q.used))
        .collect();
    assert_eq!(
        quotas,
        [("DELEGATE".to_owned(), 3, 1), ("PRESS".to_owned(), 1, 0)]
    );

    // Another delegation's name is taken: refused, and nothing changes.
    let other = app.delegation(&fixture, "KG", &[]).await;
    let err = app
        .desk()
        .update_delegation(pb::UpdateDelegationRequest {
            id: other.id.clone(),
            name: Some(delegation.name.clone()),
            head_participant_id: None,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert_eq!(reason(&err), "DELEGATION_EXISTS");
    let unchanged = app
        .desk()
        .get_delegation(pb::GetDelegationRequest { id: other.id })
        .await
        .unwrap()
        .into_inner()
        .delegation
        .unwrap();
    assert_eq!(unchanged.name, other.name);
}

#[tokio::test]
async fn organisations_are_unique_per_event_and_idempotent() {
    let app = TestApp::start().await;
    let fixture = app.event("ORGS").await;
    let request = pb::CreateOrganizationRequest {
        request_id: "org-1".to_owned(),
        event_id: fixture.event_id.clone(),
        name: "Uzbekistan Railways".to_owned(),
        country: "uz".to_owned(),
        kind: pb::OrganizationKind::Company.into(),
        ..Default::default()
    };
    let first = app
        .desk()
        .create_organization(request.clone())
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    let again = app
        .desk()
        .create_organization(request)
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(first.country, "UZ");
    let err = app
        .desk()
        .create_organization(pb::CreateOrganizationRequest {
            request_id: "org-2".to_owned(),
            event_id: fixture.event_id.clone(),
            name: "UZBEKISTAN railways".to_owned(),
            country: "UZ".to_owned(),
            kind: pb::OrganizationKind::Company.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(reason(&err), "ORGANIZATION_EXISTS");
    assert_eq!(
        metadata(&err, "organization_id").as_deref(),
        Some(first.id.as_str())
    );

    let mut input = person("Rustam", "Azimov");
    input.organization_id = first.id.clone();
    let p = app.register(&fixture, input).await;
    assert_eq!(p.organization_name, "Uzbekistan Railways");
    let mut other = person("Rustam", "Karimov");
    other.email = "karimov@example.uz".to_owned();
    app.register(&fixture, other).await;
    // A name search limited to the organisation.
    let staff = app
        .desk()
        .search_participants(pb::SearchParticipantsRequest {
            event_id: fixture.event_id.clone(),
            name_prefix: "rustam".to_owned(),
            organization_id: first.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .participants;
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].family_name, "Azimov");
    let listed = app
        .desk()
        .list_organizations(pb::ListOrganizationsRequest {
            event_id: fixture.event_id,
            name_prefix: "uzb".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.organizations.len(), 1);
}

#[tokio::test]
async fn the_same_request_sent_ten_times_at_once_registers_one_participant() {
    let app = TestApp::start().await;
    let fixture = app.event("RETRY").await;
    let request = register_request(&fixture, person("Bobur", "Aliyev"));
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let mut client = app.desk();
            let request = request.clone();
            tokio::spawn(async move { client.register_participant(request).await })
        })
        .collect();
    let mut ids = Vec::new();
    for call in calls {
        ids.push(
            call.await
                .unwrap()
                .unwrap()
                .into_inner()
                .participant
                .unwrap()
                .id,
        );
    }
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "every retry answers with the first participant"
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM participants").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'participant.register'"
        )
        .await,
        1
    );
}

/// A violation as read: field, code, description, localized (locale, text).
type Seen = (String, String, String, Option<(String, String)>);

/// A client that asks for Russian or Uzbek (`accept-language`) reads every
/// field violation in that language, each with its stable code; without
/// it, English only.
#[tokio::test]
async fn field_violations_come_with_codes_and_in_the_language_asked_for() {
    use tonic_types::StatusExt as _;
    let app = TestApp::start().await;
    let fixture = app.event("WORDS").await;
    let mut input = person("Aziz", "Karimov");
    input.email = "not-an-email".to_owned();
    input.given_name = String::new();
    let send = |lang: Option<&str>| {
        let mut request = tonic::Request::new(crate::support::builders::register_request(
            &fixture,
            input.clone(),
        ));
        if let Some(lang) = lang {
            request
                .metadata_mut()
                .insert("accept-language", lang.parse().unwrap());
        }
        let mut desk = app.desk();
        async move { desk.register_participant(request).await.unwrap_err() }
    };
    let read = |status: &tonic::Status| {
        let mut seen: Vec<Seen> = status
            .get_details_bad_request()
            .unwrap()
            .field_violations
            .into_iter()
            .map(|v| {
                (
                    v.field,
                    v.reason,
                    v.description,
                    v.localized_message.map(|m| (m.locale, m.message)),
                )
            })
            .collect();
        seen.sort();
        seen
    };
    let russian = read(&send(Some("ru-RU,ru;q=0.9,en;q=0.5")).await);
    assert_eq!(
        russian,
        [
            (
                "participant.email".to_owned(),
                "NOT_AN_EMAIL".to_owned(),
                "must be an email address like name@example.com".to_owned(),
                Some((
                    "ru".to_owned(),
                    "Адрес электронной почты вида name@example.com".to_owned()
                )),
            ),
            (
                "participant.given_name".to_owned(),
                "REQUIRED".to_owned(),
                "is required".to_owned(),
                Some(("ru".to_owned(), "Обязательное поле".to_owned())),
            ),
        ]
    );
    let uzbek = read(&send(Some("uz")).await);
    assert_eq!(
        uzbek[1].3,
        Some(("uz".to_owned(), "Toʻldirilishi shart".to_owned()))
    );
    let plain = read(&send(None).await);
    assert!(plain.iter().all(|v| v.3.is_none()), "{plain:?}");
    assert_eq!(plain[0].1, "NOT_AN_EMAIL");
}

/// A delegation's quota is at most 100,000 seats, as in event files:
/// 10⁹ (or the largest number a client can send) is refused by field.
#[tokio::test]
async fn a_quota_of_a_billion_is_refused_by_field() {
    let app = TestApp::start().await;
    let fixture = app.event("QUOTAS").await;
    for quota in [1_000_000_000, u32::MAX] {
        let refused = app
            .desk()
            .create_delegation(pb::CreateDelegationRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                event_id: fixture.event_id.clone(),
                country: "KZ".to_owned(),
                name: "Delegation of KZ".to_owned(),
                quotas: vec![
                    pb::DelegationQuota {
                        category_code: "VISITOR".to_owned(),
                        quota: 5,
                        used: 0,
                    },
                    pb::DelegationQuota {
                        category_code: "DELEGATE".to_owned(),
                        quota,
                        used: 0,
                    },
                ],
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            crate::support::violated_fields(&refused),
            ["quotas[1].quota"]
        );
    }
    let made = app
        .delegation(&fixture, "KZ", &[("DELEGATE", 100_000)])
        .await;
    assert_eq!(made.quotas[0].quota, 100_000);
}
