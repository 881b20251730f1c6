//! `GET /metrics` in Prometheus' text format: what the worker and the HTTP layer count as they go, and what the
//! database holds at scrape time (inbox and outbox depth by status, how long the oldest waiting delivery has
//! waited). Each app has its own registry, so several servers in one process (tests) keep their counts apart.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::github::GitHubApi;
use crate::store::{DeliveryStatus, Store, WriteStatus};

/// The counters of one app.
pub struct Metrics {
    registry: Registry,
    /// Deliveries processed, by event and outcome (`done`, `retry`, `failed`).
    pub deliveries: IntCounterVec,
    /// Time to process one delivery (decode, derive, plan), by event.
    pub processing: HistogramVec,
    /// HTTP requests answered, by route (the matched pattern), method and status.
    pub http: IntCounterVec,
}

impl Metrics {
    /// Returns a fresh set of counters.
    pub fn new() -> anyhow::Result<Metrics> {
        let registry = Registry::new();
        let deliveries = IntCounterVec::new(
            Opts::new(
                "mentor_deliveries_total",
                "Webhook deliveries processed, by event and outcome.",
            ),
            &["event", "status"],
        )?;
        let processing = HistogramVec::new(
            HistogramOpts::new(
                "mentor_delivery_processing_seconds",
                "Time to process one delivery, by event.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["event"],
        )?;
        let http = IntCounterVec::new(
            Opts::new(
                "mentor_http_requests_total",
                "HTTP requests answered, by route, method and status.",
            ),
            &["route", "method", "status"],
        )?;
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(processing.clone()))?;
        registry.register(Box::new(http.clone()))?;
        // process_resident_memory_bytes, CPU seconds, open fds: what every Prometheus exporter shows.
        #[cfg(target_os = "linux")]
        registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))?;
        Ok(Metrics { registry, deliveries, processing, http })
    }

    /// Returns every metric in Prometheus' text format, with the database's gauges and what the GitHub connection
    /// saw read now.
    pub async fn render(&self, store: &Store, github: &dyn GitHubApi) -> anyhow::Result<String> {
        let scrape = Registry::new();
        let inbox = IntGaugeVec::new(
            Opts::new("mentor_inbox_deliveries", "Deliveries in the inbox, by status."),
            &["status"],
        )?;
        // Every status is exported, 0 included: a series that appears only once it is non-zero breaks
        // `rate()` and alerts on absence.
        for status in DeliveryStatus::ALL {
            inbox.with_label_values(&[status.as_str()]).set(0);
        }
        for (status, n) in store.count_by_status().await? {
            inbox.with_label_values(&[status.as_str()]).set(n);
        }
        let outbox = IntGaugeVec::new(
            Opts::new("mentor_outbox_writes", "Planned GitHub writes, by status."),
            &["status"],
        )?;
        for status in WriteStatus::ALL {
            outbox.with_label_values(&[status.as_str()]).set(0);
        }
        for (status, n) in store.outbox_counts().await? {
            outbox.with_label_values(&[status.as_str()]).set(n);
        }
        let lag = prometheus::IntGauge::new(
            "mentor_worker_lag_seconds",
            "How long the oldest delivery not processed yet has waited (0 when none waits).",
        )?;
        lag.set(store.oldest_waiting_age_secs(chrono::Utc::now()).await?);
        let seen = github.observations();
        let remaining = IntGaugeVec::new(
            Opts::new(
                "mentor_github_rate_limit_remaining",
                "GitHub's primary rate limit left at its last answer, by installation (0: the App itself).",
            ),
            &["installation"],
        )?;
        let limit = IntGaugeVec::new(
            Opts::new(
                "mentor_github_rate_limit",
                "GitHub's primary rate limit per hour, by installation (0: the App itself).",
            ),
            &["installation"],
        )?;
        for (installation, left, of) in seen.rate_limits {
            let id = installation.to_string();
            remaining
                .with_label_values(&[id.as_str()])
                .set(i64::try_from(left).unwrap_or(i64::MAX));
            limit.with_label_values(&[id.as_str()]).set(i64::try_from(of).unwrap_or(i64::MAX));
        }
        let failures = IntCounterVec::new(
            Opts::new(
                "mentor_outbox_failures_total",
                "Failed answers to GitHub writes, by status code (or timeout, connection).",
            ),
            &["status"],
        )?;
        for (status, n) in seen.write_failures {
            failures.with_label_values(&[status.as_str()]).inc_by(n);
        }
        scrape.register(Box::new(remaining))?;
        scrape.register(Box::new(limit))?;
        scrape.register(Box::new(failures))?;
        scrape.register(Box::new(inbox))?;
        scrape.register(Box::new(outbox))?;
        scrape.register(Box::new(lag))?;
        if let Some((allocated, held)) = crate::memory::heap() {
            let gauge = IntGaugeVec::new(
                Opts::new(
                    "mentor_heap_bytes",
                    "malloc's live bytes (allocated) and what it holds from the system (held), SQLite's included.",
                ),
                &["kind"],
            )?;
            gauge.with_label_values(&["allocated"]).set(allocated);
            gauge.with_label_values(&["held"]).set(held);
            scrape.register(Box::new(gauge))?;
        }
        if let Some((used, most)) = store.sqlite_memory() {
            let gauge = IntGaugeVec::new(
                Opts::new(
                    "mentor_sqlite_memory_bytes",
                    "Memory SQLite's allocator holds (page caches, prepared statements): now, and the most since start.",
                ),
                &["kind"],
            )?;
            gauge.with_label_values(&["used"]).set(used);
            gauge.with_label_values(&["highwater"]).set(most);
            scrape.register(Box::new(gauge))?;
        }
        let mut families = self.registry.gather();
        families.extend(scrape.gather());
        let mut out = Vec::new();
        TextEncoder::new().encode(&families, &mut out)?;
        Ok(String::from_utf8(out)?)
    }
}
