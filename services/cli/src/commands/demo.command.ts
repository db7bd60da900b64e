import type { Command } from 'commander';
import type { DemoResult } from '../demo/run-demo.js';
import { badArguments, parsePositiveInt, parsePositiveNumber, report } from '../output.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a local federation of four hospitals (UCI Heart Disease) end to end, on loopback')
    .option('--rounds <n>', 'federated rounds', parsePositiveInt('--rounds'), 20)
    .option('--model <template>', 'logreg or mlp', 'logreg')
    .option(
      '--epsilon <e>',
      'train with patient-level differential privacy at this target ε (δ 1e-3, central)',
      parsePositiveNumber('--epsilon'),
    )
    .option('--privacy-sweep', 'also train with differential privacy at ε = 0.5, 1, 3, 8 and compare')
    .option('--json', 'print one JSON object as the last line of standard output')
    .option('--serve', 'after the job, keep the federation and its web dashboard running until Ctrl-C')
    .option(
      '--source <kind>',
      "the hospitals' records: csv files or fhir bulk exports (examples/heart-disease-fhir)",
      'csv',
    )
    .action(
      async (o: {
        rounds: number;
        model: string;
        json?: boolean;
        epsilon?: number;
        privacySweep?: boolean;
        serve?: boolean;
        source: string;
      }) => {
        if (o.source !== 'csv' && o.source !== 'fhir')
          throw badArguments(`--source must be csv or fhir, got "${o.source}"`);
        if (o.model !== 'logreg' && o.model !== 'mlp')
          throw badArguments(`--model must be logreg or mlp, got "${o.model}"`);
        const { runDemo, formatDemo } = await import('../demo/run-demo.js');
        const show = (result: DemoResult): void => report(Boolean(o.json), result, () => formatDemo(result));
        const result = await runDemo({
          rounds: o.rounds,
          model: o.model,
          quiet: Boolean(o.json),
          epsilon: o.epsilon,
          privacySweep: Boolean(o.privacySweep),
          serve: Boolean(o.serve),
          source: o.source,
          // Serving, the summary is shown while the federation still runs, not after Ctrl-C.
          onResult: show,
        });
        if (!o.serve) show(result);
      },
    );
}
