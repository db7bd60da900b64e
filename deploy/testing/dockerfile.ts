// deploy/Dockerfile as data, through dockerfile-ast (the parser behind VS Code's Dockerfile support): there is no
// Docker engine in CI, so its stages and copies are checked statically.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Dockerfile } from 'dockerfile-ast';

export function parseDockerfile(root: string): Dockerfile {
  return DockerfileParser.parse(readFileSync(join(root, 'deploy/Dockerfile'), 'utf8'));
}

export interface Copy {
  /** The repository path copied (relative to the build context, the repository root). */
  source: string;
  /** Where it lands in the image (relative to WORKDIR /app when not absolute). */
  dest: string;
}

/** The final stage's COPY instructions from the build context (not from another stage). */
export function runtimeCopies(root: string): Copy[] {
  const dockerfile = parseDockerfile(root);
  const start = dockerfile.getFROMs().at(-1)?.getRange().start.line ?? 0;
  return dockerfile
    .getCOPYs()
    .filter((c) => c.getRange().start.line > start && !c.getFromFlag())
    .flatMap((c) => {
      const args = c.getArguments().map((a) => a.getValue());
      const dest = args[args.length - 1];
      return args.slice(0, -1).map((source) => ({
        source: source.replace(/\/$/, ''),
        dest: args.length > 2 || dest.endsWith('/') ? join(dest, source) : dest,
      }));
    });
}
