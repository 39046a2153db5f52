//! Git objects: splitting commits and tags into the signed payload and the signature exactly
//! as git does, and predicting object ids ([`object`]). Reading repositories in-process (gix)
//! is `crate::walk`'s job.

pub mod object;
