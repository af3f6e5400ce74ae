/** Fingerprint of the sources under <root>/src (see source-stamp.js). */
export function sourceStamp(root: string): string;
export function isPackaged(root: string): boolean;
