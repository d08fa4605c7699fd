//! The workplace's pages, one module each.

pub mod login;
pub mod selftest;
pub mod start;
pub mod fields;
pub mod inventory;
pub mod paths;
pub mod procurement;
