#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on the first unexpected error"
)]
#![expect(
    unreachable_pub,
    reason = "test helpers are shared between modules of one binary"
)]

//! Integration tests: the real server over gRPC on 127.0.0.1, a real
//! PostgreSQL database per test.

mod audit;
mod auth;
mod backup;
mod badges;
mod desk;
mod embedded;
mod event_file;
mod events;
mod export;
mod failover;
mod fields;
mod fuzz;
mod gates;
mod grpc_web;
mod hostile;
mod import;
mod logs;
mod migrations;
mod races;
mod registration;
mod search;
mod stats;
mod support;
mod templates;
mod tls;
mod tokens;
