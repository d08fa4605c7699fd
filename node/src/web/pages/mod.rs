//! The workplace's pages, one module each.

pub mod login;
pub mod peers;
pub mod people;
pub mod selftest;
pub mod start;
