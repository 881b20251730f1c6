//! End-to-end tests of `mentor-app`: the real server on 127.0.0.1:0 over a fresh database per test.
//!
//! Set `MENTOR_TEST_POSTGRES_URL` to also run every suite on PostgreSQL, `TEST_LOG=1` to see the server's logs.

/// Read API: tokens, roles, load, evidence, health.
mod api;
/// History over GitHub's GraphQL API.
mod backfill;
/// The dashboard in a real headless Chromium.
mod browser;
/// Check-in calendar feeds.
mod calendar;
/// The binary: `deliveries`, `token`, `replay`, `demo`, kill -9 mid-stream.
mod cli;
/// `/mentor` commands against the fake GitHub.
mod commands;
/// Sign in with GitHub: sessions, state, PKCE, logout; the pages each role may see.
mod dashboard;
/// A strict fake GitHub REST API on loopback.
mod fake_github;
/// The fake GitHub's GraphQL endpoint, checked against GitHub's schema.
mod fake_graphql;
/// The GitHub client, the config source and enrichment against the fake GitHub.
mod github;
/// Reading rendered pages: tables by caption.
mod html;
/// The growth journal against the fake GitHub.
mod journal;
/// Prometheus metrics.
mod metrics;
/// Reminders and escalations for quiet pairs.
mod nudges;
/// Organizations are the boundary: two orgs, shared logins, scoped tokens, installation lifecycle.
mod orgs;
/// The outbox and the review guide against the fake GitHub.
mod outbox;
/// The mentee and mentor pages.
mod pages;
/// The app and the CLI agree on the same history.
mod parity;
/// A person's data (export, erase, access log) and operating the store (backup, payload retention).
mod person;
/// The program owner's API: match proposals and the audit.
mod program;
/// Several replicas on one PostgreSQL: heartbeats, kill -9, exactly once.
mod replicas;
/// `mentor-app setup`: the manifest flow against the fake GitHub.
mod setup;
/// The store's contract, the same functions on SQLite and PostgreSQL.
mod store_contract;
/// Shared fixtures.
mod util;
/// `POST /webhook`.
mod webhook;
/// Background processing.
mod worker;
