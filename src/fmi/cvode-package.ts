/**
 * The Debian package that provides SUNDIALS CVODE (named in messages). Apart from cvode.ts so the
 * solver choice can name it without loading the native bindings (start-up, docs/architecture.md).
 */
export const CVODE_DEBIAN_PACKAGE = 'libsundials-cvode6';
