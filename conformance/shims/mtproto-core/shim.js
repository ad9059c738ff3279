'use strict';
// The @mtproto/core interop shim: ./adapter.js under the interop contract (../common/driver.js, docs/interop.md).
const { main } = require('../common/driver');

/** The interop matrix's transport name (conformance/Interop/InteropMatrix.cs) as the adapter's pair. */
main(require('./adapter'), { obfuscated: 'tcp/obfuscated-intermediate' });
