//! Saving a view to a file as plain text: what the lines show, escapes and control characters
//! stripped, one line per line.
//!
//! [`write_plain`] makes the text (no I/O of its own, so the dashboard can call it); the
//! caller's background work hands it to [`save_file`], which writes beside the final path and
//! renames into place, so a failed save never leaves a half-written file under the name asked
//! for.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use crate::logs::render::plain_text;
use crate::logs::store::{LogStore, ViewLine};

/// What goes in front of each saved line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaveOptions {
    /// The engine's timestamp (RFC 3339), where the line has one.
    pub timestamps: bool,
    /// The service's name (useful for the merged view).
    pub service_names: bool,
}

/// Writes lines as plain text to `out`; returns how many were written.
pub fn write_plain<'a>(
    store: &LogStore,
    lines: impl IntoIterator<Item = ViewLine<'a>>,
    options: SaveOptions,
    mut out: impl Write,
) -> io::Result<usize> {
    let mut count = 0;
    for line in lines {
        if options.timestamps {
            if let Some(at) = line.line.timestamp {
                write!(
                    out,
                    "{} ",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
                )?;
            }
        }
        if options.service_names {
            let name = store.service_name(line.service).unwrap_or("?");
            write!(out, "{} | ", plain_text(name.as_bytes()))?;
        }
        out.write_all(plain_text(&line.line.bytes).as_bytes())?;
        out.write_all(b"\n")?;
        count += 1;
    }
    out.flush()?;
    Ok(count)
}

/// Writes `bytes` to `path`, replacing it whole or not at all.
///
/// Errors name the path; on error the file at `path` is left as it was.
pub fn save_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;

    let file_name = path
        .file_name()
        .with_context(|| format!("cannot save logs to {}: not a file path", path.display()))?;
    let mut temp_name = file_name.to_os_string();
    temp_name.push(format!(".capstan-{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);

    let written = File::create(&temp)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.with_context(|| format!("failed to save logs to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::buffer::Budget;
    use crate::logs::store::Scope;
    use crate::ops::{LogLine, LogStream};

    fn store() -> LogStore {
        let mut store = LogStore::new(Budget::default());
        for (service, text) in [
            ("api", &b"\x1b[31mred\x1b[0m\tx"[..]),
            ("db", b"bad \xff byte"),
        ] {
            store.push(LogLine {
                service: service.into(),
                timestamp: chrono::DateTime::from_timestamp(0, 5),
                stream: LogStream::Stdout,
                bytes: text.to_vec(),
            });
        }
        store
    }

    #[test]
    fn saved_text_has_no_escapes_and_names_services_when_asked() {
        let store = store();
        let mut out = Vec::new();
        let options = SaveOptions {
            timestamps: true,
            service_names: true,
        };

        let count = write_plain(&store, store.lines(Scope::All, 0..10), options, &mut out).ok();

        assert_eq!(count, Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "1970-01-01T00:00:00.000000005Z api | red     x\n\
             1970-01-01T00:00:00.000000005Z db | bad \u{fffd} byte\n"
        );
    }

    #[test]
    fn saving_into_a_missing_directory_names_the_path_and_leaves_nothing() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else {
            panic!("a temporary directory can be created");
        };
        let path = dir.path().join("missing").join("view.log");

        let error = save_file(&path, b"a line\n");

        let message = error.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("missing/view.log"), "{message}");
        assert!(!path.exists());
    }

    #[test]
    fn saving_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else {
            panic!("a temporary directory can be created");
        };
        let path = dir.path().join("view.log");
        std::fs::write(&path, "old").ok();

        let saved = save_file(&path, b"new\n");

        assert!(saved.is_ok(), "{saved:?}");
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("new\n")
        );
        let files = std::fs::read_dir(dir.path())
            .map(|entries| entries.count())
            .ok();
        assert_eq!(files, Some(1));
    }
}
