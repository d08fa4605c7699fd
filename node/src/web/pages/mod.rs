//! The workplace's pages, one module each.

pub mod comparison;
pub mod fields;
pub mod inventory;
pub mod login;
pub mod paths;
pub mod peers;
pub mod people;
pub mod privacy;
pub mod procurement;
pub mod rounds;
pub mod selftest;
pub mod start;
