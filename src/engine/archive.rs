//! Tar archives made in memory: build contexts and files uploaded into containers.

/// One file of an archive.
#[derive(Clone)]
pub struct ArchiveFile {
    /// The path inside the archive, relative (`Dockerfile`, `web/index.html`).
    pub path: String,
    pub mode: u32,
    pub uid: u64,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for ArchiveFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveFile")
            .field("path", &self.path)
            .field("mode", &format_args!("{:o}", self.mode))
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// A tar archive of `files`, with the parent folders each needs (mode 0755, owned by root).
pub fn tar_archive(files: &[ArchiveFile]) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut folders = std::collections::BTreeSet::new();

    for file in files {
        let mut parent = std::path::Path::new(&file.path).parent();
        let mut missing = Vec::new();
        while let Some(folder) = parent.filter(|p| !p.as_os_str().is_empty()) {
            if folders.insert(folder.to_path_buf()) {
                missing.push(folder.to_path_buf());
            }
            parent = folder.parent();
        }
        for folder in missing.into_iter().rev() {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_uid(0);
            header.set_gid(0);
            header.set_size(0);
            builder.append_data(&mut header, &folder, std::io::empty())?;
        }

        let mut header = tar::Header::new_gnu();
        header.set_mode(file.mode);
        header.set_uid(file.uid);
        header.set_gid(file.uid);
        header.set_size(file.bytes.len() as u64);
        header.set_mtime(0);
        builder.append_data(&mut header, &file.path, file.bytes.as_slice())?;
    }

    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_holds_files_with_their_mode_owner_and_parent_folders() {
        let files = [ArchiveFile {
            path: "run/secrets/db_password".into(),
            mode: 0o400,
            uid: 10001,
            bytes: b"s3cret".to_vec(),
        }];

        let bytes = tar_archive(&files).unwrap();

        let mut archive = tar::Archive::new(bytes.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let header = entry.header();
                let path = entry.path().unwrap().display().to_string();
                (path, header.mode().unwrap(), header.uid().unwrap())
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("run".to_string(), 0o755, 0),
                ("run/secrets".to_string(), 0o755, 0),
                ("run/secrets/db_password".to_string(), 0o400, 10001),
            ]
        );
    }
}
