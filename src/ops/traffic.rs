//! The app's request and error rates, read from its `/metrics` endpoint (Prometheus text from
//! `capstan serve`) through the published port, as a user's browser reaches it.
//!
//! Must not import `tui` or `cli`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::{Event, EventSender, TrafficSample};
use crate::probe::http_client;
use crate::stack::Stack;

/// How often `/metrics` is read.
pub const TRAFFIC_EVERY: Duration = Duration::from_secs(2);

/// The counter `capstan serve` keeps of answered requests, by method, route and status.
const REQUESTS: &str = "capstan_http_requests_total";

/// All requests and the server errors (status 5xx) among them, summed over every series of
/// `capstan_http_requests_total` in Prometheus or OpenMetrics text; `None` when the text has
/// no such series.
pub fn request_counts(text: &str) -> Option<(f64, f64)> {
    let mut found = false;
    let (mut total, mut errors) = (0.0, 0.0);
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(REQUESTS) else {
            continue;
        };
        // `{labels} value [timestamp]`; label values may hold spaces, so split after the `}`.
        let (labels, value) = match rest.strip_prefix('{') {
            Some(rest) => match rest.rfind('}') {
                Some(end) => (&rest[..end], &rest[end + 1..]),
                None => continue,
            },
            None if rest.starts_with(' ') => ("", rest),
            None => continue,
        };
        let Some(value) = value
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        else {
            continue;
        };
        found = true;
        total += value;
        if labels.contains("status=\"5") {
            errors += value;
        }
    }
    found.then_some((total, errors))
}

/// Reads `/metrics` every [`TRAFFIC_EVERY`] and sends the rates since the last reading; a
/// counter that went down (the app restarted) starts a new baseline instead of a sample.
pub(super) async fn sampler(stack: Arc<Stack>, events: EventSender) {
    let Some(port) = stack
        .spec
        .services
        .values()
        .find_map(|s| s.publish.map(|p| p.host))
    else {
        return;
    };
    let url = format!("http://127.0.0.1:{port}/metrics");
    let client = http_client();
    let mut ticks = tokio::time::interval(TRAFFIC_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<(Instant, f64, f64)> = None;
    loop {
        ticks.tick().await;
        let Some((total, errors)) = read(&client, &url).await else {
            last = None;
            continue;
        };
        let now = Instant::now();
        if let Some((then, last_total, last_errors)) = last {
            let seconds = now.duration_since(then).as_secs_f64().max(0.001);
            if total >= last_total && errors >= last_errors {
                events.send(Event::Traffic(TrafficSample {
                    at: Utc::now(),
                    requests_per_second: (total - last_total) / seconds,
                    errors_per_second: (errors - last_errors) / seconds,
                }));
            }
        }
        last = Some((now, total, errors));
    }
}

async fn read(client: &reqwest::Client, url: &str) -> Option<(f64, f64)> {
    let response = client.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    request_counts(&response.text().await.ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_counts_sum_every_series_and_count_5xx_as_errors() {
        let text = r#"# HELP capstan_http_requests_total Requests answered.
# TYPE capstan_http_requests_total counter
capstan_http_requests_total{method="GET",route="/api/persons/{id}",status="200"} 7
capstan_http_requests_total{method="POST",route="/api/persons/",status="503"} 2
capstan_http_requests_total{method="GET",route="/a b",status="500"} 1.0 1700000000
capstan_http_requests_created{method="GET",route="/",status="200"} 1700000000.1
capstan_http_request_duration_seconds_count{route="/"} 99
# EOF
"#;

        assert_eq!(request_counts(text), Some((10.0, 3.0)));
    }

    #[test]
    fn request_counts_without_the_counter_is_none() {
        assert_eq!(request_counts("# EOF\nother_total 3\n"), None);
    }
}
