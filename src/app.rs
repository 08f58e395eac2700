//! The person web app that Capstan deploys (`capstan serve`): a REST API on MariaDB, a static
//! file server for the frontend, and a reverse proxy for `/api/`.
//!
//! It knows nothing of Capstan's operations code: nothing here imports `engine`, `stack`, `ops`,
//! `provision`, `ssh` or `tui`.
