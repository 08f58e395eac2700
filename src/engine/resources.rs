//! Networks and volumes of a stack.

use std::collections::HashMap;

use bollard::models::{NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::{ListNetworksOptions, RemoveVolumeOptions};

use super::{Engine, EngineError, is_ours, labels, stack_filter};

impl Engine {
    /// Creates the stack's bridge network unless it exists; true when it was created.
    ///
    /// A network of that name without the stack's label is refused, not reused.
    pub async fn ensure_network(&self, name: &str, stack: &str) -> Result<bool, EngineError> {
        let inspected = self.docker.inspect_network(name, None).await;
        if ours(
            inspected,
            |n| n.labels.as_ref(),
            &format!("network {name}"),
            stack,
        )? {
            return Ok(false);
        }

        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".to_string()),
            labels: Some(labels(stack, None)),
            ..Default::default()
        };
        self.docker
            .create_network(request)
            .await
            .map_err(EngineError::api(format!("create network {name}")))?;
        Ok(true)
    }

    /// Removes the stack's networks; returns their names.
    pub async fn remove_networks(&self, stack: &str) -> Result<Vec<String>, EngineError> {
        let options = ListNetworksOptions {
            filters: Some(stack_filter(stack)),
        };
        let networks = self
            .docker
            .list_networks(Some(options))
            .await
            .map_err(EngineError::api(format!("list networks of stack {stack}")))?;

        let mut removed = Vec::new();
        for network in networks {
            let Some(name) = network.name else { continue };
            if !is_ours(network.labels.as_ref(), stack) {
                continue;
            }
            self.docker
                .remove_network(&name)
                .await
                .map_err(EngineError::api(format!("remove network {name}")))?;
            removed.push(name);
        }
        Ok(removed)
    }

    /// Creates a named volume of the stack unless it exists; true when it was created.
    pub async fn ensure_volume(&self, name: &str, stack: &str) -> Result<bool, EngineError> {
        if self.volume_is_ours(name, stack).await? {
            return Ok(false);
        }

        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            labels: Some(labels(stack, None)),
            ..Default::default()
        };
        self.docker
            .create_volume(request)
            .await
            .map_err(EngineError::api(format!("create volume {name}")))?;
        Ok(true)
    }

    /// True when the stack's volume exists, false when there is none; someone else's volume of
    /// that name is an error.
    async fn volume_is_ours(&self, name: &str, stack: &str) -> Result<bool, EngineError> {
        let inspected = self.docker.inspect_volume(name).await;
        ours(
            inspected,
            |v| Some(&v.labels),
            &format!("volume {name}"),
            stack,
        )
    }

    /// True when a volume of that name exists (whoever made it).
    pub async fn volume_exists(&self, name: &str) -> Result<bool, EngineError> {
        match self.docker.inspect_volume(name).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(source) => Err(EngineError::Api {
                what: format!("inspect volume {name}"),
                source,
            }),
        }
    }

    /// Removes a volume of the stack; false when there was none. Refuses a volume without the
    /// stack's label.
    pub async fn remove_volume(&self, name: &str, stack: &str) -> Result<bool, EngineError> {
        if !self.volume_is_ours(name, stack).await? {
            return Ok(false);
        }

        self.docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await
            .map_err(EngineError::api(format!("remove volume {name}")))?;
        Ok(true)
    }
}

/// Reads an inspection of a resource the stack wants to own: true when it exists with the
/// stack's label, false when there is none, and an error naming `what` when it belongs to
/// someone else (it is refused, never reused or removed) or the engine failed.
fn ours<T>(
    inspected: Result<T, bollard::errors::Error>,
    labels: impl FnOnce(&T) -> Option<&HashMap<String, String>>,
    what: &str,
    stack: &str,
) -> Result<bool, EngineError> {
    match inspected {
        Ok(found) if is_ours(labels(&found), stack) => Ok(true),
        Ok(_) => Err(EngineError::NotOurs {
            what: what.to_string(),
            stack: stack.into(),
        }),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(false),
        Err(source) => Err(EngineError::Api {
            what: format!("inspect {what}"),
            source,
        }),
    }
}
