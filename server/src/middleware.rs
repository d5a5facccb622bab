//! Request middleware, outermost first: security headers on every response, refusal of
//! cross-origin state changes, then the session guard in front of everything not public.

pub mod guard;
pub mod origin;
pub mod security_headers;
