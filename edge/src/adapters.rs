//! Adapters to the Workers platform: the only modules that know SQL, KV keys or binding objects.

pub(crate) mod d1;
pub(crate) mod keygen;
pub(crate) mod kv;
pub(crate) mod okta_http;
