//! Startup: open the store, build the router, bind, then run the API and the workers as sibling tasks.
//!
//! [`build`] does everything that can fail at start (settings, database, migrations, bind) and returns an
//! [`App`] whose port is known, so tests bind port 0 and read it back; [`App::run`] serves until the shutdown
//! future resolves (SIGTERM/SIGINT in `serve`), drains in-flight requests (bounded by the timeout layer), then
//! stops the workers after the delivery in hand.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::config_source::ConfigSource;
use crate::github::{GitHubApi, GitHubSettings, LiveGitHub, Patience};
use crate::http::{AppState, router};
use crate::inbox::{Handoff, Inbox};
use crate::settings::ServeArgs;
use crate::store::Store;
use crate::worker::Worker;

/// A built, bound, not yet running app.
pub struct App {
    listener: TcpListener,
    router: Router,
    store: Store,
    worker: Arc<Worker>,
    workers: u16,
    sender: Arc<crate::outbox::Sender>,
    scheduler: Arc<crate::scheduler::Scheduler>,
    backfill: Arc<crate::backfill::Backfill>,
    inbox_task: tokio::task::JoinHandle<()>,
    /// Keeps the writer thread's runtime alive as long as the app.
    _writer: WriterThread,
}

/// A runtime on a thread of its own for the tasks that hold the database's single writer: the inbox's group
/// commits and the workers' result commits.
///
/// Each statement is a round trip to the database's connection thread, and the transaction holds the writer
/// until the task that issues the next statement runs again. On the main runtime that task waits in line behind
/// dozens of request handlers (HMAC, JSON), which stretched every write transaction to several milliseconds
/// while the others queued for the writer. On this otherwise idle thread it runs as soon as it is woken.
pub(crate) struct WriterThread {
    runtime: Option<tokio::runtime::Runtime>,
}

impl WriterThread {
    fn start() -> anyhow::Result<WriterThread> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("db-writer")
            .enable_all()
            .build()
            .context("cannot start the database writer thread")?;
        Ok(WriterThread { runtime: Some(runtime) })
    }

    fn handle(&self) -> tokio::runtime::Handle {
        match &self.runtime {
            Some(rt) => rt.handle().clone(),
            // Only `drop` takes the runtime out.
            None => tokio::runtime::Handle::current(),
        }
    }
}

impl Drop for WriterThread {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which is not allowed inside another runtime: let it wind down by itself.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Builds the app with the live GitHub client (needs MENTOR_APP_ID and MENTOR_PRIVATE_KEY_FILE).
pub async fn build(settings: &ServeArgs, database_url: &str) -> anyhow::Result<App> {
    // Settings are checked in the order `--help` lists them, so the first missing one is named first.
    settings.webhook_secrets()?;
    let github = live_github(
        settings.app_id,
        settings.private_key.as_ref(),
        settings.private_key_file.as_deref(),
        &settings.github_api_url,
    )?
    .with_patience(Patience {
        timeout: Duration::from_secs(settings.github_timeout_secs),
        ..Patience::default()
    });
    build_with(settings, database_url, Arc::new(github)).await
}

/// Returns the live GitHub client for the App `app_id` with its private key (inline or from a file).
pub fn live_github(
    app_id: Option<u64>,
    private_key: Option<&crate::settings::Secret>,
    private_key_file: Option<&std::path::Path>,
    api_url: &str,
) -> anyhow::Result<LiveGitHub> {
    let app_id = app_id.context(
        "MENTOR_APP_ID is not set\n\nSet MENTOR_APP_ID (or --app-id) to the id shown on the GitHub App's settings page.",
    )?;
    let private_key_pem = match (private_key, private_key_file) {
        (Some(pem), _) => pem.expose().to_owned(),
        (None, Some(key_path)) => std::fs::read_to_string(key_path).with_context(|| {
            format!("MENTOR_PRIVATE_KEY_FILE: cannot read {}", key_path.display())
        })?,
        (None, None) => anyhow::bail!(
            "MENTOR_PRIVATE_KEY_FILE is not set\n\nSet it to the path of the App's private key (.pem) downloaded from \
             GitHub (or MENTOR_PRIVATE_KEY to the key itself; `mentor-app setup` writes it to mentor.env)."
        ),
    };
    LiveGitHub::new(GitHubSettings {
        api_url: api_url.to_owned(),
        app_id,
        private_key_pem: crate::github::Secret::new(private_key_pem),
    })
    .context("MENTOR_PRIVATE_KEY_FILE / MENTOR_GITHUB_API_URL: cannot set up the GitHub client")
}

/// Builds the app over `github` (tests and the demo pass their own).
pub async fn build_with(
    settings: &ServeArgs,
    database_url: &str,
    github: Arc<dyn GitHubApi>,
) -> anyhow::Result<App> {
    let secrets = settings.webhook_secrets()?;
    let store = Store::connect(database_url).await?;
    if !store.is_postgres() {
        // A SQLite file has exactly one server process, so claims left by a previous (killed) run are dead.
        let released = store.release_claims().await? + store.release_writes().await?;
        if released > 0 {
            tracing::info!(
                released,
                "deliveries left in processing by the previous run are queued again"
            );
        }
    }
    let wake = Arc::new(Notify::new());
    let handoff = Arc::new(Handoff::default());
    let lease = Duration::from_secs(settings.claim_lease_secs);
    let writer = WriterThread::start()?;
    let (inbox, inbox_task) =
        Inbox::start(&writer.handle(), store.clone(), wake.clone(), handoff.clone(), lease);
    let configs = Arc::new(ConfigSource::new(github.clone()));
    let clock = settings.now.map(Clock::starting_at).unwrap_or_default();
    let sign_in = settings.sign_in()?.map(Arc::new);
    let metrics = Arc::new(crate::metrics::Metrics::new()?);
    let state = Arc::new(AppState {
        store: store.clone(),
        secrets,
        inbox,
        configs: configs.clone(),
        clock,
        sign_in,
        pages: crate::http::pages::Pages::new()?,
        demo: settings.demo,
        github: github.clone(),
        roles: crate::http::dashboard::RoleCache::default(),
        metrics: metrics.clone(),
        metrics_token: settings.metrics_token.clone(),
    });
    let router =
        router(state, settings.max_body, Duration::from_secs(settings.request_timeout_secs));
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("MENTOR_LISTEN: cannot listen on {}", settings.listen))?;
    let sender = Arc::new(crate::outbox::Sender {
        store: store.clone(),
        github: github.clone(),
        max_attempts: settings.outbox_max_attempts,
        retry_base: Duration::from_millis(settings.retry_base_ms),
        wake: Arc::new(Notify::new()),
    });
    let scheduler = Arc::new(crate::scheduler::Scheduler {
        store: store.clone(),
        configs: configs.clone(),
        clock,
        wake: sender.wake.clone(),
        every: Duration::from_secs(settings.nudge_every_secs),
        digested: std::sync::Mutex::new(std::collections::HashMap::new()),
        payload_retention: settings.payload_retention.0,
        housekept: std::sync::Mutex::new(None),
    });
    let backfill = Arc::new(crate::backfill::Backfill::new(
        store.clone(),
        configs.clone(),
        github.clone(),
        clock,
        sender.wake.clone(),
    ));
    let worker = Arc::new(Worker {
        store: store.clone(),
        configs,
        github,
        max_attempts: settings.max_attempts,
        retry_base: Duration::from_millis(settings.retry_base_ms),
        lease,
        wake,
        handoff,
        writer: writer.handle(),
        recorded_problems: std::sync::Mutex::new(None),
        clock,
        guides: crate::guide::Guides::default(),
        metrics,
        backfill_window: settings.backfill.0,
        backfill_wake: backfill.wake_on_request.clone(),
    });
    Ok(App {
        listener,
        router,
        store,
        worker,
        workers: settings.workers,
        sender,
        scheduler,
        backfill,
        inbox_task,
        _writer: writer,
    })
}

impl App {
    /// Returns the address the app listens on.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Returns the port the app listens on.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// Returns the store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until `shutdown` resolves, then drains requests and stops the workers.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut workers = tokio::task::JoinSet::new();
        if self.workers > 0 {
            self.worker.handoff.open();
        }
        for i in 0..usize::from(self.workers) {
            workers.spawn(self.worker.clone().run(i, stop_rx.clone()));
        }
        workers.spawn(self.sender.clone().run(stop_rx.clone()));
        workers.spawn(self.scheduler.clone().run(stop_rx.clone()));
        workers.spawn(self.backfill.clone().run(stop_rx.clone()));
        let heartbeat = tokio::spawn(crate::heartbeat::run(
            self.store.clone(),
            self.worker.lease,
            crate::outbox::LEASE,
            stop_rx.clone(),
        ));
        crate::memory::tune();
        let trims = tokio::spawn(crate::memory::run(stop_rx.clone()));
        let checkpoints = {
            let store = self.store.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                        _ = stop.changed() => break,
                    }
                    if let Err(e) = store.checkpoint().await {
                        tracing::warn!(error = format!("{e:#}"), "WAL checkpoint failed");
                    }
                }
            })
        };
        let addr = self.listener.local_addr()?;
        tracing::info!(%addr, workers = self.workers, "serving");
        let api = axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown);
        let api = tokio::spawn(async move { api.await });
        tokio::pin!(api);
        // API and workers are siblings: whichever ends first is logged, then the other is stopped.
        let result = tokio::select! {
            r = &mut api => {
                match &r {
                    Ok(Ok(())) => tracing::info!("api stopped"),
                    Ok(Err(e)) => tracing::error!(error = %e, "api exited with an error"),
                    Err(e) => tracing::error!(error = %e, "api task panicked"),
                }
                r.map_err(anyhow::Error::from).and_then(|r| r.map_err(anyhow::Error::from))
            }
            Some(w) = workers.join_next() => {
                tracing::error!(result = ?w, "a worker exited; stopping");
                Err(anyhow::anyhow!("a worker exited unexpectedly"))
            }
        };
        let _ = stop_tx.send(true);
        while let Some(w) = workers.join_next().await {
            if let Ok(Err(e)) = w {
                tracing::warn!(error = format!("{e:#}"), "worker ended with an error");
            }
        }
        // Deliveries claimed for the workers but not taken up: claimable at once by the next run (or replica).
        let left = self.worker.handoff.close();
        if !left.is_empty()
            && let Err(e) = self.store.release(&left).await
        {
            tracing::warn!(error = format!("{e:#}"), "releasing unprocessed claims failed");
        }
        self.inbox_task.abort();
        let _ = checkpoints.await;
        let _ = heartbeat.await;
        let _ = trims.await;
        if let Err(e) = self.store.checkpoint().await {
            tracing::warn!(error = format!("{e:#}"), "final WAL checkpoint failed");
        }
        self.store.close().await;
        result
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT received; shutting down"),
        _ = term => tracing::info!("SIGTERM received; shutting down"),
    }
}
