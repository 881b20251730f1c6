//! TODO
/// Placeholder.
pub struct Evidence;
/// Placeholder.
pub struct EvidenceReport;
/// Placeholder.
pub enum EvidenceStatus {}
/// Placeholder.
pub enum MilestoneStatus {}
