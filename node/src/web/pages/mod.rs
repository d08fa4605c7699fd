//! The workplace's pages, one module each.

pub mod fields;
pub mod inventory;
pub mod login;
pub mod paths;
pub mod procurement;
pub mod selftest;
pub mod start;
