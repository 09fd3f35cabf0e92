// Command ids, the default bindings (data) and the resolver. No React, no I/O.
export * from './bindings.js';
export * from './keymap.js';
