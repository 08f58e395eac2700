//! Images: find, pull, and build from an in-memory context.

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{BuildImageOptions, CreateImageOptions};
use futures::StreamExt;

use super::{Engine, EngineError};

/// One line of build output, as the engine streams it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildLine(pub String);

impl Engine {
    /// The id of the image named `name`, or `None` when the engine does not have it.
    pub async fn image_id(&self, name: &str) -> Result<Option<String>, EngineError> {
        match self.docker.inspect_image(name).await {
            Ok(image) => Ok(image.id),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(source) => Err(EngineError::Api {
                what: format!("inspect image {name}"),
                source,
            }),
        }
    }

    /// The id and labels of the image named `name`, or `None` when the engine does not have it.
    pub async fn image_labels(
        &self,
        name: &str,
    ) -> Result<Option<(String, HashMap<String, String>)>, EngineError> {
        match self.docker.inspect_image(name).await {
            Ok(image) => {
                let labels = image.config.and_then(|c| c.labels).unwrap_or_default();
                Ok(image.id.map(|id| (id, labels)))
            }
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(source) => Err(EngineError::Api {
                what: format!("inspect image {name}"),
                source,
            }),
        }
    }

    /// Pulls `name` from its registry, giving up after `timeout`.
    pub async fn pull(&self, name: &str, timeout: Duration) -> Result<(), EngineError> {
        let (repo, tag) = name.rsplit_once(':').unwrap_or((name, "latest"));
        let options = CreateImageOptions {
            from_image: Some(repo.to_string()),
            tag: Some(tag.to_string()),
            ..Default::default()
        };

        let pull = async {
            let mut stream = self.docker.create_image(Some(options), None, None);
            while let Some(item) = stream.next().await {
                match item {
                    Ok(info) => {
                        if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                            return Err(detail);
                        }
                    }
                    Err(err) => return Err(err.to_string()),
                }
            }
            Ok(())
        };
        let result = tokio::time::timeout(timeout, pull).await;
        let message = match result {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(message)) => message,
            Err(_) => format!("no answer from the registry within {}s", timeout.as_secs()),
        };
        Err(EngineError::PullFailed {
            image: name.to_string(),
            message,
        })
    }

    /// Builds an image tagged `tag` from a tar `context`, passing each output line to
    /// `on_line`. Returns the new image's id.
    pub async fn build(
        &self,
        tag: &str,
        labels: HashMap<String, String>,
        context: Vec<u8>,
        mut on_line: impl FnMut(BuildLine),
    ) -> Result<String, EngineError> {
        let options = BuildImageOptions {
            t: Some(tag.to_string()),
            labels: Some(labels),
            rm: true,
            forcerm: true,
            ..Default::default()
        };
        let body = bollard::body_full(context.into());

        let mut stream = self.docker.build_image(options, None, Some(body));
        let mut image_id = None;
        while let Some(item) = stream.next().await {
            let info = item.map_err(|source| match source {
                bollard::errors::Error::DockerStreamError { error } => EngineError::Build {
                    image: tag.to_string(),
                    message: error,
                },
                source => EngineError::Api {
                    what: format!("build image {tag}"),
                    source,
                },
            })?;
            if let Some(message) = info.error_detail.and_then(|detail| detail.message) {
                return Err(EngineError::Build {
                    image: tag.to_string(),
                    message,
                });
            }
            if let Some(text) = info.stream {
                for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                    on_line(BuildLine(line.to_string()));
                }
            }
            if let Some(id) = info.aux.and_then(|aux| aux.id) {
                image_id = Some(id);
            }
        }

        match image_id {
            Some(id) => Ok(id),
            None => self.image_id(tag).await?.ok_or_else(|| EngineError::Build {
                image: tag.to_string(),
                message: "the engine reported no image id".to_string(),
            }),
        }
    }
}
