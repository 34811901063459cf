// @generated automatically by Diesel CLI.

pub(crate) mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "xid8", schema = "pg_catalog"))]
    pub struct Xid8;
}

diesel::table! {
    api_tokens (id) {
        id -> Uuid,
        name -> Text,
        role -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        event_id -> Nullable<Uuid>,
        gate_ids -> Array<Nullable<Uuid>>,
        expires_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        token_id -> Nullable<Uuid>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Uuid,
        request_id -> Text,
        details -> Jsonb,
    }
}

diesel::table! {
    badge_blocks (serial) {
        serial -> Int8,
        event_id -> Uuid,
        reason -> Text,
        blocked_at -> Timestamptz,
    }
}

diesel::table! {
    badges (id) {
        id -> Uuid,
        event_id -> Uuid,
        participant_id -> Uuid,
        serial -> Int8,
        version -> Int4,
        key_id -> Int8,
        category_id -> Uuid,
        qr_text -> Text,
        issued_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revocation_reason -> Nullable<Text>,
        revocation_note -> Text,
        template_code -> Nullable<Text>,
        template_version -> Nullable<Int4>,
    }
}

diesel::table! {
    categories (id) {
        id -> Uuid,
        event_id -> Uuid,
        code -> Text,
        name -> Text,
        color -> Text,
        zone_ids -> Array<Nullable<Uuid>>,
        valid_days -> Array<Nullable<Date>>,
        number -> Int2,
        name_ru -> Text,
        name_uz -> Text,
        badge_layout -> Text,
        badge_template -> Nullable<Text>,
    }
}

diesel::table! {
    delegation_quotas (delegation_id, category_id) {
        delegation_id -> Uuid,
        category_id -> Uuid,
        quota -> Int4,
    }
}

diesel::table! {
    delegations (id) {
        id -> Uuid,
        event_id -> Uuid,
        country -> Text,
        name -> Text,
        head_participant_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        answers -> Jsonb,
    }
}

diesel::table! {
    enrolment_codes (id) {
        id -> Uuid,
        code_hash -> Bytea,
        name -> Text,
        role -> Text,
        event_id -> Nullable<Uuid>,
        gate_ids -> Array<Nullable<Uuid>>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        token_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    events (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        venue -> Text,
        time_zone -> Text,
        first_day -> Date,
        last_day -> Date,
        names_at_gates -> Bool,
        created_at -> Timestamptz,
        photos_at_gates -> Bool,
    }
}

diesel::table! {
    gates (id) {
        id -> Uuid,
        event_id -> Uuid,
        code -> Text,
        name -> Text,
        zone_id -> Uuid,
    }
}

diesel::table! {
    idempotency_keys (scope, request_id) {
        scope -> Text,
        request_id -> Text,
        fingerprint -> Bytea,
        resource_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    import_replies (id) {
        id -> Uuid,
        event_id -> Uuid,
        rows -> Int4,
        reply -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    organizations (id) {
        id -> Uuid,
        event_id -> Uuid,
        name -> Text,
        name_key -> Text,
        country -> Text,
        kind -> Text,
        created_at -> Timestamptz,
        answers -> Jsonb,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Xid8;

    participants (id) {
        id -> Uuid,
        event_id -> Uuid,
        given_name -> Text,
        family_name -> Text,
        native_name -> Text,
        given_key -> Text,
        family_key -> Text,
        organization_id -> Nullable<Uuid>,
        country -> Text,
        job_title -> Text,
        category_id -> Uuid,
        delegation_id -> Nullable<Uuid>,
        email -> Text,
        phone -> Text,
        document_cipher -> Nullable<Bytea>,
        document_hash -> Nullable<Bytea>,
        status -> Text,
        cancel_reason -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        changed_by -> Xid8,
        external_ref -> Text,
        answers -> Jsonb,
        answer_text -> Text,
    }
}

diesel::table! {
    participant_photos (participant_id) {
        participant_id -> Uuid,
        event_id -> Uuid,
        jpeg -> Nullable<Bytea>,
        width -> Int4,
        height -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    presence (serial, zone_id) {
        serial -> Int8,
        zone_id -> Uuid,
        event_id -> Uuid,
        since -> Timestamptz,
    }
}

diesel::table! {
    scan_conflicts (id) {
        id -> Int8,
        event_id -> Uuid,
        kind -> Text,
        serial -> Nullable<Int8>,
        version -> Nullable<Int4>,
        scans -> Text,
        gate_ids -> Array<Nullable<Uuid>>,
        nonces -> Array<Nullable<Text>>,
        scanned_at -> Timestamptz,
        found_at -> Timestamptz,
    }
}

diesel::table! {
    scans (gate_id, nonce) {
        gate_id -> Uuid,
        nonce -> Text,
        event_id -> Uuid,
        zone_id -> Uuid,
        serial -> Nullable<Int8>,
        version -> Nullable<Int4>,
        direction -> Text,
        decision -> Text,
        reason -> Nullable<Text>,
        scanned_at -> Timestamptz,
        recorded_at -> Timestamptz,
        offline -> Bool,
    }
}

diesel::table! {
    signing_keys (key_id) {
        key_id -> Int8,
        event_id -> Uuid,
        public_key -> Bytea,
        secret_cipher -> Bytea,
        status -> Text,
        created_at -> Timestamptz,
        retired_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    zone_occupancy (zone_id, shard) {
        zone_id -> Uuid,
        shard -> Int2,
        event_id -> Uuid,
        inside -> Int4,
    }
}

diesel::table! {
    zones (id) {
        id -> Uuid,
        event_id -> Uuid,
        code -> Text,
        name -> Text,
        capacity -> Int4,
        parent_zone_id -> Nullable<Uuid>,
        number -> Int2,
        name_ru -> Text,
        name_uz -> Text,
    }
}

diesel::joinable!(badge_blocks -> events (event_id));
diesel::joinable!(badges -> categories (category_id));
diesel::joinable!(badges -> events (event_id));
diesel::joinable!(badges -> participants (participant_id));
diesel::joinable!(badges -> signing_keys (key_id));
diesel::joinable!(categories -> events (event_id));
diesel::joinable!(delegation_quotas -> categories (category_id));
diesel::joinable!(delegation_quotas -> delegations (delegation_id));
diesel::joinable!(delegations -> events (event_id));
diesel::joinable!(gates -> events (event_id));
diesel::joinable!(gates -> zones (zone_id));
diesel::joinable!(import_replies -> events (event_id));
diesel::joinable!(organizations -> events (event_id));
diesel::joinable!(participant_photos -> events (event_id));
diesel::joinable!(participant_photos -> participants (participant_id));
diesel::joinable!(presence -> events (event_id));
diesel::joinable!(presence -> zones (zone_id));
diesel::joinable!(scan_conflicts -> events (event_id));
diesel::joinable!(scans -> events (event_id));
diesel::joinable!(scans -> gates (gate_id));
diesel::joinable!(scans -> zones (zone_id));
diesel::joinable!(signing_keys -> events (event_id));
diesel::joinable!(zone_occupancy -> events (event_id));
diesel::joinable!(zone_occupancy -> zones (zone_id));
diesel::joinable!(zones -> events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    audit_log,
    badge_blocks,
    badges,
    categories,
    delegation_quotas,
    enrolment_codes,
    delegations,
    events,
    gates,
    idempotency_keys,
    import_replies,
    organizations,
    participant_photos,
    participants,
    presence,
    scan_conflicts,
    scans,
    signing_keys,
    zone_occupancy,
    zones,
);
