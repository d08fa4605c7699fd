//! Text renderings that more than the command line uses (the demo, the integration tests): each
//! returns a `String`; the caller prints it. The HTML status report is [`crate::report`], the
//! privacy report [`crate::privacy::report`], the readiness text [`crate::readiness::render`].

pub mod compare;
pub mod inventory;
pub mod peers;
