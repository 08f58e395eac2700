//! The app's Prometheus metrics (`GET /metrics`, OpenMetrics text via `prometheus-client`):
//! requests by route and status, latency by route, and the database pool's connections.
//!
//! Routes are axum's matched path (`/api/persons/{id}`), never the raw path, so the label set
//! stays bounded. Imports nothing else of the app.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The `Content-Type` of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The registry and the handles the request middleware updates.
///
/// Metric names: `capstan_http_requests_total{method,route,status}`,
/// `capstan_http_request_duration_seconds{method,route}` (histogram),
/// `capstan_db_pool_connections_in_use`, `capstan_db_pool_connections_idle`,
/// `capstan_db_pool_connections` (gauges, API role only).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    pool: Option<PoolGauges>,
}

#[derive(Debug)]
struct PoolGauges {
    source: Arc<mysql_async::Metrics>,
    in_use: Gauge,
    idle: Gauge,
    total: Gauge,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    /// A registry for this process; `pool` adds the database pool gauges.
    pub fn new(pool: Option<&mysql_async::Pool>) -> Self {
        let mut registry = Registry::with_prefix("capstan");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );

        let pool = pool.map(|pool| {
            let gauges = PoolGauges {
                source: pool.metrics(),
                in_use: Gauge::default(),
                idle: Gauge::default(),
                total: Gauge::default(),
            };
            registry.register(
                "db_pool_connections_in_use",
                "Database connections currently used by requests",
                gauges.in_use.clone(),
            );
            registry.register(
                "db_pool_connections_idle",
                "Database connections idle in the pool",
                gauges.idle.clone(),
            );
            registry.register(
                "db_pool_connections",
                "Open database connections",
                gauges.total.clone(),
            );
            gauges
        });

        Self {
            registry,
            requests,
            latency,
            pool,
        }
    }

    /// Records one finished request.
    pub fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let route = route.to_owned();
        let method = method.to_owned();
        self.requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
    }

    /// The registry as OpenMetrics text, with the pool gauges read now.
    pub fn encode(&self) -> String {
        if let Some(pool) = &self.pool {
            let read = |value: &std::sync::atomic::AtomicUsize| {
                i64::try_from(value.load(Ordering::Relaxed)).unwrap_or(i64::MAX)
            };
            pool.in_use.set(read(&pool.source.connections_in_use));
            pool.idle.set(read(&pool.source.connections_in_pool));
            pool.total.set(read(&pool.source.connection_count));
        }

        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%err, "could not encode metrics");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_and_status() {
        let metrics = Metrics::new(None);
        metrics.record("GET", "/api/persons/{id}", 200, 0.004);
        metrics.record("GET", "/api/persons/{id}", 200, 0.002);
        metrics.record("GET", "/api/persons/{id}", 404, 0.001);
        let text = metrics.encode();
        assert!(text.contains(
            r#"capstan_http_requests_total{method="GET",route="/api/persons/{id}",status="200"} 2"#
        ));
        assert!(text.contains(r#"status="404"} 1"#));
        assert!(text.contains("capstan_http_request_duration_seconds_bucket"));
        assert!(!text.contains("db_pool"));
    }
}
