//! The go-plugin transport Terraform speaks to providers: handshake on stdout,
//! mutual TLS on a unix socket, gRPC on top.
//!
//! Owned by this project rather than taken from a crate because we need
//! protocol 6.9, a client certificate that is required (not optional), and a
//! magic-cookie check (see DESIGN.md).

pub mod handshake;
pub mod identity;
pub mod moved;
pub mod parent;
pub mod serve;
pub mod tls;
