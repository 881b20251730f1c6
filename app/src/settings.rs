//! Command line and settings: every server setting comes from a flag or a `MENTOR_*` environment variable.
//!
//! This module only parses and validates what the operator typed; opening the database, reading secret files
//! and binding sockets happen in [`crate::server`]. Secrets live in [`Secret`], whose `Debug` is redacted so a
//! settings dump in a log never leaks them.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::store::{DeliveryStatus, WriteStatus};

/// Mentor's GitHub App server: verified webhook ingest, touchpoints, evidence and the read API.
#[derive(Debug, Parser)]
#[command(name = "mentor-app", version)]
pub struct Cli {
    /// Database URL: a SQLite file path or `sqlite://…` URL, or `postgres://…` to use PostgreSQL.
    #[arg(long, global = true, env = "MENTOR_DATABASE_URL", default_value = "mentor.db")]
    pub database_url: String,
    /// Log format on stderr.
    #[arg(long, global = true, env = "MENTOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the webhook receiver, the worker and the read API.
    Serve(Box<ServeArgs>),
    /// Inspect and retry webhook deliveries.
    #[command(subcommand)]
    Deliveries(DeliveriesCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run a self-contained demo: a server on a local SQLite file fed with a bundled sprint of deliveries.
    Demo(DemoArgs),
    /// Sign a saved webhook payload with the configured secret and POST it to a running server.
    Replay(ReplayArgs),
    /// Register Mentor as a GitHub App through GitHub's manifest flow (or `--import` one made by hand) and write
    /// its credentials to an env file for `serve --env-file`.
    Setup(SetupArgs),
    /// Inspect and retry the writes Mentor makes to GitHub (comments, reactions, journal issues).
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// The orgs that installed the App: one program each.
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Read an org's merged pull requests (reviews, comments, files, landed commits) through GitHub's GraphQL API
    /// into touchpoints and evidence, as their webhooks would have; `backfill status` shows the progress.
    Backfill(BackfillArgs),
    /// Everything stored about one person in one org: `export` it as JSON, or `erase` it.
    #[command(subcommand)]
    Person(PersonCommand),
    /// Who read whose evidence or feedback (through the API or the dashboard), newest last; kept for a year.
    AccessLog(AccessLogArgs),
    /// Copy the SQLite database, while the server runs, into a new file (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
}

/// `person …`.
#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Write everything stored about LOGIN in the org as JSON: touchpoints, evidence, journal references, tokens
    /// by role, sessions, snoozes and who read their data.
    Export(PersonExportArgs),
    /// Delete everything stored about LOGIN in the org, replace their growth journal with a removal note (sent by
    /// the server) and record the erasure (who, when; never the data).
    Erase(PersonEraseArgs),
}

/// `person export`.
#[derive(Debug, Args)]
pub struct PersonExportArgs {
    /// The org (installation account).
    #[arg(long)]
    pub org: String,
    /// The person's GitHub login.
    pub login: String,
    /// Write the JSON to this new file (mode 0600) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `person erase`.
#[derive(Debug, Args)]
pub struct PersonEraseArgs {
    /// The org (installation account).
    #[arg(long)]
    pub org: String,
    /// The person's GitHub login.
    pub login: String,
    /// Who is erasing (recorded with the erasure); by default the OS user running the command.
    #[arg(long)]
    pub by: Option<String>,
    /// Erase without asking to type the login.
    #[arg(long)]
    pub yes: bool,
}

/// `access-log`.
#[derive(Debug, Args)]
pub struct AccessLogArgs {
    /// The org (installation account).
    #[arg(long)]
    pub org: String,
    /// Print JSON: `{"entries":[{"org","reader_kind","reader","subject","what","route","at"}]}`.
    #[arg(long)]
    pub json: bool,
    /// Only reads of this person's data.
    #[arg(long)]
    pub subject: Option<String>,
    /// Only reads since this date (`2026-06-01`) or this long ago (`30d`).
    #[arg(long, value_parser = parse_since)]
    pub since: Option<Since>,
}

/// `backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write the copy to; an existing file is never overwritten.
    pub file: PathBuf,
}

/// `backfill …`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackfillArgs {
    /// `status`: the progress instead of a backfill.
    #[command(subcommand)]
    pub command: Option<BackfillCommand>,
    /// The org whose history to read (the installation account).
    #[arg(long)]
    pub org: Option<String>,
    /// How far back: pull requests merged in the last `180d` (`26w`, …) or since a date (`2026-06-01`).
    #[arg(long, default_value = "180d", value_parser = parse_since)]
    pub since: Since,
    /// Only this repository (`owner/name`) instead of every one the installation sees.
    #[arg(long)]
    pub repo: Option<String>,
    /// The GitHub App's id.
    #[arg(long, env = "MENTOR_APP_ID")]
    pub app_id: Option<u64>,
    /// The GitHub App's private key (PEM file).
    #[arg(long, env = "MENTOR_PRIVATE_KEY_FILE")]
    pub private_key_file: Option<PathBuf>,
    /// The GitHub App's private key itself (PEM text), instead of a file.
    #[arg(
        long,
        env = "MENTOR_PRIVATE_KEY",
        hide_env_values = true,
        conflicts_with = "private_key_file"
    )]
    pub private_key: Option<Secret>,
    /// An env file to read settings from (as `serve`); `mentor.env` is read when present.
    #[arg(long)]
    pub env_file: Option<PathBuf>,
    /// GitHub REST API base URL (GraphQL is `{url}/graphql`, or `https://host/api/graphql` on GitHub Enterprise
    /// Server).
    #[arg(long, env = "MENTOR_GITHUB_API_URL", default_value = "https://api.github.com")]
    pub github_api_url: String,
}

/// `backfill status`.
#[derive(Debug, Subcommand)]
pub enum BackfillCommand {
    /// Per org: repositories done, pull requests read, GraphQL requests and points spent.
    Status(BackfillStatusArgs),
}

/// `backfill status`.
#[derive(Debug, Args)]
pub struct BackfillStatusArgs {
    /// Only this org.
    #[arg(long)]
    pub org: Option<String>,
    /// Print JSON: `{"orgs":[{"org","repos","repos_done","prs_read","requests","points","status","repositories":[…]}]}`.
    #[arg(long)]
    pub json: bool,
}

/// Where a backfill's window starts: a length back from now, or a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// This long before now.
    Ago(chrono::TimeDelta),
    /// This day (UTC midnight).
    Date(chrono::NaiveDate),
}

impl Since {
    /// Returns the instant the window starts at, as of `now`.
    pub fn start(self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        match self {
            Since::Ago(d) => now - d,
            Since::Date(day) => day.and_time(chrono::NaiveTime::MIN).and_utc(),
        }
    }
}

/// Parses `--since`: a duration like `180d` or a date like `2026-06-01`.
fn parse_since(text: &str) -> Result<Since, String> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(Since::Date(day));
    }
    text.parse::<mentor_core::duration::Duration>()
        .map(|d| Since::Ago(d.to_chrono()))
        .map_err(|e| format!("{e}; or a date like 2026-06-01"))
}

/// `orgs …`.
#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// List each org with its installation, the repositories whose config counts, when it last received a
    /// delivery, and its current config problems.
    List(OrgsListArgs),
}

/// `orgs list`.
#[derive(Debug, Args)]
pub struct OrgsListArgs {
    /// Print JSON: `[{"org","installation_id","status","repos":[…],"problems":[…],"last_delivery_at"}]`.
    #[arg(long)]
    pub json: bool,
}

/// `outbox …`.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List planned GitHub writes, newest first, with their status and last error.
    List(OutboxListArgs),
    /// Queue a (failed) write again with fresh attempts.
    Retry(OutboxRetryArgs),
}

/// `outbox list`.
#[derive(Debug, Args)]
pub struct OutboxListArgs {
    /// Only writes with this status.
    #[arg(long, value_enum)]
    pub status: Option<WriteStatus>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// At most this many writes.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

/// `outbox retry`.
#[derive(Debug, Args)]
pub struct OutboxRetryArgs {
    /// The write's id (first column of `outbox list`).
    pub id: i64,
}

/// `deliveries …`.
#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List deliveries, newest first, and the config problems the worker saw.
    List(DeliveriesListArgs),
    /// Put a delivery back in the queue (its attempts start again).
    Retry(DeliveriesRetryArgs),
}

/// `deliveries list`.
#[derive(Debug, Args)]
pub struct DeliveriesListArgs {
    /// Only deliveries with this status.
    #[arg(long, value_enum)]
    pub status: Option<DeliveryStatus>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// At most this many deliveries.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

/// `deliveries retry`.
#[derive(Debug, Args)]
pub struct DeliveriesRetryArgs {
    /// The delivery id (`X-GitHub-Delivery`).
    pub id: String,
}

/// `token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; the token is printed alone on the last line and only its hash is stored.
    Create(TokenCreateArgs),
}

/// `token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The org (installation account) the token belongs to; it reads only that org's data.
    #[arg(long)]
    pub org: String,
    /// `admin`, `manager`, `mentee:<login>`, `mentor:<login>` or `calendar:<login>` (a check-in calendar feed).
    #[arg(long)]
    pub role: String,
    /// The server's external base URL, to print a calendar token's feed URL.
    #[arg(long, env = "MENTOR_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// Settings of `serve`.
#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "MENTOR_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Webhook secrets, comma-separated; any of them verifies a delivery (several allow rotation).
    #[arg(
        long,
        env = "MENTOR_WEBHOOK_SECRET",
        hide_env_values = true,
        conflicts_with = "webhook_secret_file"
    )]
    pub webhook_secret: Option<Secret>,
    /// File holding the webhook secrets (comma- or newline-separated), instead of MENTOR_WEBHOOK_SECRET.
    #[arg(long, env = "MENTOR_WEBHOOK_SECRET_FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// The GitHub App's id.
    #[arg(long, env = "MENTOR_APP_ID")]
    pub app_id: Option<u64>,
    /// The GitHub App's private key (PEM file).
    #[arg(long, env = "MENTOR_PRIVATE_KEY_FILE")]
    pub private_key_file: Option<PathBuf>,
    /// The GitHub App's private key itself (PEM text, as `mentor-app setup` writes it), instead of a file.
    #[arg(
        long,
        env = "MENTOR_PRIVATE_KEY",
        hide_env_values = true,
        conflicts_with = "private_key_file"
    )]
    pub private_key: Option<Secret>,
    /// An env file to read settings from (`mentor-app setup` writes one); `mentor.env` is read when present.
    /// Variables already set in the environment win.
    #[arg(long)]
    pub env_file: Option<PathBuf>,
    /// GitHub REST API base URL.
    #[arg(long, env = "MENTOR_GITHUB_API_URL", default_value = "https://api.github.com")]
    pub github_api_url: String,
    /// Largest accepted webhook body, in bytes.
    #[arg(long, env = "MENTOR_MAX_BODY", default_value_t = 25 * 1024 * 1024)]
    pub max_body: usize,
    /// Worker tasks processing deliveries.
    #[arg(long, env = "MENTOR_WORKERS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
    /// Attempts before a delivery with transient failures is marked failed.
    #[arg(long, env = "MENTOR_MAX_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
    /// First retry delay in milliseconds; each further attempt doubles it (the default outlasts the 30 s for which
    /// an unreachable GitHub is remembered).
    #[arg(long, env = "MENTOR_RETRY_BASE_MS", default_value_t = 10_000)]
    pub retry_base_ms: u64,
    /// A bearer token `GET /metrics` requires (Prometheus' `authorization` setting); unset, /metrics is open.
    #[arg(long, env = "MENTOR_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// How far back the merged pull requests of a new installation (or of repositories added to one) are read
    /// through GitHub's GraphQL API: a duration like `180d`, or `off`.
    #[arg(long, env = "MENTOR_BACKFILL", default_value = "180d", value_parser = parse_window)]
    pub backfill: HistoryWindow,
    /// Seconds between two ticks of the nudge scheduler (reminders and escalations for quiet pairs).
    #[arg(long, env = "MENTOR_NUDGE_EVERY_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub nudge_every_secs: u64,
    /// Seconds a worker's claim on a delivery lasts unless its process renews it (a heartbeat every third of
    /// it); after that another worker or replica (PostgreSQL) takes it over, as when the claiming process died.
    #[arg(long, env = "MENTOR_CLAIM_LEASE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub claim_lease_secs: u64,
    /// Seconds a request may take before it is answered 408 (also bounds the shutdown drain).
    #[arg(long, env = "MENTOR_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Seconds one exchange with GitHub's REST API may take; a slower answer counts as a timeout (retried, and for
    /// a create looked up by its marker before it is sent again).
    #[arg(long, env = "MENTOR_GITHUB_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub github_timeout_secs: u64,
    /// Attempts before a GitHub write (comment, reaction, journal) with transient failures is marked failed;
    /// the first retry waits MENTOR_RETRY_BASE_MS, each further one twice as long (at most 15 minutes).
    #[arg(long, env = "MENTOR_OUTBOX_MAX_ATTEMPTS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub outbox_max_attempts: u32,
    /// The external base URL of this server (`https://mentor.example.com`): sign-in redirects back to
    /// `{MENTOR_PUBLIC_URL}/auth/github/callback`, and session cookies are `Secure` when it is https.
    #[arg(long, env = "MENTOR_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// GitHub's web base URL, for sign-in (GitHub Enterprise Server: `https://host`).
    #[arg(long, env = "MENTOR_GITHUB_URL", default_value = "https://github.com")]
    pub github_url: String,
    /// The App's client id (its settings page shows it); without it the dashboard is off.
    #[arg(long, env = "MENTOR_GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,
    /// The App's client secret.
    #[arg(long, env = "MENTOR_GITHUB_CLIENT_SECRET", hide_env_values = true)]
    pub github_client_secret: Option<Secret>,
    /// A file holding the App's client secret.
    #[arg(long, env = "MENTOR_GITHUB_CLIENT_SECRET_FILE")]
    pub github_client_secret_file: Option<PathBuf>,
    /// Set by `mentor-app demo` only: `/demo/login?as=<login>` signs anyone in without GitHub.
    #[arg(skip)]
    pub demo: bool,
    /// Start domain time at this RFC 3339 instant (which sprint is current, what is stale or due), running on from
    /// there; for reproducible demos and tests. Queue timing always follows the wall clock.
    #[arg(long, env = "MENTOR_NOW", value_parser = parse_instant)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// How long the raw webhook payloads of finished (done, failed, ignored) deliveries are kept: a duration like
    /// `30d`, or `off` to keep them forever. Touchpoints, evidence and the delivery's row are always kept.
    #[arg(long, env = "MENTOR_PAYLOAD_RETENTION", default_value = "30d", value_parser = parse_retention)]
    pub payload_retention: Retention,
}

/// How long something is kept, or None for forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention(pub Option<chrono::TimeDelta>);

/// Parses a retention: a duration like `30d`, or `off`.
pub fn parse_retention(text: &str) -> Result<Retention, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(Retention(None));
    }
    let d: mentor_core::duration::Duration =
        text.parse().map_err(|e| format!("{e}; or `off` to keep payloads forever"))?;
    Ok(Retention(Some(d.to_chrono())))
}

/// How far back history is read, or None for not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryWindow(pub Option<chrono::TimeDelta>);

/// Parses a history window: a duration like `180d`, or `off`.
pub fn parse_window(text: &str) -> Result<HistoryWindow, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(HistoryWindow(None));
    }
    let d: mentor_core::duration::Duration =
        text.parse().map_err(|e| format!("{e}; or `off` to read no history"))?;
    Ok(HistoryWindow(Some(d.to_chrono())))
}

/// Parses an RFC 3339 instant (`2026-11-25T12:00:00Z`).
fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|e| format!("`{text}` is not an RFC 3339 instant like 2026-11-25T12:00:00Z: {e}"))
}

impl ServeArgs {
    /// Returns settings for tests and the demo: listen on `listen`, verify with `secrets`, no GitHub App key.
    pub fn for_local(listen: SocketAddr, secrets: &str) -> ServeArgs {
        ServeArgs {
            listen,
            webhook_secret: Some(Secret::new(secrets)),
            webhook_secret_file: None,
            app_id: None,
            private_key_file: None,
            private_key: None,
            env_file: None,
            github_api_url: "https://api.github.com".into(),
            max_body: 25 * 1024 * 1024,
            workers: 2,
            max_attempts: 5,
            retry_base_ms: 10_000,
            nudge_every_secs: 60,
            backfill: HistoryWindow(Some(chrono::TimeDelta::days(180))),
            metrics_token: None,
            claim_lease_secs: 30,
            request_timeout_secs: 30,
            github_timeout_secs: 30,
            outbox_max_attempts: 10,
            public_url: None,
            github_url: "https://github.com".into(),
            github_client_id: None,
            github_client_secret: None,
            github_client_secret_file: None,
            demo: false,
            now: None,
            payload_retention: Retention(Some(chrono::TimeDelta::days(30))),
        }
    }

    /// Returns what signing in with GitHub needs, or None when MENTOR_GITHUB_CLIENT_ID is not set (the dashboard
    /// is off); a client id without its secret or the public URL is an error naming the missing setting.
    pub fn sign_in(&self) -> anyhow::Result<Option<crate::http::auth::SignIn>> {
        let Some(client_id) = self.github_client_id.clone().filter(|c| !c.trim().is_empty()) else {
            return Ok(None);
        };
        let client_secret = match (&self.github_client_secret, &self.github_client_secret_file) {
            (Some(s), _) => s.expose().trim().to_string(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| {
                    format!("MENTOR_GITHUB_CLIENT_SECRET_FILE: cannot read {}", path.display())
                })?
                .trim()
                .to_string(),
            (None, None) => anyhow::bail!(
                "MENTOR_GITHUB_CLIENT_SECRET is not set\n\nMENTOR_GITHUB_CLIENT_ID turns sign-in on; set \
                 MENTOR_GITHUB_CLIENT_SECRET (or MENTOR_GITHUB_CLIENT_SECRET_FILE) to the App's client secret too."
            ),
        };
        let public_url = self.public_url.as_deref().map(|u| u.trim_end_matches('/').to_string());
        let Some(public_url) =
            public_url.filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        else {
            anyhow::bail!(
                "MENTOR_PUBLIC_URL is not set to an http(s) URL\n\nSign-in sends GitHub back to \
                 {{MENTOR_PUBLIC_URL}}/auth/github/callback: set it to this server's external address, like \
                 https://mentor.example.com."
            );
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(self.request_timeout_secs.max(1)))
            .build()
            .context("cannot build the HTTP client for sign-in")?;
        Ok(Some(crate::http::auth::SignIn {
            client_id,
            client_secret: Secret::new(&client_secret),
            public_url,
            github_url: self.github_url.trim_end_matches('/').to_string(),
            api_url: self.github_api_url.trim_end_matches('/').to_string(),
            http,
        }))
    }

    /// Returns the webhook secrets from MENTOR_WEBHOOK_SECRET or MENTOR_WEBHOOK_SECRET_FILE.
    pub fn webhook_secrets(&self) -> anyhow::Result<Vec<Secret>> {
        let raw = match (&self.webhook_secret, &self.webhook_secret_file) {
            (Some(s), _) => s.expose().to_string(),
            (None, Some(path)) => std::fs::read_to_string(path).with_context(|| {
                format!("MENTOR_WEBHOOK_SECRET_FILE: cannot read {}", path.display())
            })?,
            (None, None) => anyhow::bail!(
                "MENTOR_WEBHOOK_SECRET is not set\n\nSet MENTOR_WEBHOOK_SECRET (or --webhook-secret) to the secret \
                 configured on the GitHub App, or MENTOR_WEBHOOK_SECRET_FILE to a file holding it."
            ),
        };
        let secrets: Vec<Secret> = raw
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Secret::new)
            .collect();
        if secrets.is_empty() {
            anyhow::bail!(
                "MENTOR_WEBHOOK_SECRET is empty\n\nSet it to the secret configured on the GitHub App \
                 (several may be given, comma-separated, while rotating)."
            );
        }
        Ok(secrets)
    }
}

/// `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, env = "MENTOR_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// SQLite file for the demo (recreated on each run).
    #[arg(long, default_value = "mentor-demo.db")]
    pub db: PathBuf,
    /// Exit once the bundled deliveries are processed and the tokens printed (for tests).
    #[arg(long)]
    pub exit_after_seed: bool,
}

/// `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The saved payload (JSON) to send.
    pub payload: PathBuf,
    /// The event name (`X-GitHub-Event`), e.g. `pull_request_review`.
    #[arg(long)]
    pub event: String,
    /// The webhook URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:3000/webhook")]
    pub url: String,
    /// Delivery id to send; a random one by default.
    #[arg(long)]
    pub delivery: Option<String>,
    /// The webhook secret to sign with (the first one, if several are given).
    #[arg(long, env = "MENTOR_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Secret,
}

/// `setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Mentor's external base URL: GitHub sends webhooks to `{URL}/webhook` and signs people in through
    /// `{URL}/auth/github/callback`. It must be reachable from GitHub (not localhost).
    #[arg(long, env = "MENTOR_PUBLIC_URL")]
    pub public_url: String,
    /// Register the App under this organization (else under your own account).
    #[arg(long)]
    pub org: Option<String>,
    /// GitHub's web address (GitHub Enterprise Server: `https://host`).
    #[arg(long, env = "MENTOR_GITHUB_URL", default_value = "https://github.com")]
    pub github_url: String,
    /// GitHub's REST API address; by default `https://api.github.com` for github.com, else `{github-url}/api/v3`.
    #[arg(long, env = "MENTOR_GITHUB_API_URL")]
    pub github_api_url: Option<String>,
    /// The env file to write (mode 0600).
    #[arg(long, default_value = "mentor.env")]
    pub out: PathBuf,
    /// Address of the local setup page (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Overwrite existing credentials in `--out`.
    #[arg(long)]
    pub force: bool,
    /// The App's name on GitHub (names are unique across GitHub).
    #[arg(long)]
    pub name: Option<String>,
    /// Take the credentials of an App made by hand instead (with `--app-id`, `--private-key-file`,
    /// `--webhook-secret`, `--client-id`, `--client-secret`).
    #[arg(long, requires_all = ["app_id", "private_key_file", "webhook_secret", "client_id", "client_secret"])]
    pub import: bool,
    /// With `--import`: the App's id.
    #[arg(long)]
    pub app_id: Option<u64>,
    /// With `--import`: the App's private key (PEM file downloaded from its settings page).
    #[arg(long)]
    pub private_key_file: Option<PathBuf>,
    /// With `--import`: the App's webhook secret.
    #[arg(long, hide_env_values = true)]
    pub webhook_secret: Option<Secret>,
    /// With `--import`: the App's client id.
    #[arg(long)]
    pub client_id: Option<String>,
    /// With `--import`: the App's client secret.
    #[arg(long)]
    pub client_secret: Option<Secret>,
}

/// A secret value whose `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: &str) -> Secret {
        Secret(value.to_string())
    }

    /// Returns the secret itself; call sites are the only places it is ever read.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret::new(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(
            !format!("{:?}", ServeArgs::for_local("127.0.0.1:0".parse().unwrap(), "hunter2"))
                .contains("hunter2")
        );
    }

    #[test]
    fn payload_retention_is_a_duration_or_off() {
        assert_eq!(parse_retention("30d").unwrap(), Retention(Some(chrono::TimeDelta::days(30))));
        assert_eq!(parse_retention("OFF").unwrap(), Retention(None));
        let e = parse_retention("soon").unwrap_err();
        assert!(e.contains("`off`"), "{e}");
        let cli =
            Cli::try_parse_from(["mentor-app", "serve", "--payload-retention", "2w"]).unwrap();
        let Command::Serve(args) = cli.command else { panic!("not serve") };
        assert_eq!(args.payload_retention, Retention(Some(chrono::TimeDelta::days(14))));
    }

    #[test]
    fn secrets_split_on_commas() {
        let args = ServeArgs::for_local("127.0.0.1:0".parse().unwrap(), "a, b,,c");
        let got: Vec<String> =
            args.webhook_secrets().unwrap().iter().map(|s| s.expose().to_string()).collect();
        assert_eq!(got, ["a", "b", "c"]);
    }
}
