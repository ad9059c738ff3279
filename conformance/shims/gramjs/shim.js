'use strict';
// The gramjs interop shim: ./adapter.js under the interop contract (../common/driver.js, docs/interop.md).
const { main } = require('../common/driver');

/** The interop matrix's transport names (conformance/Interop/InteropMatrix.cs) as the adapter's pairs. */
main(require('./adapter'), {
  full: 'tcp/full', abridged: 'tcp/abridged', obfuscated: 'tcp/obfuscated-abridged', 'ws-obfuscated': 'ws/obfuscated-abridged', 'ws-full': 'ws/full',
});
