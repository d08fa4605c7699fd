//! `peers`: the operator's overview of peer matching (offers per path and stage, contact
//! requests by state). Names no administration; rendered by [`crate::admin::commands`].
