// Prebuilds the workflow bundle so workers start fast and production never runs webpack.
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

async function main() {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    // A worker given a prebuilt bundle ignores interceptors passed at run time: tracing is compiled in.
    // Tracing, and our job's ids on every workflow log line.
    workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'), require.resolve('../workflows/log-attributes')],
  });
  const target = join(__dirname, '..', 'workflow-bundle.js');
  await writeFile(target, code);
  console.log(`workflow bundle: ${target} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
