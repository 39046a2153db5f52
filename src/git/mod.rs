//! Git objects: splitting commits and tags into the signed payload and the signature exactly
//! as git does ([`object`]), and reading objects and revisions from a repository in-process
//! with gix ([`repo`]).

pub mod object;
pub mod repo;
