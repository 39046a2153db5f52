//! Git objects and history, in layers that only import downwards:
//!
//! * [`header`]: the one commit/tag header parser, with git's rules (pure);
//! * [`object`]: splitting commits and tags into the signed payload and the signature exactly
//!   as git does, predicting object ids (pure);
//! * [`repo`]: the repository reader (gix): opening, object reading under the size limit, refs,
//!   peeling, a push's quarantine directories, the repository's top directory;
//! * [`walk`]: revision arguments and pushes → the commits and tags to verify (git's
//!   `limit_list`), over [`repo`].

pub mod header;
pub mod object;
pub mod repo;
pub mod walk;
