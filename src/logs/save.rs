//! Saving a view to a file as plain text: what the lines show, escapes and control characters
//! stripped, one line per line.
//!
//! [`write_plain`] makes the text (no I/O of its own, so the dashboard can call it); the
//! caller's background work hands it to [`save_file`], which writes a temporary file beside the
//! final path and links it into place under a name no file has yet, so a failed save never
//! leaves a half-written file and a save never replaces an earlier one.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

/// How many numbered names [`save_file`] tries beside a taken one before it gives up.
const MAX_SUFFIX: u32 = 1000;

/// Writes `bytes` to a new file at `path`, whole or not at all; returns the path written.
///
/// An existing file is never replaced: when `path` is taken, the first free one of
/// `name-2.ext`, `name-3.ext`, ... is used, decided at the moment the file is linked into place,
/// so two saves in the same second keep both. Errors name the path; on error no file appears.
pub fn save_file(path: &Path, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;

    let context = || format!("failed to save logs to {}", path.display());
    let file_name = path
        .file_name()
        .with_context(|| format!("cannot save logs to {}: not a file path", path.display()))?;
    let (temp, mut file) = create_temp(path, file_name).with_context(context)?;

    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| link_under_a_free_name(&temp, path));
    let _ = std::fs::remove_file(&temp);
    written.with_context(context)
}

/// Creates a temporary file beside `path` under a name no other save uses.
fn create_temp(path: &Path, file_name: &std::ffi::OsStr) -> io::Result<(PathBuf, File)> {
    static SAVES: AtomicU64 = AtomicU64::new(0);

    loop {
        let save = SAVES.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = OsString::from(".");
        temp_name.push(file_name);
        temp_name.push(format!(".capstan-{}-{save}.tmp", std::process::id()));
        let temp = path.with_file_name(temp_name);
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
}

/// Gives the file at `temp` the first free name of `path`, `path-2`, `path-3`, ...
///
/// A hard link fails instead of replacing, so a name taken meanwhile is never overwritten.
fn link_under_a_free_name(temp: &Path, path: &Path) -> io::Result<PathBuf> {
    for number in 1..=MAX_SUFFIX {
        let candidate = numbered(path, number);
        match std::fs::hard_link(temp, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{MAX_SUFFIX} files of that name exist already"),
    ))
}

/// `path` itself for 1, else `path` with `-number` before its extension.
fn numbered(path: &Path, number: u32) -> PathBuf {
    if number == 1 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().unwrap_or_default();
    let mut name = stem.to_os_string();
    name.push(format!("-{number}"));
    if let Some(extension) = path.extension() {
        name.push(".");
        name.push(extension);
    }
    path.with_file_name(name)
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
    fn two_saves_to_one_name_keep_both_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else {
            panic!("a temporary directory can be created");
        };
        let path = dir.path().join("capstan-logs-20261203-120000.log");

        let first = save_file(&path, b"first\n").ok();
        let second = save_file(&path, b"second\n").ok();

        let second_path = dir.path().join("capstan-logs-20261203-120000-2.log");
        assert_eq!(first.as_deref(), Some(path.as_path()));
        assert_eq!(second.as_deref(), Some(second_path.as_path()));
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("first\n")
        );
        assert_eq!(
            std::fs::read_to_string(&second_path).ok().as_deref(),
            Some("second\n")
        );
        let files = std::fs::read_dir(dir.path())
            .map(|entries| entries.count())
            .ok();
        assert_eq!(files, Some(2));
    }

    #[test]
    fn saves_at_once_from_several_threads_all_succeed_under_their_own_names() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else {
            panic!("a temporary directory can be created");
        };
        let path = dir.path().join("view.log");

        let saved: Vec<_> = std::thread::scope(|scope| {
            let saves: Vec<_> = (0..4)
                .map(|n| {
                    let path = &path;
                    scope.spawn(move || save_file(path, format!("{n}\n").as_bytes()).ok())
                })
                .collect();
            saves
                .into_iter()
                .map(|save| save.join().ok().flatten())
                .collect()
        });

        let mut names: Vec<_> = saved.iter().flatten().collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 4, "{saved:?}");
    }
}
