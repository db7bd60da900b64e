import { existsSync, readFileSync } from 'node:fs';
import { join, matchesGlob, relative } from 'node:path';
import { validate } from 'dockerfile-utils';
import { MIGRATIONS_DIR } from '../services/aggregator/src/database/database.providers.js';
import { DEFAULT_EXAMPLE_JOB, DEFAULT_WEB_DIR } from '../services/gateway/src/dashboard/dashboard-assets.js';
import { PROTO_ROOT } from '@cohort/protocol';
import { repositoryRoot } from './k8s/generate.js';
import { parseDockerfile, runtimeCopies } from './testing/dockerfile.js';

const root = repositoryRoot();
const text = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(root);
const ignore = readFileSync(join(root, 'deploy/Dockerfile.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

interface Stage {
  name: string;
  instructions: { keyword: string; args: string[]; raw: string }[];
}

const stages: Stage[] = (() => {
  const froms = dockerfile.getFROMs();
  return froms.map((from, i) => {
    const start = from.getRange().start.line;
    const end = froms[i + 1]?.getRange().start.line ?? Number.POSITIVE_INFINITY;
    return {
      name: from.getBuildStage() ?? String(i),
      instructions: dockerfile
        .getInstructions()
        .filter((x) => x.getRange().start.line >= start && x.getRange().start.line < end)
        .map((x) => ({
          keyword: x.getKeyword(),
          args: x.getArguments().map((a) => a.getValue()),
          raw: x.getTextContent(),
        })),
    };
  });
})();
const stage = (name: string): Stage => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const runs = (s: Stage): string[] =>
  s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args.join(' '));

/**
 * Whether the build context (after Dockerfile.dockerignore) sends a repository path to the builder: the last
 * pattern matching the path or a folder above it decides, `!` re-including (Docker's .dockerignore rules).
 */
function sentToBuilder(path: string): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let included = true;
  for (const line of ignore) {
    const negated = line.startsWith('!');
    const pattern = (negated ? line.slice(1) : line).replace(/\/$/, '');
    if (prefixes.some((p) => matchesGlob(p, pattern))) included = negated;
  }
  return included;
}

describe('deploy/Dockerfile', () => {
  it('has no problem that the Dockerfile language service (dockerfile-utils) reports', () => {
    expect(validate(text)).toEqual([]);
    // The linter is live: an instruction it does not know and a stage-less file are reported.
    expect(validate('FROM node:20\nRUNN echo\n').length).toBeGreaterThan(0);
  });

  it('builds in stages: full install and compile, production dependencies only, then the runtime', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    expect(runs(stage('build'))).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(runs(stage('deps'))[0]).toMatch(/^npm ci --omit=dev /);
    const fromBuild = stage('runtime').instructions.filter((i) => i.raw.includes('--from='));
    expect(fromBuild.map((i) => i.args.join(' '))).toEqual([
      '/app/node_modules node_modules',
      '/src/dist dist',
    ]);
    expect(fromBuild.map((i) => /--from=(\w+)/.exec(i.raw)?.[1])).toEqual(['deps', 'build']);
  });

  it('runs as a numeric non-root user, with the service chosen by the command', () => {
    const runtime = stage('runtime').instructions;
    const users = runtime.filter((i) => i.keyword === 'USER').map((i) => i.args[0]);
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0].split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const keywords = runtime.map((i) => i.keyword);
    expect(keywords.indexOf('USER')).toBeLessThan(keywords.indexOf('ENTRYPOINT'));
    expect(keywords.slice(keywords.indexOf('USER')).filter((k) => k === 'RUN' || k === 'COPY')).toEqual([]);
    const entrypoint = runtime.find((i) => i.keyword === 'ENTRYPOINT');
    expect(entrypoint?.raw).toBe('ENTRYPOINT ["node", "bin/cohort.js"]');
    // Each service has its own health check (compose healthchecks, Kubernetes probes: see their tests).
    expect(runtime.find((i) => i.keyword === 'HEALTHCHECK')?.args).toEqual(['NONE']);
  });

  it('adds nothing from the network and copies only files the repository has and the context sends', () => {
    expect(dockerfile.getInstructions().filter((i) => i.getKeyword() === 'ADD')).toEqual([]);
    const copies = dockerfile.getCOPYs().filter((c) => !c.getFromFlag());
    expect(copies.length).toBeGreaterThan(5);
    for (const c of copies) {
      const args = c.getArguments().map((a) => a.getValue());
      for (const source of args.slice(0, -1)) {
        expect([source, existsSync(join(root, source))]).toEqual([source, true]);
        expect([source, sentToBuilder(source.replace(/\/$/, ''))]).toEqual([source, true]);
      }
    }
    expect(sentToBuilder('node_modules/x')).toBe(false);
    expect(sentToBuilder('.cohort/federation/pki/ca.key')).toBe(false);
    expect(sentToBuilder('libs/data/src/csv.spec.ts')).toBe(false);
  });

  it('ships every file the services read at run time, and the lock file their measurements cover', () => {
    const shipped = runtimeCopies(root).map((c) => c.source);
    const needed = [
      relative(root, MIGRATIONS_DIR),
      relative(root, DEFAULT_WEB_DIR),
      relative(root, PROTO_ROOT),
      relative(root, join(DEFAULT_EXAMPLE_JOB, '..')),
      'data/heart-disease',
      'bin',
      'package.json',
      'package-lock.json',
    ];
    for (const path of needed) expect(shipped).toContain(path);
    // The build stage compiles exactly what tsconfig.build.json includes.
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const compiled = stage('build')
      .instructions.filter((i) => i.keyword === 'COPY')
      .flatMap((i) => i.args.slice(0, -1));
    for (const pattern of build.include) expect(compiled).toContain(pattern.split('/')[0]);
    expect(compiled).toEqual(expect.arrayContaining(['tsconfig.json', 'tsconfig.build.json']));
  });
});
