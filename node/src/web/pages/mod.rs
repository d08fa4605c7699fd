//! The workplace's pages, one module each.

pub mod login;
pub mod selftest;
pub mod start;
pub mod rounds;
pub mod comparison;
pub mod privacy;
