//! The HTTP readiness probe: GETs that must answer 2xx.

use std::time::{Duration, Instant};

/// A client for probes: short timeouts and no pooled connections, so every probe sees the
/// server as a new client would.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .connect_timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// GETs every URL in turn; ready when each answers 2xx.
#[derive(Debug, Clone)]
pub struct HttpProbe {
    pub urls: Vec<String>,
}

impl HttpProbe {
    /// Returns the total latency, or why the first failing URL failed.
    pub async fn check(&self, client: &reqwest::Client) -> Result<Duration, String> {
        let started = Instant::now();
        for url in &self.urls {
            let response = client
                .get(url)
                .send()
                .await
                .map_err(|err| describe(url, &err))?;
            let status = response.status();
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                let body: String = body.trim().chars().take(200).collect();
                return Err(format!("GET {url} answered {status}: {body}"));
            }
        }
        Ok(started.elapsed())
    }
}

fn describe(url: &str, err: &reqwest::Error) -> String {
    let mut message = format!("GET {url} failed: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}
