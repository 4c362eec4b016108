//! wenda embedded in a small Rust web service: the service has its own routes and mounts
//! wenda's HTTP API under `/bot`, logs to a JSONL file outside the knowledge directory, and
//! reloads the knowledge base when asked.
//!
//! ```sh
//! cargo run --release --example embedded_service        # listens on 127.0.0.1:3000
//! curl -s localhost:3000/bot/ask -H 'Content-Type: application/json' -d '{"message":"车险怎么报案"}'
//! curl -s localhost:3000/                               # the service's own route
//! ```
//!
//! It answers one scripted request itself first (through the library, no HTTP), so that
//! `cargo run --example embedded_service -- --check` runs without a client and exits.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use wenda::http::{HttpOptions, router, serve, shutdown_signal};
use wenda::querylog::JsonlLog;
use wenda::{Bot, Customer, KnowledgeBase, Service};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kb_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");
    let log_path = std::env::temp_dir().join("wenda-embedded-log.jsonl");
    let service = Arc::new(
        Service::builder(Bot::build(KnowledgeBase::load(kb_dir)?)?)
            .reload_from_kb(kb_dir)
            .log(Arc::new(JsonlLog::open(&log_path)?))
            .build(),
    );

    // In-process use: the same service the HTTP routes use.
    let reply = service.ask(Some("warm-up"), "车险怎么报案", &Customer::default());
    println!(
        "in-process: {} {:?} ({:.2})",
        reply.decision.kind(),
        reply.answer_id(),
        reply.confidence
    );
    if std::env::args().any(|a| a == "--check") {
        return Ok(());
    }

    let app = Router::new()
        .route(
            "/",
            get(|| async { "my insurance portal (wenda is under /bot)" }),
        )
        .nest("/bot", router(Arc::clone(&service), HttpOptions::default()));
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
        println!(
            "listening on http://127.0.0.1:3000 (log: {})",
            log_path.display()
        );
        serve(listener, app, shutdown_signal()).await
    })?;
    Ok(())
}
