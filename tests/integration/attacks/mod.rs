//! Attacks: one test per way an attacker tried to steer gitseal's verdict without breaking a
//! signature (README "Threat model"). Every test here fails on a gitseal that can be steered:
//! each one drives the real binary (under real git where git is the consumer) with input an
//! attacker controls — certificate strings, git objects, pushes, log answers, command lines.
//!
//! | module | what the attacker controls |
//! |---|---|
//! | [`status_injection`] | certificate SANs and issuer strings that reach git's status lines and human output |
//! | [`object_reading`] | commit and tag objects git would display differently from what was signed |
//! | [`pre_receive`] | pushes that move an already-accepted commit onto a ref with stricter rules |
//! | [`hostile_rekor`] | a transparency log's answers and its timing |
//! | [`malleability`] | CMS and checkpoint fields no signature covers |
//! | [`command_line`] | typos and unknown words on the command line; identity rules without an issuer |
//! | [`resource_limits`] | oversize objects and signatures |

pub mod command_line;
pub mod hostile_rekor;
pub mod malleability;
pub mod object_reading;
pub mod pre_receive;
pub mod resource_limits;
pub mod status_injection;
