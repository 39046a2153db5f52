//! Git objects: splitting commits and tags into the signed payload and the signature exactly
//! as git does, and predicting object ids ([`object`]); reading their headers with git's rules
//! ([`header`], the one header parser). Reading repositories in-process (gix)
//! is `crate::walk`'s job.

pub mod header;
pub mod object;
