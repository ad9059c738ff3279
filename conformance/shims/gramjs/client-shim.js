'use strict';
// The gramjs client shim: ./adapter.js under the client contract (../common/client-driver.js, docs/client-shims.md).
require('../common/client-driver').run(require('./adapter'));
