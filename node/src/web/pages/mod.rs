//! The workplace's pages, one module each.

pub mod login;
pub mod selftest;
pub mod start;
