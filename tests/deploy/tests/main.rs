//! Checks of the deployment files under `deploy/`: what can be validated
//! without a container engine or a cluster (see `deploy/README.md`).

mod common;
mod compose;
mod containerfile;
mod flags;
mod k8s;
mod systemd;
