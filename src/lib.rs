//! Expopass: the accreditation backend of a large trade fair.
//!
//! See `docs/ARCHITECTURE.md` for the map of these modules.

pub mod app;
mod call;
pub mod config;
pub mod console;
pub mod db;
pub mod desk;
pub mod domain;
pub mod error;
mod grpc;
pub mod ids;
mod limits;
pub mod listener;
pub mod local;
pub mod meter;
mod observe;
mod pg_embedded;
pub mod proto;
pub mod render;
pub mod server;
pub mod telemetry;
pub mod tls;
pub mod vocab;
pub mod words;
