//! Fixed vocabularies stored as text, shared by the domain and `db`: the
//! macro that gives each enum its one text mapping (the stable code that
//! gates, logs, exports and the database show, and its `ToSql`/`FromSql`),
//! and the words of the gates: deny reasons, directions, decisions and the
//! kinds of conflict an offline upload reveals. A leaf: it imports nothing
//! of the crate.

/// Declares an enum stored as text: its one mapping to its stable code
/// (`as_str`, `parse`) and to SQL (`ToSql` and `FromSql` for `Text`), from
/// one table of variants and codes. A stored code this version does not
/// know is an error when read, never a stand-in variant.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            /// The stable code, as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The variant with this code.
            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| {
                    format!("unexpected {} {text:?}", stringify!($name)).into()
                })
            }
        }
    };
}

pub(crate) use text_enum;

text_enum! {
    /// Why a scan is refused, in the order the checks run.
    DenyReason {
        Malformed => "MALFORMED",
        UnknownKey => "UNKNOWN_KEY",
        BadSignature => "BAD_SIGNATURE",
        WrongEvent => "WRONG_EVENT",
        Revoked => "REVOKED",
        Blocked => "BLOCKED",
        NotValidToday => "NOT_VALID_TODAY",
        ZoneNotAllowed => "ZONE_NOT_ALLOWED",
        ZoneFull => "ZONE_FULL",
        AlreadyInside => "ALREADY_INSIDE",
    }
}

impl DenyReason {
    /// Whether the refusal concerns the badge itself (a token that cannot
    /// be read or trusted), and so refuses exits too.
    pub fn refuses_exit(self) -> bool {
        matches!(
            self,
            DenyReason::Malformed
                | DenyReason::UnknownKey
                | DenyReason::BadSignature
                | DenyReason::WrongEvent
        )
    }
}

text_enum! {
    /// Which way a badge passes a gate.
    Direction {
        In => "in",
        Out => "out",
    }
}

text_enum! {
    /// What a gate decided about a scan.
    Decision {
        Allow => "allow",
        Deny => "deny",
    }
}

text_enum! {
    /// What kind of conflict uploaded scans show.
    ConflictKind {
        /// Entered one zone at two gates without leaving it, at least once
        /// offline (a badge passed back, or copied).
        EnteredTwice => "ENTERED_TWICE",
        /// Let in offline after the badge was revoked.
        AdmittedRevoked => "ADMITTED_REVOKED",
        /// Let in offline while the badge was blocked.
        AdmittedBlocked => "ADMITTED_BLOCKED",
    }
}

impl ConflictKind {
    /// The conflict in English words, for API clients that do not know
    /// the kind.
    pub fn description(self) -> &'static str {
        match self {
            Self::EnteredTwice => {
                "entered the same zone at two gates without leaving it, at least once offline"
            }
            Self::AdmittedRevoked => "admitted offline after it was revoked",
            Self::AdmittedBlocked => "admitted offline while blocked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_its_variant() {
        for r in DenyReason::ALL {
            assert_eq!(DenyReason::parse(r.as_str()), Some(*r));
        }
        for k in ConflictKind::ALL {
            assert_eq!(ConflictKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(Direction::parse("out"), Some(Direction::Out));
        assert_eq!(Decision::parse("allow"), Some(Decision::Allow));
        assert_eq!(DenyReason::parse("MALFORMED "), None);
        assert_eq!(DenyReason::parse("TIRED"), None);
    }
}
