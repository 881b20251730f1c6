//! TODO
/// Placeholder.
pub struct LoadReport;
