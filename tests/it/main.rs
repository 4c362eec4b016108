//! Integration tests: one binary, shared fixtures (see `common`).

mod cli;
mod common;
mod concurrency;
mod eval;
mod knowledge_errors;
mod properties;
mod sample_kb;
