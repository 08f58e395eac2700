//! The deploy history: one JSON line per deploy under the stack's data folder.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One deploy of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRecord {
    pub service: String,
    pub image_id: String,
    pub at: DateTime<Utc>,
    /// "ok" or "failed".
    pub outcome: String,
    /// Why it failed, or what it was (up, redeploy, rollback).
    pub detail: String,
}

fn history_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("deploys.jsonl")
}

/// Appends one record (one line, written in one call).
pub fn record(data_dir: &Path, record: &DeployRecord) -> anyhow::Result<()> {
    let path = history_path(data_dir);
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("failed to create {}", data_dir.display()))?;
    let mut line = serde_json::to_string(record).context("failed to encode a deploy record")?;
    line.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("failed to open deploy history {}", path.display()))?;
    file.write_all(line.as_bytes())
        .with_context(|| format!("failed to append to deploy history {}", path.display()))
}

/// Every record, oldest first. Lines that do not parse are skipped, not fatal: a torn last
/// line must not block a rollback.
pub fn read_history(data_dir: &Path) -> anyhow::Result<Vec<DeployRecord>> {
    let path = history_path(data_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(err).with_context(|| format!("failed to read {}", path.display()));
        }
    };
    Ok(text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect())
}

/// The image of the last good deploy of `service` that is not `current`.
pub fn last_good_other(records: &[DeployRecord], service: &str, current: &str) -> Option<String> {
    records
        .iter()
        .rev()
        .filter(|r| r.service == service && r.outcome == "ok" && r.image_id != current)
        .map(|r| r.image_id.clone())
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(image: &str, outcome: &str) -> DeployRecord {
        DeployRecord {
            service: "api".into(),
            image_id: image.into(),
            at: Utc::now(),
            outcome: outcome.into(),
            detail: String::new(),
        }
    }

    #[test]
    fn history_round_trips_and_skips_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), &deploy("sha256:a", "ok")).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(history_path(dir.path()))
            .unwrap()
            .write_all(b"{\"service\":\"api\",\"ima")
            .unwrap();

        let records = read_history(dir.path()).unwrap();

        assert_eq!(records.len(), 1);
        assert_eq!(records[0].image_id, "sha256:a");
    }

    #[test]
    fn rollback_target_is_the_last_good_image_other_than_the_current_one() {
        let records = [
            deploy("sha256:a", "ok"),
            deploy("sha256:b", "failed"),
            deploy("sha256:c", "ok"),
        ];

        assert_eq!(
            last_good_other(&records, "api", "sha256:c").as_deref(),
            Some("sha256:a")
        );
        assert_eq!(
            last_good_other(&records, "api", "sha256:a").as_deref(),
            Some("sha256:c")
        );
        assert_eq!(last_good_other(&records, "db", "sha256:a"), None);
    }
}
