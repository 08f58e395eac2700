//! The part of `~/.ssh/config` Capstan honours: `HostName`, `User`, `Port` and `IdentityFile`,
//! in `Host` blocks (wildcards, `!` negation) and `Match all|host|originalhost` blocks, with
//! `Include`. As in OpenSSH, the first value found for a keyword wins and every matching
//! `IdentityFile` is kept, in order; other keywords are read past.
//!
//! A small parser rather than `russh-config`: that crate reads only the first matching `Host`
//! block (not first-match-wins across blocks), and has no `Include`, `Match` or negation.

use std::path::{Path, PathBuf};

use super::SshError;
use super::pattern;

/// How deep `Include` may nest, as in OpenSSH.
const MAX_INCLUDE_DEPTH: usize = 16;

/// The settings `~/.ssh/config` gives one host, values as written (not yet expanded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    /// Every matching `IdentityFile`, in file order.
    pub identity_files: Vec<String>,
}

/// Reads the settings for `host` (the name as given on the command line) from the config file
/// at `path`, following `Include` relative to `ssh_dir`.
///
/// A missing file gives empty settings. A malformed value (a bad `Port`, an unterminated quote,
/// an unreadable include) is an error naming the file and line.
///
/// Known shortcoming: `Match` criteria other than `all`, `host` and `originalhost` (`exec`,
/// `user`, `localuser`, `canonical`, ...) never match, so their blocks are ignored.
pub fn read_host_config(path: &Path, ssh_dir: &Path, host: &str) -> Result<HostConfig, SshError> {
    let mut config = HostConfig::default();
    let mut reader = Reader {
        ssh_dir,
        host,
        config: &mut config,
    };
    reader.read_file(path, 0, true)?;
    Ok(config)
}

struct Reader<'a> {
    ssh_dir: &'a Path,
    host: &'a str,
    config: &'a mut HostConfig,
}

impl Reader<'_> {
    fn read_file(&mut self, path: &Path, depth: usize, missing_ok: bool) -> Result<(), SshError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if missing_ok && err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => {
                return Err(SshError::Config {
                    path: path.to_path_buf(),
                    line: 0,
                    message: format!("cannot read it: {err}"),
                });
            }
        };

        // Lines before the first Host/Match apply to every host.
        let mut active = true;
        for (index, line) in text.lines().enumerate() {
            let line_no = index + 1;
            let error = |message: String| SshError::Config {
                path: path.to_path_buf(),
                line: line_no,
                message,
            };

            let Some((keyword, args)) = split_line(line).map_err(error)? else {
                continue;
            };
            match keyword.as_str() {
                "host" => {
                    active = pattern::matches_list(args.iter().map(String::as_str), self.host)
                }
                "match" => active = self.match_block(&args).map_err(error)?,
                "include" if active => {
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(error("Include nested too deeply".to_string()));
                    }
                    for included in self.include_paths(&args).map_err(error)? {
                        self.read_file(&included, depth + 1, false)?;
                    }
                }
                _ if active => self.apply(&keyword, &args).map_err(error)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn match_block(&self, args: &[String]) -> Result<bool, String> {
        let mut criteria = args.iter();
        let mut all_match = true;
        while let Some(criterion) = criteria.next() {
            let criterion = criterion.to_ascii_lowercase();
            if criterion == "all" {
                continue;
            }
            let value = criteria
                .next()
                .ok_or_else(|| format!("Match {criterion} needs an argument"))?;
            let matched = match criterion.as_str() {
                "host" => {
                    let name = self.config.host_name.as_deref().unwrap_or(self.host);
                    pattern::matches_list(value.split(','), name)
                }
                "originalhost" => pattern::matches_list(value.split(','), self.host),
                _ => false,
            };
            all_match &= matched;
        }
        Ok(all_match)
    }

    fn include_paths(&self, args: &[String]) -> Result<Vec<PathBuf>, String> {
        let mut paths = Vec::new();
        for arg in args {
            let path = expand_tilde(arg, self.ssh_dir.parent().unwrap_or(self.ssh_dir));
            let path = if path.is_absolute() {
                path
            } else {
                self.ssh_dir.join(path)
            };
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned());
            match (path.parent(), name) {
                (Some(dir), Some(name)) if name.contains(['*', '?']) => {
                    let Ok(entries) = std::fs::read_dir(dir) else {
                        continue;
                    };
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .filter(|entry| {
                            pattern::matches(&name, &entry.file_name().to_string_lossy())
                        })
                        .map(|entry| entry.path())
                        .collect();
                    found.sort();
                    paths.extend(found);
                }
                _ if path.exists() => paths.push(path),
                _ => {}
            }
        }
        Ok(paths)
    }

    fn apply(&mut self, keyword: &str, args: &[String]) -> Result<(), String> {
        let first = || {
            args.first()
                .cloned()
                .ok_or_else(|| format!("{keyword} needs a value"))
        };
        match keyword {
            "hostname" if self.config.host_name.is_none() => self.config.host_name = Some(first()?),
            "user" if self.config.user.is_none() => self.config.user = Some(first()?),
            "port" if self.config.port.is_none() => {
                let value = first()?;
                let port = value
                    .parse::<u16>()
                    .ok()
                    .filter(|port| *port != 0)
                    .ok_or_else(|| format!("Port {value:?} is not a port number"))?;
                self.config.port = Some(port);
            }
            "identityfile" => self.config.identity_files.push(first()?),
            _ => {}
        }
        Ok(())
    }
}

/// Splits a config line into its lowercased keyword and its arguments (`Keyword value`,
/// `Keyword=value`, double quotes group words). `None` for blank and comment lines.
fn split_line(line: &str) -> Result<Option<(String, Vec<String>)>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }

    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest);

    let mut args = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&c) = chars.peek() else {
            break;
        };
        if c == '#' {
            break;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => word.push(c),
                    None => return Err(format!("unterminated quote in {keyword}")),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        args.push(word);
    }

    Ok(Some((keyword.to_ascii_lowercase(), args)))
}

/// Replaces a leading `~` or `~/` with `home`.
pub(crate) fn expand_tilde(value: &str, home: &Path) -> PathBuf {
    if value == "~" {
        home.to_path_buf()
    } else if let Some(rest) = value.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_space_or_equals_with_quotes() {
        let split = |line| split_line(line).unwrap();
        assert_eq!(split("  # comment"), None);
        assert_eq!(
            split("Port 2222"),
            Some(("port".into(), vec!["2222".into()]))
        );
        assert_eq!(
            split("Port=2222"),
            Some(("port".into(), vec!["2222".into()]))
        );
        assert_eq!(
            split("Port = 2222"),
            Some(("port".into(), vec!["2222".into()]))
        );
        assert_eq!(
            split("IdentityFile \"~/my keys/id\" # old"),
            Some(("identityfile".into(), vec!["~/my keys/id".into()]))
        );
        assert!(split_line("User \"deploy").is_err());
    }
}
