/**
 * The console speaks to both planes, so its copy of the API document (console/openapi.json) is the
 * control port's document and the exec port's merged: each port documents only its own plane.
 * Usage: node dist/scripts/console-api-document.js CONTROL_URL EXEC_URL > console/openapi.json
 */
import type { OpenAPIObject } from '@nestjs/swagger';

export function consoleApiDocument(control: OpenAPIObject, exec: OpenAPIObject): OpenAPIObject {
  const paths: OpenAPIObject['paths'] = {};
  for (const document of [control, exec]) {
    for (const [path, item] of Object.entries(document.paths)) paths[path] = { ...paths[path], ...item };
  }
  const { servers: _servers, ...shared } = control;
  return { ...shared, info: { ...control.info, title: control.info.title.replace(/ \(control plane\)$/, '') }, paths };
}

async function fetchDocument(base: string): Promise<OpenAPIObject> {
  const response = await fetch(`${base}/docs-json`);
  if (!response.ok) throw new Error(`${base}/docs-json answered ${response.status}`);
  return (await response.json()) as OpenAPIObject;
}

if (require.main === module) {
  const [control, exec] = process.argv.slice(2);
  if (!control || !exec) throw new Error('usage: console-api-document CONTROL_URL EXEC_URL');
  void Promise.all([fetchDocument(control), fetchDocument(exec)]).then(([a, b]) => process.stdout.write(`${JSON.stringify(consoleApiDocument(a, b), null, 2)}\n`));
}
