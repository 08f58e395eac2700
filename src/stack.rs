//! The stack: services, their dependency graph, images, readiness gates, bring-up order,
//! redeploy with a readiness-gated swap, and rollback.
