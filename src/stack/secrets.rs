//! Generated secrets: created on first use, kept with mode 0600, never logged.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::Rng;
use rand::distr::Alphanumeric;

/// The path of a secret of the stack whose data lives in `data_dir`.
pub fn secret_path(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join("secrets").join(name)
}

/// Reads a secret, generating it first (32 random letters and digits) when missing.
///
/// The file is written whole under a temporary name with mode 0600, then renamed, so a crash
/// never leaves half a secret. The folder is made with mode 0700.
pub fn ensure_secret(data_dir: &Path, name: &str) -> anyhow::Result<String> {
    let path = secret_path(data_dir, name);
    if path.exists() {
        return read_secret(&path);
    }

    let folder = data_dir.join("secrets");
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("failed to create secrets folder {}", folder.display()))?;
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("failed to restrict secrets folder {}", folder.display()))?;

    let value: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    let temporary = folder.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&temporary);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("failed to create secret file {}", temporary.display()))?;
    file.write_all(value.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("failed to write secret file {}", temporary.display()))?;
    std::fs::rename(&temporary, &path)
        .with_context(|| format!("failed to move secret into place at {}", path.display()))?;
    Ok(value)
}

fn read_secret(path: &Path) -> anyhow::Result<String> {
    let mode = std::fs::metadata(path)
        .with_context(|| format!("failed to read secret file {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "secret file {} has mode {:o}: others can read it; run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    let value = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read secret file {}", path.display()))?;
    let value = value.trim_end_matches(['\n', '\r']).to_string();
    if value.is_empty() {
        anyhow::bail!(
            "secret file {} is empty; remove it to generate a new one",
            path.display()
        );
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_use_generates_a_0600_secret_and_later_uses_read_it_back() {
        let dir = tempfile::tempdir().unwrap();

        let first = ensure_secret(dir.path(), "db_password").unwrap();
        let again = ensure_secret(dir.path(), "db_password").unwrap();

        assert_eq!(first.len(), 32);
        assert_eq!(first, again);
        let mode = std::fs::metadata(secret_path(dir.path(), "db_password")).unwrap();
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
        let folder = std::fs::metadata(dir.path().join("secrets")).unwrap();
        assert_eq!(folder.permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn a_secret_readable_by_others_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        ensure_secret(dir.path(), "db_password").unwrap();
        let path = secret_path(dir.path(), "db_password");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();

        let err = ensure_secret(dir.path(), "db_password")
            .unwrap_err()
            .to_string();

        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("644"), "{err}");
    }
}
