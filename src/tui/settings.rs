//! The user's dashboard settings: `dashboard.toml` in the platform config directory, with a
//! `[keys]` table (command → key or keys), a `[theme]` table (role → colour) and a `[logs]`
//! table (how much log the dashboard keeps). A missing file means the defaults; a bad one is an
//! error naming the file and the entry. Reads one file; owns no state.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use ratatui::style::Color;
use serde::Deserialize;

use super::input::Keymap;
use super::theme::Palette;
use crate::logs::{Budget, DEFAULT_TOTAL_BYTES};

/// The settings file's name in the config directory.
pub const FILE_NAME: &str = "dashboard.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    keys: BTreeMap<String, Keys>,
    #[serde(default)]
    theme: ThemeFile,
    #[serde(default)]
    logs: LogsFile,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Keys {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    header: Option<String>,
    ok: Option<String>,
    warn: Option<String>,
    error: Option<String>,
    muted: Option<String>,
    highlight_fg: Option<String>,
    highlight_bg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsFile {
    lines_per_service: Option<usize>,
    mib_per_service: Option<usize>,
    mib_total: Option<usize>,
}

/// The most lines one service may keep: a bound on what a typo can ask for.
const MAX_LINES: usize = 10_000_000;
/// The most MiB of log either byte budget may ask for.
const MAX_MIB: usize = 64 * 1024;
const MIB: usize = 1024 * 1024;

/// What the settings change: the keymap, the palette and the log budgets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub keymap: Keymap,
    pub palette: Palette,
    /// What each service's log buffer may hold.
    pub budget: Budget,
    /// What all services' logs together may hold, in bytes.
    pub total_bytes: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            keymap: Keymap::default(),
            palette: Palette::default(),
            budget: Budget::default(),
            total_bytes: DEFAULT_TOTAL_BYTES,
        }
    }
}

/// Reads the settings at `path`; the defaults when the file does not exist.
pub fn load(path: &Path) -> anyhow::Result<Settings> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(err) => {
            return Err(err).with_context(|| format!("failed to read {}", path.display()));
        }
    };
    parse(&text).with_context(|| format!("bad dashboard settings in {}", path.display()))
}

/// Parses the text of a settings file.
pub fn parse(text: &str) -> anyhow::Result<Settings> {
    let file: File = toml::from_str(text)?;

    let entries = file.keys.iter().map(|(command, keys)| {
        let keys = match keys {
            Keys::One(key) => vec![key.as_str()],
            Keys::Many(keys) => keys.iter().map(String::as_str).collect(),
        };
        (command.as_str(), keys)
    });
    let keymap = Keymap::from_names(entries).map_err(|err| anyhow::anyhow!("[keys] {err}"))?;

    let mut palette = Palette::default();
    let theme = &file.theme;
    for (name, value, slot) in [
        ("header", &theme.header, &mut palette.header),
        ("ok", &theme.ok, &mut palette.ok),
        ("warn", &theme.warn, &mut palette.warn),
        ("error", &theme.error, &mut palette.error),
        ("muted", &theme.muted, &mut palette.muted),
        (
            "highlight_fg",
            &theme.highlight_fg,
            &mut palette.highlight_fg,
        ),
        (
            "highlight_bg",
            &theme.highlight_bg,
            &mut palette.highlight_bg,
        ),
    ] {
        if let Some(value) = value {
            *slot = Color::from_str(value).map_err(|_| {
                anyhow::anyhow!(
                    "[theme] {name}: unknown colour \"{value}\" (a name like \"red\", an index \
                     like \"42\", or \"#rrggbb\")"
                )
            })?;
        }
    }

    let logs = &file.logs;
    let defaults = Settings::default();
    let mut budget = Budget {
        lines: within("lines_per_service", logs.lines_per_service, MAX_LINES)?
            .unwrap_or(defaults.budget.lines),
        bytes: within("mib_per_service", logs.mib_per_service, MAX_MIB)?
            .map_or(defaults.budget.bytes, |mib| mib * MIB),
    };
    let total_bytes =
        within("mib_total", logs.mib_total, MAX_MIB)?.map_or(defaults.total_bytes, |mib| mib * MIB);
    if logs.mib_per_service.is_none() {
        // The default per service must not refuse a small total the user asked for.
        budget.bytes = budget.bytes.min(total_bytes);
    }
    if budget.bytes > total_bytes {
        anyhow::bail!(
            "[logs] mib_per_service ({} MiB) is more than mib_total ({} MiB): one service may \
             not keep more than all of them together",
            budget.bytes / MIB,
            total_bytes / MIB
        );
    }

    Ok(Settings {
        keymap,
        palette,
        budget,
        total_bytes,
    })
}

/// `value` of the `[logs]` entry `name` when it lies in `1..=max`.
fn within(name: &str, value: Option<usize>, max: usize) -> anyhow::Result<Option<usize>> {
    match value {
        Some(n) if n == 0 || n > max => {
            anyhow::bail!("[logs] {name}: {n} is out of range (1 to {max})")
        }
        _ => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_keys_and_colours() {
        let settings =
            parse("[keys]\nredeploy = \"R\"\nquit = [\"q\", \"Z\"]\n\n[theme]\nok = \"#00ff00\"\n")
                .expect("valid settings");

        assert_eq!(settings.palette.ok, Color::Rgb(0, 255, 0));
        assert_eq!(settings.palette.error, Palette::default().error);
        assert_ne!(settings.keymap, Keymap::default());
    }

    #[test]
    fn parse_names_the_bad_entry() {
        let colour = parse("[theme]\nok = \"greenish\"\n").unwrap_err();
        let unknown = parse("[colours]\nok = \"green\"\n").unwrap_err();
        let key = parse("[keys]\nredeploy = \"j\"\n").unwrap_err();

        assert!(format!("{colour:#}").contains("[theme] ok: unknown colour \"greenish\""));
        assert!(
            format!("{unknown:#}").contains("unknown field `colours`"),
            "{unknown:#}"
        );
        assert!(format!("{key:#}").contains("[keys] key \"j\" would both select_next"));
    }

    #[test]
    fn parse_reads_the_log_budgets_and_refuses_a_zero() {
        let settings =
            parse("[logs]\nlines_per_service = 5000\nmib_total = 256\n").expect("valid settings");
        let zero = parse("[logs]\nmib_per_service = 0\n").unwrap_err();
        let unknown = parse("[logs]\nlines = 5\n").unwrap_err();

        assert_eq!(settings.budget.lines, 5000);
        assert_eq!(settings.budget.bytes, Budget::default().bytes);
        assert_eq!(settings.total_bytes, 256 * MIB);
        assert!(
            format!("{zero:#}").contains("[logs] mib_per_service: 0 is out of range (1 to 65536)"),
            "{zero:#}"
        );
        assert!(
            format!("{unknown:#}").contains("unknown field `lines`"),
            "{unknown:#}"
        );
    }

    #[test]
    fn parse_refuses_a_service_budget_above_the_total() {
        let error = parse("[logs]\nmib_per_service = 100\nmib_total = 10\n").unwrap_err();
        let equal = parse("[logs]\nmib_per_service = 10\nmib_total = 10\n");

        let message = format!("{error:#}");
        assert!(message.contains("mib_per_service (100 MiB)"), "{message}");
        assert!(message.contains("mib_total (10 MiB)"), "{message}");
        let small_total = parse("[logs]\nmib_total = 10\n").ok();

        assert!(equal.is_ok(), "{equal:?}");
        assert_eq!(small_total.map(|s| s.budget.bytes), Some(10 * MIB));
    }

    #[test]
    fn load_gives_the_defaults_when_the_file_is_missing() {
        let dir = tempfile::tempdir().expect("a temporary directory");

        let settings = load(&dir.path().join(FILE_NAME)).expect("defaults");

        assert_eq!(settings, Settings::default());
    }
}
