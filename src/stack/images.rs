//! Images of the stack: base images present (pulled, or built locally where no registry
//! answers), and the api and frontend images built from `assets/images/` with the running
//! capstan binary.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use include_dir::{Dir, include_dir};
use tokio::io::AsyncBufReadExt;

use super::{Progress, ServiceSpec, Stack, StepState};
use crate::engine::{ArchiveFile, CONTEXT_LABEL, labels, tar_archive};

/// The web frontend, embedded so an installed binary can build the frontend image anywhere.
static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/web");

/// The images `scripts/base-images` builds from Debian packages.
const LOCAL_BASE_IMAGES: [&str; 2] = ["debian:bookworm-slim", "mariadb:10.11"];

/// The Dockerfile of each buildable image.
fn dockerfile(build: &str) -> Option<&'static str> {
    match build {
        "api" => Some(include_str!("../../assets/images/api/Dockerfile")),
        "frontend" => Some(include_str!("../../assets/images/frontend/Dockerfile")),
        _ => None,
    }
}

/// The images a service needs before it can be built or run.
pub fn base_images(service: &ServiceSpec) -> Vec<String> {
    if let Some(image) = &service.image {
        return vec![image.clone()];
    }
    let text = service.build.as_deref().and_then(dockerfile).unwrap_or("");
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("FROM "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Makes sure every base image exists: pulls a missing one; when the pull fails, runs
/// `scripts/base-images` if this binary runs from a Capstan checkout, or says what to run.
pub async fn ensure_base_images(stack: &Stack, progress: &dyn Progress) -> anyhow::Result<()> {
    let mut wanted: Vec<String> = stack.spec.services.values().flat_map(base_images).collect();
    wanted.sort();
    wanted.dedup();

    let mut missing = Vec::new();
    for image in &wanted {
        if stack.engine.image_id(image).await?.is_none() {
            missing.push(image.clone());
        }
    }
    if missing.is_empty() {
        return Ok(());
    }

    let started = Instant::now();
    let step = format!("pull {}", missing.join(", "));
    progress.step(&step, StepState::Running, Duration::ZERO, None);
    let mut failures = Vec::new();
    for image in &missing {
        if let Err(err) = stack.engine.pull(image, Duration::from_secs(60)).await {
            failures.push(err.to_string());
        }
    }
    if failures.is_empty() {
        progress.step(&step, StepState::Changed, started.elapsed(), None);
        return Ok(());
    }
    progress.step(
        &step,
        StepState::Failed,
        started.elapsed(),
        Some(failures.join("; ")),
    );

    let script = base_images_script().filter(|_| {
        missing
            .iter()
            .any(|image| LOCAL_BASE_IMAGES.contains(&image.as_str()))
    });
    let Some(script) = script else {
        anyhow::bail!(
            "images {} are missing and cannot be pulled ({}). On a machine without a \
             registry, `scripts/base-images` of a Capstan checkout builds {} (about 70 s)",
            missing.join(", "),
            failures.join("; "),
            LOCAL_BASE_IMAGES.join(" and ")
        );
    };
    run_base_images_script(&script, progress).await?;

    let mut still_missing = Vec::new();
    for image in &missing {
        if stack.engine.image_id(image).await?.is_none() {
            still_missing.push(image.clone());
        }
    }
    if !still_missing.is_empty() {
        anyhow::bail!(
            "images {} are missing and cannot be pulled ({}); {} did not build them",
            still_missing.join(", "),
            failures.join("; "),
            script.display()
        );
    }
    Ok(())
}

/// `scripts/base-images` of the checkout this binary was built from, or of the current folder.
fn base_images_script() -> Option<PathBuf> {
    let built_from = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/base-images");
    let here = PathBuf::from("scripts/base-images");
    [built_from, here].into_iter().find(|path| path.is_file())
}

async fn run_base_images_script(script: &PathBuf, progress: &dyn Progress) -> anyhow::Result<()> {
    let started = Instant::now();
    let step = "build base images locally (about 70 s)";
    progress.step(
        step,
        StepState::Running,
        Duration::ZERO,
        Some(script.display().to_string()),
    );

    let mut child = tokio::process::Command::new(script)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("failed to run {}", script.display()))?;
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let mut reader = tokio::io::BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            progress.line(line);
        }
    }
    if let Some(stderr) = child.stderr.take() {
        let mut reader = tokio::io::BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            lines.push(line);
        }
    }
    let status = child
        .wait()
        .await
        .with_context(|| format!("failed to run {}", script.display()))?;

    if status.success() {
        progress.step(step, StepState::Changed, started.elapsed(), None);
        return Ok(());
    }
    for line in &lines {
        progress.line(line.clone());
    }
    progress.step(
        step,
        StepState::Failed,
        started.elapsed(),
        Some(status.to_string()),
    );
    anyhow::bail!(
        "{} failed ({status}): {}",
        script.display(),
        lines.join(" / ")
    )
}

/// Builds a service's image from `assets/images/<build>/`; returns its id. A service that
/// names an image instead returns that image's id.
pub async fn service_image(
    stack: &Stack,
    service: &str,
    progress: &dyn Progress,
) -> anyhow::Result<String> {
    let spec = stack.service(service)?;
    if let Some(image) = &spec.image {
        return stack
            .engine
            .image_id(image)
            .await?
            .with_context(|| format!("image {image} of service `{service}` is missing"));
    }
    let build = spec.build.as_deref().unwrap_or_default();
    let dockerfile = dockerfile(build)
        .with_context(|| format!("service `{service}`: no image `{build}` in assets/images"))?;

    let started = Instant::now();
    let step = format!("build {service}");
    progress.step(&step, StepState::Running, Duration::ZERO, None);
    let context = build_context(build, dockerfile)?;
    let size = context.len();
    let digest = context_digest(&context);
    let tag = stack.image_tag(service);

    // The same context builds the same image: reuse it. This keeps `up` idempotent even where
    // the engine's build cache would answer with a different image for the same steps.
    if let Some((id, image_labels)) = stack.engine.image_labels(&tag).await?
        && image_labels.get(CONTEXT_LABEL) == Some(&digest)
    {
        let detail = format!("{} (unchanged)", short_id(&id));
        progress.step(&step, StepState::Ok, started.elapsed(), Some(detail));
        return Ok(id);
    }

    let mut image_labels = labels(stack.name(), Some(service));
    image_labels.insert(CONTEXT_LABEL.to_string(), digest);
    let result = stack
        .engine
        .build(&tag, image_labels, context, |line| {
            if !line.0.starts_with(" --->") {
                progress.line(format!("{service}: {}", line.0));
            }
        })
        .await;
    match result {
        Ok(id) => {
            let detail = format!("{} ({} MB context)", short_id(&id), size / 1_000_000);
            progress.step(&step, StepState::Changed, started.elapsed(), Some(detail));
            Ok(id)
        }
        Err(err) => {
            progress.step(
                &step,
                StepState::Failed,
                started.elapsed(),
                Some(err.to_string()),
            );
            Err(err).with_context(|| format!("failed to build the image of service `{service}`"))
        }
    }
}

/// A hex digest of a build context (its tar bytes are deterministic: fixed times and owners).
fn context_digest(context: &[u8]) -> String {
    use sha2::Digest;

    let digest = sha2::Sha256::digest(context);
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The tar context: the Dockerfile, the running capstan binary and, for the frontend, `web/`.
fn build_context(build: &str, dockerfile: &str) -> anyhow::Result<Vec<u8>> {
    let exe = std::env::current_exe().context("failed to find the running capstan binary")?;
    let binary = std::fs::read(&exe)
        .with_context(|| format!("failed to read the capstan binary {}", exe.display()))?;

    let mut files = vec![
        ArchiveFile {
            path: "Dockerfile".into(),
            mode: 0o644,
            uid: 0,
            bytes: dockerfile.into(),
        },
        ArchiveFile {
            path: "capstan".into(),
            mode: 0o755,
            uid: 0,
            bytes: binary,
        },
    ];
    if build == "frontend" {
        add_web_files(&WEB, &mut files);
        if !files.iter().any(|file| file.path.starts_with("web/")) {
            // This binary was built without assets/web: serve a page that says so.
            let page = b"<!doctype html><title>person</title><p>The web frontend was not built \
                into this capstan binary.</p>\n";
            files.push(ArchiveFile {
                path: "web/index.html".into(),
                mode: 0o644,
                uid: 0,
                bytes: page.to_vec(),
            });
        }
    }
    tar_archive(&files).context("failed to pack the build context")
}

fn add_web_files(dir: &Dir<'static>, files: &mut Vec<ArchiveFile>) {
    for file in dir.files() {
        if file
            .path()
            .file_name()
            .is_some_and(|name| name == ".gitkeep")
        {
            continue;
        }
        files.push(ArchiveFile {
            path: format!("web/{}", file.path().display()),
            mode: 0o644,
            uid: 0,
            bytes: file.contents().to_vec(),
        });
    }
    for sub in dir.dirs() {
        add_web_files(sub, files);
    }
}

/// The first 12 hex digits of an image or container id.
pub fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_images_need_the_base_their_dockerfile_names() {
        let spec = crate::stack::parse("embedded", crate::stack::DEFAULT_STACK).unwrap();

        assert_eq!(base_images(&spec.services["api"]), ["debian:bookworm-slim"]);
        assert_eq!(
            base_images(&spec.services["frontend"]),
            ["debian:bookworm-slim"]
        );
        assert_eq!(base_images(&spec.services["db"]), ["mariadb:10.11"]);
    }
}
