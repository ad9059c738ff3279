'use strict';
// The mtcute interop shim: ./adapter.js under the interop contract (../common/driver.js, docs/interop.md).
const { main } = require('../common/driver');

/** The interop matrix's transport names (conformance/Interop/InteropMatrix.cs) as the adapter's pairs. */
main(require('./adapter'), { intermediate: 'tcp/intermediate', padded: 'tcp/padded', obfuscated: 'tcp/obfuscated-intermediate' });
