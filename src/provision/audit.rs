//! The audit log: one JSON line per step of every run (check or real), appended to
//! `audit.jsonl` in the platform data directory. Records hold masked text only.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::run::StepResult;

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub time: DateTime<Utc>,
    pub host: String,
    pub playbook: String,
    /// True for a `--check` run, which changed nothing.
    pub check: bool,
    pub step: String,
    pub outcome: String,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The unified diff of a file step, secrets masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl AuditRecord {
    pub fn new(host: &str, playbook: &str, check: bool, result: &StepResult) -> AuditRecord {
        AuditRecord {
            time: Utc::now(),
            host: host.to_string(),
            playbook: playbook.to_string(),
            check,
            step: result.step.clone(),
            outcome: result.outcome.as_str().to_string(),
            duration_ms: result.duration.as_millis() as u64,
            detail: result.detail.clone(),
            diff: result.diff.clone(),
        }
    }
}

/// The append-only audit file, shared by every host of a run.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// `audit.jsonl` in the platform data directory.
    pub fn default_path() -> anyhow::Result<PathBuf> {
        Ok(crate::config::Paths::discover()?.data.join("audit.jsonl"))
    }

    /// Opens (creating it, mode 0600, and its directory) the log at `path` for appending.
    pub fn open(path: &Path) -> anyhow::Result<AuditLog> {
        use std::os::unix::fs::OpenOptionsExt;

        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("failed to open the audit log {}", path.display()))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one line, in one write.
    pub fn append(&self, record: &AuditRecord) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(record).context("failed to encode an audit record")?;
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| anyhow::anyhow!("the audit log lock is poisoned"))?;
        file.write_all(&line)
            .with_context(|| format!("failed to append to the audit log {}", self.path.display()))
    }

    /// Reads every record of the log at `path`; a missing file is an empty log.
    ///
    /// A line that is not a record is an error naming the line.
    pub fn read(path: &Path) -> anyhow::Result<Vec<AuditRecord>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => {
                return Err(err).with_context(|| format!("failed to read {}", path.display()));
            }
        };
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line).with_context(|| {
                    format!(
                        "audit log {} line {} is not a record",
                        path.display(),
                        index + 1
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::provision::run::Outcome;

    #[test]
    fn appended_records_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        for (name, outcome) in [("one", Outcome::Ok), ("two", Outcome::Changed)] {
            let result = StepResult {
                step: name.into(),
                kind: "command".into(),
                handler: false,
                outcome,
                duration: Duration::from_millis(12),
                detail: None,
                diff: Some("-a\n+b\n".into()),
            };
            log.append(&AuditRecord::new("web1", "pb", false, &result))
                .unwrap();
        }

        let records = AuditLog::read(&path).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].step, "two");
        assert_eq!(records[1].outcome, "changed");
        assert_eq!(records[1].diff.as_deref(), Some("-a\n+b\n"));
    }

    #[test]
    fn garbage_line_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, "{not json}\n").unwrap();
        let err = AuditLog::read(&path).unwrap_err();
        assert!(format!("{err:#}").contains("line 1"), "{err:#}");
    }
}
