// Checks an OpenAPI 3.1 document: against the OpenAPI 3.1 schema, with
// every $ref resolved (swagger-parser), and each of its Schema Objects
// against the JSON Schema 2020-12 meta-schema (ajv), which the OpenAPI
// schema leaves to the dialect. Exit 0: valid; 1: not valid; 3: the
// validators could not be loaded (CI reports it and goes on).
let SwaggerParser, Ajv2020;
try {
  SwaggerParser = require('@apidevtools/swagger-parser');
  Ajv2020 = require('ajv/dist/2020');
} catch (e) {
  console.error('openapi: the validator could not be loaded: ' + e.message);
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
if (doc.openapi !== '3.1.0') {
  console.error(file + ': openapi is ' + JSON.stringify(doc.openapi) + ', not 3.1.0');
  process.exit(1);
}

// schemas yields [where, schema] for each Schema Object of the document:
// the components' schemas and every schema of a parameter, header or
// media type.
function* schemas(node, where) {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* schemas(node[i], where + '/' + i);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    const at = where + '/' + key;
    if (key === 'schema' && value !== null && typeof value === 'object') yield [at, value];
    else if (where === '#/components' && key === 'schemas') {
      for (const [name, s] of Object.entries(value)) yield [at + '/' + name, s];
    } else yield* schemas(value, at);
  }
}

const ajv = new Ajv2020({ strict: false, validateFormats: false });
let bad = 0;
for (const [where, schema] of schemas(doc, '#')) {
  if (!ajv.validateSchema(schema)) {
    console.error(file + ': ' + where + ' is not a valid JSON Schema 2020-12 schema: ' + ajv.errorsText(ajv.errors));
    bad++;
  }
}
if (bad > 0) process.exit(1);

SwaggerParser.validate(JSON.parse(JSON.stringify(doc))).then(
  (d) => {
    let operations = 0;
    for (const item of Object.values(d.paths)) {
      for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']) {
        if (item[method]) operations++;
      }
    }
    console.log(file + ': a valid OpenAPI ' + d.openapi + ' document, ' + Object.keys(d.paths).length + ' paths, ' + operations + ' operations');
  },
  (e) => {
    console.error(file + ': ' + e.message);
    process.exit(1);
  },
);
