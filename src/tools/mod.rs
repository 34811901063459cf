//! The tools that ship in the binary beside the server: `expopass demo`
//! (the reference event end to end) and `expopass bench` (the load
//! generators behind `docs/benchmarks.md`). They drive the server through
//! its gRPC API and the library's public surface only; nothing of the
//! server depends on them.

pub(crate) mod bench;
pub(crate) mod demo;
