//! Log lines as a source of errors (the CloudWatch Logs scan): the documented filter-pattern
//! syntax matched in the hub, and the shape that groups repeats of one error.

pub mod normalise;
pub mod pattern;
pub mod records;

pub use normalise::shape;
pub use pattern::FilterPattern;

#[cfg(test)]
mod pattern_tests;
