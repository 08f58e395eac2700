//! Known host keys: reading OpenSSH known_hosts files (plain, wildcard and hashed `|1|` host
//! fields, `[host]:port` for other ports, `@revoked` markers) and appending accepted keys.
//!
//! russh's own `known_hosts` helpers are not used: they split on single spaces only, fail the
//! whole file on one key type they cannot parse, and ignore markers and negated patterns.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use russh::keys::{HashAlg, PublicKey};

use super::{SshError, pattern};

/// The SHA256 fingerprint of a key as `ssh-keygen -l` prints it: `SHA256:` and unpadded base64.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The host field known_hosts uses: `host` on port 22, `[host]:port` otherwise.
pub(crate) fn host_field(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// The keys recorded in one or more known_hosts files.
#[derive(Debug, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    file: PathBuf,
    line: usize,
    revoked: bool,
    hosts: String,
    key: PublicKey,
}

/// What the files say about the key a host offered.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// The key is recorded for this host.
    Known,
    /// Nothing is recorded for this host.
    Unknown,
    /// Other keys are recorded for this host: their fingerprints and `file:line`.
    Changed { recorded: Vec<(String, String)> },
    /// The key is marked `@revoked` at `file:line`.
    Revoked { at: String },
}

impl KnownHosts {
    /// Reads the given files in order; a missing file counts as empty. Lines that cannot be
    /// parsed (unknown key types, `@cert-authority` entries) are skipped.
    pub fn load(files: &[&Path]) -> Result<KnownHosts, SshError> {
        let mut known = KnownHosts::default();
        for file in files {
            let text = match std::fs::read_to_string(file) {
                Ok(text) => text,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(SshError::KnownHosts {
                        path: file.to_path_buf(),
                        source,
                    });
                }
            };
            for (index, line) in text.lines().enumerate() {
                if let Some(entry) = parse_line(line, file, index + 1) {
                    known.entries.push(entry);
                }
            }
        }
        Ok(known)
    }

    /// The keys recorded for `host` on `port`.
    pub fn keys_for(&self, host: &str, port: u16) -> Vec<&PublicKey> {
        let field = host_field(host, port);
        self.entries
            .iter()
            .filter(|entry| !entry.revoked && host_matches(&entry.hosts, &field))
            .map(|entry| &entry.key)
            .collect()
    }

    /// Adds `key` for `host` on `port` in memory, as if read from `file`.
    pub(crate) fn remember(&mut self, host: &str, port: u16, key: &PublicKey, file: &Path) {
        self.entries.push(Entry {
            file: file.to_path_buf(),
            line: 0,
            revoked: false,
            hosts: host_field(host, port),
            key: key.clone(),
        });
    }

    /// Checks the key `host` offered on `port` against the recorded keys.
    pub(crate) fn check(&self, host: &str, port: u16, offered: &PublicKey) -> Verdict {
        if let Some(entry) = self.entries.iter().find(|e| e.revoked && e.key == *offered) {
            return Verdict::Revoked {
                at: format!("{}:{}", entry.file.display(), entry.line),
            };
        }

        let field = host_field(host, port);
        let recorded: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|entry| !entry.revoked && host_matches(&entry.hosts, &field))
            .collect();
        if recorded.iter().any(|entry| entry.key == *offered) {
            return Verdict::Known;
        }
        if recorded.is_empty() {
            return Verdict::Unknown;
        }

        // Keys of the offered type first: that is the one the offered key replaced.
        let mut recorded = recorded;
        recorded.sort_by_key(|entry| entry.key.algorithm() != offered.algorithm());
        Verdict::Changed {
            recorded: recorded
                .iter()
                .map(|entry| {
                    let at = format!("{}:{}", entry.file.display(), entry.line);
                    (
                        format!("{} {}", entry.key.algorithm(), fingerprint(&entry.key)),
                        at,
                    )
                })
                .collect(),
        }
    }
}

/// Appends `key` for `host` on `port` to the known_hosts file at `path`, creating it (and its
/// directory) when missing.
pub(crate) fn append(path: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let line = key
        .to_openssh()
        .map_err(|err| std::io::Error::other(format!("cannot encode the key: {err}")))?;

    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let mut starts_clean = true;
    if file.seek(SeekFrom::End(-1)).is_ok() {
        let mut last = [0u8; 1];
        file.read_exact(&mut last)?;
        starts_clean = last[0] == b'\n';
    }
    let prefix = if starts_clean { "" } else { "\n" };
    file.write_all(format!("{prefix}{} {line}\n", host_field(host, port)).as_bytes())?;
    file.sync_all()
}

fn parse_line(line: &str, file: &Path, line_no: usize) -> Option<Entry> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }

    let mut fields = line.split_whitespace();
    let mut hosts = fields.next()?;
    let mut revoked = false;
    if let Some(marker) = hosts.strip_prefix('@') {
        match marker {
            "revoked" => revoked = true,
            _ => return None,
        }
        hosts = fields.next()?;
    }
    let key_type = fields.next()?;
    let key_data = fields.next()?;
    let key = PublicKey::from_openssh(&format!("{key_type} {key_data}")).ok()?;

    Some(Entry {
        file: file.to_path_buf(),
        line: line_no,
        revoked,
        hosts: hosts.to_string(),
        key,
    })
}

/// Whether a known_hosts host field (a hashed `|1|salt|hash` or a comma-separated pattern list)
/// names `field` (`host` or `[host]:port`).
fn host_matches(hosts: &str, field: &str) -> bool {
    match hosts.strip_prefix("|1|") {
        Some(hashed) => hashed_matches(hashed, field),
        None => pattern::matches_list(hosts.split(','), field),
    }
}

fn hashed_matches(hashed: &str, field: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(field.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILIG2T/B0l0gaqj3puu510tu9N1OkQ4znY3LYuEm5zCF";

    fn known(text: &str) -> (tempfile::TempDir, KnownHosts) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, text).unwrap();
        let known = KnownHosts::load(&[&path]).unwrap();
        (dir, known)
    }

    fn key(text: &str) -> PublicKey {
        PublicKey::from_openssh(text).unwrap()
    }

    #[test]
    fn a_non_default_port_is_only_matched_in_bracket_form() {
        let (_dir, known) = known(&format!("[web1]:2222 {KEY_A}\nweb2 {KEY_A}\n"));
        assert!(matches!(
            known.check("web1", 2222, &key(KEY_A)),
            Verdict::Known
        ));
        assert!(matches!(
            known.check("web1", 22, &key(KEY_A)),
            Verdict::Unknown
        ));
        assert!(matches!(
            known.check("web2", 2222, &key(KEY_A)),
            Verdict::Unknown
        ));
    }

    #[test]
    fn wildcards_negations_tabs_and_unparsable_lines_are_handled() {
        let (_dir, known) = known(&format!(
            "garbage line\nweb*,!web9\t{KEY_A} comment here\nweb9 ssh-foo AAAA\n"
        ));
        assert!(matches!(
            known.check("web1", 22, &key(KEY_A)),
            Verdict::Known
        ));
        assert!(matches!(
            known.check("web9", 22, &key(KEY_A)),
            Verdict::Unknown
        ));
    }

    #[test]
    fn a_different_key_for_a_recorded_host_is_a_change() {
        let (_dir, known) = known(&format!("web1 {KEY_A}\n"));
        let Verdict::Changed { recorded } = known.check("web1", 22, &key(KEY_B)) else {
            panic!("expected a change");
        };
        assert_eq!(
            recorded[0].0,
            format!("ssh-ed25519 {}", fingerprint(&key(KEY_A)))
        );
        assert!(recorded[0].1.ends_with("known_hosts:1"));
    }

    #[test]
    fn a_revoked_key_is_refused_even_when_also_recorded() {
        let (_dir, known) = known(&format!("web1 {KEY_A}\n@revoked * {KEY_A}\n"));
        assert!(matches!(
            known.check("web1", 22, &key(KEY_A)),
            Verdict::Revoked { .. }
        ));
    }

    #[test]
    fn an_appended_key_is_found_again_and_the_file_gets_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("known_hosts");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("web2 {KEY_B}")).unwrap();

        append(&path, "127.0.0.1", 2222, &key(KEY_A)).unwrap();

        let known = KnownHosts::load(&[&path]).unwrap();
        assert!(matches!(
            known.check("127.0.0.1", 2222, &key(KEY_A)),
            Verdict::Known
        ));
        assert!(matches!(
            known.check("web2", 22, &key(KEY_B)),
            Verdict::Known
        ));
    }
}
