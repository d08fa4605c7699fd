//! The workplace's pages, one module each.

pub mod comparison;
pub mod login;
pub mod peers;
pub mod people;
pub mod privacy;
pub mod rounds;
pub mod selftest;
pub mod start;
