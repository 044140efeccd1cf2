// Checks an OpenRPC document against the OpenRPC meta-schema and resolves
// every $ref in it. Exit 0: valid; 1: not valid; 3: the validator could
// not be loaded (CI reports it and goes on).
let utils;
try {
  utils = require('@open-rpc/schema-utils-js');
} catch (e) {
  console.error('openrpc: the validator could not be loaded: ' + e.message);
  process.exit(3);
}
const fs = require('fs');

const file = process.argv[2];
let doc;
try {
  doc = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (e) {
  console.error(file + ': ' + e.message);
  process.exit(1);
}
const valid = utils.validateOpenRPCDocument(doc);
if (valid !== true) {
  console.error(file + ': ' + valid.message);
  process.exit(1);
}
utils.parseOpenRPCDocument(doc, { dereference: true }).then(
  (d) => console.log(file + ': a valid OpenRPC ' + d.openrpc + ' document, ' + d.methods.length + ' methods'),
  (e) => {
    console.error(file + ': ' + e.message);
    process.exit(1);
  },
);
