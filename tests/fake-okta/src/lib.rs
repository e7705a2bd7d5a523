//! A fake Okta Management API for tests.
