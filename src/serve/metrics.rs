//! `/metrics`: the Prometheus text format.
//!
//! Counters count what this process did since it started; the gauges are read from the store
//! when scraped. Activities are counted from the log at each scrape (those logged since the
//! previous one), so the runner does no bookkeeping of its own.

use std::sync::Mutex;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::store::{Store, StoreError};

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    /// Events accepted (committed) over HTTP.
    pub events_accepted: IntCounter,
    /// Activities logged, by type and result.
    activities: IntCounterVec,
    /// Inputs and activities waiting for the runner.
    queue_depth: IntGauge,
    /// People parked in a wait.
    waits_parked: IntGauge,
    /// Deliveries by outcome (`--deliver`; nothing is delivered with `none`).
    pub deliveries: IntCounterVec,
    /// Request latency in seconds, by route and status.
    pub request_seconds: HistogramVec,
    /// The last activity counted.
    counted: Mutex<i64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// New metrics; activities are counted from the one after `last_activity` on.
    pub fn new(last_activity: i64) -> Metrics {
        let registry = Registry::new();
        let events_accepted =
            IntCounter::new("camp_events_accepted_total", "Events accepted over HTTP")
                .expect("a valid metric");
        let activities = IntCounterVec::new(
            Opts::new(
                "camp_activities_total",
                "Activities logged, by type and result",
            ),
            &["type", "result"],
        )
        .expect("a valid metric");
        let queue_depth = IntGauge::new(
            "camp_queue_depth",
            "Inputs and activities waiting to be processed",
        )
        .expect("a valid metric");
        let waits_parked =
            IntGauge::new("camp_waits_parked", "People parked in a wait").expect("a valid metric");
        let deliveries = IntCounterVec::new(
            Opts::new("camp_deliveries_total", "Deliveries, by outcome"),
            &["outcome"],
        )
        .expect("a valid metric");
        let request_seconds = HistogramVec::new(
            HistogramOpts::new("camp_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            ),
            &["route", "status"],
        )
        .expect("a valid metric");
        for m in [
            Box::new(events_accepted.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(activities.clone()),
            Box::new(queue_depth.clone()),
            Box::new(waits_parked.clone()),
            Box::new(deliveries.clone()),
            Box::new(request_seconds.clone()),
        ] {
            registry.register(m).expect("metric names are distinct");
        }
        Metrics {
            registry,
            events_accepted,
            activities,
            queue_depth,
            waits_parked,
            deliveries,
            request_seconds,
            counted: Mutex::new(last_activity),
        }
    }

    /// Brings the store's numbers up to date and renders everything in the text format.
    pub fn render(&self, store: &dyn Store) -> Result<String, StoreError> {
        {
            let mut counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
            let (counts, last) = store.activity_counts_after(*counted)?;
            for (kind, result, n) in counts {
                self.activities
                    .with_label_values(&[kind.as_str(), result.as_str()])
                    .inc_by(n);
            }
            *counted = last;
        }
        let backlog = store.backlog()?;
        self.queue_depth
            .set(i64::try_from(backlog.inputs + backlog.queued).unwrap_or(i64::MAX));
        self.waits_parked
            .set(i64::try_from(backlog.waits).unwrap_or(i64::MAX));
        let mut out = Vec::new();
        // Encoding into memory cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}
