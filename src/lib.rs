//! Capstan: a terminal dashboard that provisions a RHEL host over SSH, brings up and redeploys a
//! containerised stack through the Docker Engine API, and shows that stack live.
//!
//! The modules and the direction of their imports (see `shared/DESIGN.md`):
//!
//! ```text
//! cli ──► tui ──► ops ──► stack ──────► engine (bollard)
//!  │               ▲       │  └───────► probe (http, sql)
//!  ├───────────────┘       └► provision ──► ssh (russh)
//!  └──► app (the person web app: http, db, migrations, static files)
//! config ◄── used by all; app imports nothing from the ops side
//! ```

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod logs;
pub mod ops;
pub mod probe;
pub mod provision;
pub mod ssh;
pub mod stack;
pub mod tui;
