//! mmdf (placeholder)
