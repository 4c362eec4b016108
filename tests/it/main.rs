//! Integration tests: one binary, shared fixtures (see `common`).

mod cli;
mod common;
mod concurrency;
mod knowledge_errors;
mod persistence;
mod properties;
mod sample_kb;
