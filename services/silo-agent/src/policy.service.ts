import { Injectable } from '@nestjs/common';
import type { JobSpec } from '@cohort/protocol';
import type { SiloDataset } from '@cohort/data';
import { WIRE_ENCODINGS } from '@cohort/quantization';
import {
  fhirMappingFromProto,
  mappingFeatureIssues,
  parseFhirMapping,
  reviewFhirMapping,
  type FhirMapping,
} from '@cohort/fhir';
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
    // An aggregator of another version may ask for an encoding this agent cannot produce: declined now, signed,
    // rather than failing at every round.
    const encoding = spec.wire?.encoding ?? '';
    if (encoding !== '' && !(WIRE_ENCODINGS as readonly string[]).includes(encoding)) {
      return refuse(
        `the job's wire encoding "${encoding}" is not one this agent produces (${WIRE_ENCODINGS.join(', ')})`,
      );
    }
    if (!policy.allowedResearchers.includes('*') && !policy.allowedResearchers.includes(submittedBy)) {
      return refuse(`researcher "${submittedBy}" is not allowed to use this silo`);
    }
    const dataset = this.config.datasets.find((d) => d.id === spec.dataset?.id);
    if (!dataset) {
      return refuse(`this silo does not serve dataset "${spec.dataset?.id ?? ''}"`);
    }
    // A CSV dataset reads features by column name, so a mapping (meant for the federation's FHIR sites) is moot.
    if (dataset.format === 'fhir') {
      const fhir = this.judgeMapping(spec);
      if (!fhir.accept) return fhir;
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

  /**
   * The job's FHIR mapping, re-validated here (the silo trusts no earlier check) and reviewed against this
   * silo's FHIR policy: which sources, code systems and windows it may use, which codes are withheld, valid units.
   */
  private judgeMapping(spec: JobSpec): PolicyDecision {
    let mapping: FhirMapping | undefined;
    try {
      mapping = this.mappingOf(spec);
    } catch (err) {
      return refuse((err as Error).message.replace(/\n\s*/g, ' '));
    }
    if (mapping === undefined) {
      return refuse(
        `dataset "${spec.dataset?.id ?? ''}" is a FHIR export here: the job must give a feature mapping (dataset.fhir)`,
      );
    }
    const issues = [
      ...mappingFeatureIssues(mapping, spec.dataset?.features ?? []),
      ...reviewFhirMapping(mapping, this.config.policy.fhir),
    ];
    if (issues.length > 0) return refuse(`the FHIR mapping is not accepted: ${issues.join('; ')}`);
    return { accept: true, reason: 'FHIR mapping accepted' };
  }

  /** The job's mapping, validated; undefined when the job gives none. Throws FhirError FHIR_MAPPING_INVALID. */
  mappingOf(spec: JobSpec): FhirMapping | undefined {
    const raw = spec.dataset?.fhir;
    return raw ? parseFhirMapping(fhirMappingFromProto(raw), "the job's FHIR mapping") : undefined;
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
