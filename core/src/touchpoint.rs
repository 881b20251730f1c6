//! TODO
/// Placeholder.
pub struct Touchpoint;
/// Placeholder.
pub enum TouchpointKind {}
