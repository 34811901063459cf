//! Typed ids: a participant id cannot be passed where an event id is meant.

use std::fmt;

use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An event.
    EventId,
    /// A zone of an event.
    ZoneId,
    /// A category of an event.
    CategoryId,
    /// A gate of an event.
    GateId,
    /// An organisation.
    OrganizationId,
    /// A delegation.
    DelegationId,
    /// A participant.
    ParticipantId,
    /// An API token.
    TokenId,
);
