/**
 * The loss registry: one tsyringe container, one injection token for losses. Every registered
 * loss is a value under LOSS_TOKEN (tsyringe's `resolveAll` lists them); a lookup by name or alias
 * selects one. Plugins never rely on decorator metadata (tsx does not emit it): they register by
 * value under the explicit token.
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { PreferenceLoss } from './contract.ts';
import { contractProblems } from './validate.ts';
import { UserError } from '../errors.ts';

/** The injection token under which every loss plugin is registered. */
export const LOSS_TOKEN = 'prefopt.PreferenceLoss';

/** A registered loss and the module it came from (for error messages). */
export interface RegisteredLoss {
  loss: PreferenceLoss<any>;
  source: string;
}

export class LossRegistry {
  constructor(readonly container: DependencyContainer = rootContainer.createChildContainer()) {}

  /** Every registered loss, in registration order. */
  entries(): RegisteredLoss[] {
    return this.container.isRegistered(LOSS_TOKEN) ? this.container.resolveAll<RegisteredLoss>(LOSS_TOKEN) : [];
  }

  list(): PreferenceLoss<any>[] {
    return this.entries().map((entry) => entry.loss);
  }

  /**
   * Registers a loss. `source` names the module it came from. Throws when the object does not
   * fulfil the contract or when its name or an alias is already taken (naming both modules).
   */
  register(loss: PreferenceLoss<any>, source: string): void {
    const problems = contractProblems(loss);
    if (problems.length > 0) {
      throw new UserError(`plugin ${source} does not fulfil the PreferenceLoss contract: ${problems.join('; ')}`);
    }
    for (const name of [loss.name, ...(loss.aliases ?? [])]) {
      const holder = this.find(name);
      if (holder) {
        throw new UserError(
          `loss name '${name}' is claimed twice: by '${holder.loss.name}' from ${holder.source} and by '${loss.name}' from ${source}`,
        );
      }
    }
    this.container.register<RegisteredLoss>(LOSS_TOKEN, { useValue: { loss, source } });
  }

  /** The registered loss with this name or alias, or undefined. */
  find(nameOrAlias: string): RegisteredLoss | undefined {
    return this.entries().find(({ loss }) => loss.name === nameOrAlias || (loss.aliases ?? []).includes(nameOrAlias));
  }

  /** The loss with this name or alias; an unknown name is an error listing the known ones. */
  get(nameOrAlias: string): PreferenceLoss<any> {
    const entry = this.find(nameOrAlias);
    if (!entry) {
      const known = this.list().map((l) => (l.aliases?.length ? `${l.name} (${l.aliases.join(', ')})` : l.name));
      throw new UserError(`unknown loss '${nameOrAlias}'; known losses: ${known.join(', ') || 'none'}`);
    }
    return entry.loss;
  }
}
