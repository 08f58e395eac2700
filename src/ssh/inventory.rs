//! The host inventory: a TOML file (`hosts.toml` in the platform config dir) of named hosts,
//! each an `~/.ssh/config` alias or an address with user and port, in groups.
//!
//! ```toml
//! [[host]]
//! name = "web1"
//! address = "web1.example.com"
//! user = "deploy"
//! port = 22
//! groups = ["web"]
//!
//! [[host]]
//! name = "db"
//! alias = "prod-db"        # a Host from ~/.ssh/config
//! vars = { listen_port = "18080", server_name = "db.example" }
//! ```
//!
//! A host's `vars` are playbook variables for that host (strings); `capstan provision` and the
//! dashboard use them, and a `--var` on the command line wins over them. Secrets never live
//! here: a variable whose name looks like one is refused (they come from 0600 files through
//! `--secret`).
//!
//! Adding a host appends its table to the file's text, so the user's comments and layout stay;
//! the new text is written to a temporary file and renamed over the old one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{SshError, Target};

/// Why the inventory could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("cannot read inventory {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write inventory {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file is not valid inventory TOML.
    #[error("inventory {}, line {line}, column {column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// A host entry is inconsistent (no address, a bad name, a duplicate name, ...).
    #[error("inventory {}: host {name:?}: {problem}", path.display())]
    Invalid {
        path: PathBuf,
        name: String,
        problem: String,
    },
}

/// One host of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostEntry {
    /// How Capstan names the host: letters, digits, `.`, `_`, `-`.
    pub name: String,
    /// A `Host` of `~/.ssh/config`; exclusive with `address`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// A host name or IP address; exclusive with `alias`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Playbook variables for this host; checked by [`check_var`] while parsing, so a bad one
    /// is reported with the file's line.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "checked_vars"
    )]
    pub vars: BTreeMap<String, String>,
}

/// Words that mark a variable as a secret, which the inventory refuses.
const SECRET_WORDS: &[&str] = &["password", "passwd", "secret", "token", "passphrase"];

/// Why `name = value` cannot be a host variable, if it cannot: the name must be an identifier
/// (letters, digits, `_`, not starting with a digit) and not look like a secret; the value must
/// hold no control characters (it is rendered into configuration files).
pub fn check_var(name: &str, value: &str) -> Option<String> {
    let identifier = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return Some(format!(
            "variable {name:?}: a name holds only letters, digits and `_`, and starts with a \
             letter or `_`"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if SECRET_WORDS.iter().any(|word| lower.contains(word)) {
        return Some(format!(
            "variable {name:?} looks like a secret; secrets are not kept in the inventory: give \
             it with `--secret {name}=FILE` (a file of mode 0600)"
        ));
    }
    if value.chars().any(char::is_control) {
        return Some(format!(
            "variable {name:?}: the value holds a control character (a newline?)"
        ));
    }
    None
}

fn checked_vars<'de, D>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let vars = BTreeMap::<String, String>::deserialize(deserializer)?;
    match vars.iter().find_map(|(name, value)| check_var(name, value)) {
        Some(problem) => Err(serde::de::Error::custom(problem)),
        None => Ok(vars),
    }
}

impl HostEntry {
    /// An entry for `target`: a bare word becomes an alias (resolved through `~/.ssh/config`),
    /// anything with a user or port an address. `name` defaults to the host part.
    pub fn from_target(target: &Target, name: Option<String>, groups: Vec<String>) -> HostEntry {
        let bare = target.user.is_none() && target.port.is_none();
        HostEntry {
            name: name.unwrap_or_else(|| target.host.clone()),
            alias: bare.then(|| target.host.clone()),
            address: (!bare).then(|| target.host.clone()),
            user: target.user.clone(),
            port: target.port,
            groups,
            vars: BTreeMap::new(),
        }
    }

    /// The target to connect to: the alias or address, with the entry's user and port.
    pub fn target(&self) -> Target {
        Target {
            user: self.user.clone(),
            host: self
                .alias
                .clone()
                .or_else(|| self.address.clone())
                .unwrap_or_default(),
            port: self.port,
        }
    }

    fn problem(&self) -> Option<String> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !name_ok {
            return Some("the name may hold only letters, digits, `.`, `_` and `-`".into());
        }
        match (&self.alias, &self.address) {
            (Some(_), Some(_)) => return Some("give `alias` or `address`, not both".into()),
            (None, None) => return Some("give `alias` or `address`".into()),
            _ => {}
        }
        if let Err(err) = self.target().to_string().parse::<Target>() {
            return Some(err.to_string());
        }
        if self
            .groups
            .iter()
            .any(|group| group.is_empty() || group.contains(char::is_whitespace))
        {
            return Some("a group name is empty or has spaces".into());
        }
        self.vars
            .iter()
            .find_map(|(name, value)| check_var(name, value))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryFile {
    #[serde(default, rename = "host")]
    hosts: Vec<HostEntry>,
}

/// The inventory as read from its file.
#[derive(Debug, Clone)]
pub struct Inventory {
    path: PathBuf,
    text: String,
    hosts: Vec<HostEntry>,
}

impl Inventory {
    /// `hosts.toml` in Capstan's platform config dir.
    pub fn default_path() -> anyhow::Result<PathBuf> {
        Ok(crate::config::Paths::discover()?.config.join("hosts.toml"))
    }

    /// Reads and checks the inventory at `path`; a missing file is an empty inventory.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(InventoryError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let hosts = parse(path, &text)?;
        Ok(Inventory {
            path: path.to_path_buf(),
            text,
            hosts,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn hosts(&self) -> &[HostEntry] {
        &self.hosts
    }

    pub fn get(&self, name: &str) -> Option<&HostEntry> {
        self.hosts.iter().find(|host| host.name == name)
    }

    /// The playbook variables of a run on `name`: the inventory host's `vars` (none for a host
    /// not in the inventory), with `overrides` (the command line's `--var`s) winning. Refused
    /// when the host sets a variable that `secrets` (the playbook's secret variables) names:
    /// a secret comes from a 0600 file, never from the inventory.
    pub fn vars_for(
        &self,
        name: &str,
        secrets: &[&str],
        overrides: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, InventoryError> {
        let mut vars = self
            .get(name)
            .map(|host| host.vars.clone())
            .unwrap_or_default();
        if let Some(secret) = vars.keys().find(|key| secrets.contains(&key.as_str())) {
            return Err(InventoryError::Invalid {
                path: self.path.clone(),
                name: name.to_string(),
                problem: format!(
                    "variable {secret:?} is a secret of the playbook; secrets are not kept in \
                     the inventory: give it with `--secret {secret}=FILE` (mode 0600)"
                ),
            });
        }

        vars.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(vars)
    }

    /// The hosts in `group`, in file order.
    pub fn group(&self, group: &str) -> Vec<&HostEntry> {
        self.hosts
            .iter()
            .filter(|host| host.groups.iter().any(|g| g == group))
            .collect()
    }

    /// The target for `name_or_target`: an inventory host by name, else the text parsed as
    /// `[user@]host[:port]` (which may be an `~/.ssh/config` alias).
    pub fn target(&self, name_or_target: &str) -> Result<Target, SshError> {
        match self.get(name_or_target) {
            Some(host) => Ok(host.target()),
            None => name_or_target.parse(),
        }
    }

    /// The hosts named on a command line, each an inventory host, an inventory group (its hosts
    /// in file order), or a target; as (name, target) pairs, each name once, in order.
    pub fn expand(&self, names: &[String]) -> Result<Vec<(String, Target)>, SshError> {
        let mut hosts: Vec<(String, Target)> = Vec::new();
        let mut push = |name: &str, target: Target| {
            if !hosts.iter().any(|(seen, _)| seen == name) {
                hosts.push((name.to_string(), target));
            }
        };
        for name in names {
            let group = self.group(name);
            if let Some(host) = self.get(name) {
                push(&host.name, host.target());
            } else if !group.is_empty() {
                group
                    .iter()
                    .for_each(|host| push(&host.name, host.target()));
            } else {
                push(name, name.parse()?);
            }
        }
        Ok(hosts)
    }

    /// Adds `entry` and writes the file (temporary file, then rename). On any error the file
    /// and this inventory are left as they were.
    pub fn add(&mut self, entry: HostEntry) -> Result<(), InventoryError> {
        let name = entry.name.clone();
        let invalid = |problem: String| InventoryError::Invalid {
            path: self.path.clone(),
            name: name.clone(),
            problem,
        };
        if let Some(problem) = entry.problem() {
            return Err(invalid(problem));
        }
        if self.get(&entry.name).is_some() {
            return Err(invalid(
                "a host of that name is already in the inventory".into(),
            ));
        }

        let table = InventoryFile { hosts: vec![entry] };
        let table = toml::to_string(&table).map_err(|err| invalid(err.to_string()))?;
        let mut text = self.text.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&table);
        let hosts = parse(&self.path, &text)?;

        write_atomically(&self.path, &text).map_err(|source| InventoryError::Write {
            path: self.path.clone(),
            source,
        })?;
        self.text = text;
        self.hosts = hosts;
        Ok(())
    }
}

fn parse(path: &Path, text: &str) -> Result<Vec<HostEntry>, InventoryError> {
    let file: InventoryFile = toml::from_str(text).map_err(|err| {
        let (line, column) = match err.span() {
            Some(span) => line_column(text, span.start),
            None => (0, 0),
        };
        InventoryError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: err.message().to_string(),
        }
    })?;

    let mut seen: Vec<&str> = Vec::new();
    for host in &file.hosts {
        let invalid = |problem: String| InventoryError::Invalid {
            path: path.to_path_buf(),
            name: host.name.clone(),
            problem,
        };
        if let Some(problem) = host.problem() {
            return Err(invalid(problem));
        }
        if seen.contains(&host.name.as_str()) {
            return Err(invalid("the name appears twice".into()));
        }
        seen.push(&host.name);
    }
    Ok(file.hosts)
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |tail| tail.chars().count())
        + 1;
    (line, column)
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`, so a reader
/// sees the old file or the new one, never half of one.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));

    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}
