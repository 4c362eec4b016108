//! Integration tests: one binary, shared fixtures (see `common`).

mod calibration;
mod cli;
mod common;
mod concurrency;
mod conversation;
mod curator;
mod encoders;
mod eval;
mod fixture_kb;
mod http;
mod http_conn;
mod index_fuzz;
mod knowledge_errors;
mod layers;
mod masking;
mod persistence;
mod properties;
mod reload;
mod replicas;
mod retrieval;
mod sample_kb;
