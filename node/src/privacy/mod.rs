//! Privacy on the node: [`privatise`] produces every released value with an OpenDP measurement
//! whose parameter its privacy map sets; [`report`] writes the report for the data protection
//! officer. The budget per year and the round check are in [`crate::round::policy`].

pub mod privatise;
pub mod report;
