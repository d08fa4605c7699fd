//! Text renderings that more than the command line uses (the demo, the integration tests): each
//! returns a `String`; the caller prints it. The HTML status report is [`crate::report`] (its
//! comparison section with SVG position charts is [`compare_html`]), the privacy report
//! [`crate::privacy::report`], the readiness text [`crate::readiness::render`].

pub mod chart;
pub mod compare;
pub mod compare_html;
pub mod history;
pub mod inventory;
pub mod peers;
