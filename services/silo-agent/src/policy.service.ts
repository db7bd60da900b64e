import { Injectable } from '@nestjs/common';
import type { JobSpec } from '@cohort/protocol';
import type { SiloDataset } from '@cohort/data';
import { SiloConfig } from './config.js';

export interface PolicyDecision {
  accept: boolean;
  reason: string;
}

/** The hospital's own rules on which jobs may touch its data; the aggregator cannot override them. */
@Injectable()
export class PolicyService {
  constructor(private readonly config: SiloConfig) {}

  /** Checks what can be judged from the job alone, before any record is read. */
  judgeJob(spec: JobSpec, submittedBy: string): PolicyDecision {
    const policy = this.config.policy;
    const template = spec.model?.template ?? '';
    if (!policy.allowedModelTemplates.includes(template as 'logreg' | 'mlp')) {
      return refuse(
        `model template "${template}" is not allowed here (allowed: ${policy.allowedModelTemplates.join(', ')})`,
      );
    }
    if (!policy.allowedResearchers.includes('*') && !policy.allowedResearchers.includes(submittedBy)) {
      return refuse(`researcher "${submittedBy}" is not allowed to use this silo`);
    }
    if (!this.config.datasets.some((d) => d.id === spec.dataset?.id)) {
      return refuse(`this silo does not serve dataset "${spec.dataset?.id ?? ''}"`);
    }
    if (spec.rounds > policy.maxRounds) {
      return refuse(`${spec.rounds} rounds exceed this silo's limit of ${policy.maxRounds}`);
    }
    const privacy = spec.privacy?.enabled ? spec.privacy : undefined;
    if (!privacy && policy.privacy.requirePrivacy) {
      return refuse('this silo accepts only differentially private jobs');
    }
    if (privacy && privacy.targetEpsilon > policy.privacy.maxEpsilonPerJob) {
      return refuse(
        `the job plans ε = ${privacy.targetEpsilon}; this silo allows at most ${policy.privacy.maxEpsilonPerJob} per job`,
      );
    }
    return { accept: true, reason: 'policy checks passed' };
  }

  /** The dataset's lifetime budget: the job's whole target must fit in what the ledger has left. */
  judgeBudget(spec: JobSpec, committed: number): PolicyDecision {
    const privacy = spec.privacy?.enabled ? spec.privacy : undefined;
    if (!privacy) return { accept: true, reason: 'no privacy budget involved' };
    const lifetime = this.config.policy.privacy.lifetimeEpsilon;
    if (committed + privacy.targetEpsilon > lifetime * (1 + 1e-9)) {
      return refuse(
        `dataset "${spec.dataset?.id ?? ''}" has ε ${(lifetime - committed).toFixed(3)} left of its lifetime ` +
          `${lifetime}; the job would spend up to ${privacy.targetEpsilon}`,
      );
    }
    return {
      accept: true,
      reason: `privacy budget: ε ${committed} + ${privacy.targetEpsilon} ≤ ${lifetime}`,
    };
  }

  /** Checks what depends on the local data: enough usable training records. */
  judgeData(dataset: SiloDataset): PolicyDecision {
    const min = this.config.policy.minTrainExamples;
    if (dataset.train.n < min) {
      return refuse(
        `only ${dataset.train.n} usable training records; this silo's policy requires at least ${min}`,
      );
    }
    return {
      accept: true,
      reason: `accepted: ${dataset.train.n} training records, ${dataset.test.n} held out`,
    };
  }
}

function refuse(reason: string): PolicyDecision {
  return { accept: false, reason };
}
