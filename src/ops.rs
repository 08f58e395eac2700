//! Long-running work as tasks that report progress and results as [`Event`]s on one channel.
//!
//! The dashboard and the plain CLI are two renderers of the same events. Nothing here draws or
//! prints; nothing here imports `tui` or `cli`.

mod event;

pub use event::{
    Event, EventSender, Health, JobEvent, JobId, JobState, JobUpdate, LogLine, LogStream,
    ReadySample, ServiceView, StatsSample,
};
