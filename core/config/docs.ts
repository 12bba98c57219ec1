/**
 * docs/config.md, generated from the config schema so the reference cannot drift from what is
 * validated (spec/config/docs.test.ts checks the file is up to date;
 * `prefopt config docs --out docs/config.md` rewrites it).
 */
import { LossRegistry } from '../loss/index.ts';
import { buildConfigSchema } from './schema.ts';

type Schema = Record<string, any>;

/** A schema's type in a few words: `integer >= 1`, `'linear' | 'cosine'`, `number in (0, 1)`. */
export function typeText(schema: Schema): string {
  if (schema.enum) return schema.enum.map((v: unknown) => `\`${JSON.stringify(v).replaceAll('"', "'")}\``).join(' \\| ');
  if (schema.type === 'array') return `list of ${typeText(schema.items ?? {})}`;
  if (schema.type === 'object') return 'section';
  const bounds: string[] = [];
  if (schema.minimum !== undefined) bounds.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) bounds.push(`<= ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) bounds.push(`< ${schema.exclusiveMaximum}`);
  return [schema.type ?? 'any', ...bounds].join(' ');
}

function defaultText(schema: Schema, required: boolean): string {
  if (required) return '**required**';
  if (schema.default === undefined) return '-';
  return `\`${JSON.stringify(schema.default)}\``;
}

function table(prefix: string, schema: Schema): string {
  const required = new Set<string>(schema.required ?? []);
  const rows = Object.entries(schema.properties as Record<string, Schema>)
    .filter(([key]) => key !== '$schema')
    .map(([key, prop]) => {
      const type = key === 'loss' && prefix === '' ? '`{name, ...params}` or list of `{name, weight, ...params}`' : typeText(prop);
      return `| \`${prefix}${key}\` | ${type} | ${defaultText(prop, required.has(key))} | ${(prop.description ?? '').replaceAll('|', '\\|')} |`;
    });
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The Markdown of docs/config.md. */
export function renderConfigDocs(): string {
  const schema = buildConfigSchema(new LossRegistry()) as Schema;
  const p = schema.properties as Record<string, Schema>;
  return `<!-- Generated from core/config/schema.ts by \`prefopt config docs --out docs/config.md\`; do not edit by hand. -->
# Config reference

A run config is a YAML or JSON file (\`prefopt train --config FILE\`). It is validated against one
JSON Schema: unknown keys are rejected with their path, missing values get the defaults below, and
the selected loss's params are checked by that loss's own params schema. Errors name the file, the
key path, the rule and the line: \`config.yaml: loss.beta must be > 0 (got -1; line 7)\`.

- Relative paths (\`model.path\`, \`model.tokenizer\`, \`data.*\`, \`reference.path\`, \`output\`, \`plugins\`) are resolved
  from the config file's directory; paths given with \`--set\` from the current directory.
- \`--set key.path=value\` overrides a key before validation; the value is read as YAML
  (\`--set loss.beta=0.2\`, \`--set train.schedule=cosine\`, \`--set loss[1].weight=0.5\`).
- \`prefopt config schema --out config.schema.json\` writes the schema (with every registered loss,
  plus \`--plugin\` ones) for editors: start a YAML config with
  \`# yaml-language-server: $schema=config.schema.json\`, or set \`$schema\` in a JSON one.
- Examples: \`configs/*.yaml\`.

## Top level

${table('', schema)}

## model

${p.model!.description}

${table('model.', p.model!)}

### model.init

${p.model!.properties.init.description}

${table('model.init.', p.model!.properties.init)}

### model.lora

${p.model!.properties.lora.description}

${table('model.lora.', p.model!.properties.lora)}

\`\`\`yaml
model:
  path: models/smollm2-135m
  lora: { r: 16, alpha: 32, dropout: 0.05, targetModules: [q_proj, k_proj, v_proj, o_proj] }
\`\`\`

## data

${p.data!.description} See docs/data.md.

${table('data.', p.data!)}

## loss

${p.loss!.description}

One loss (aliases such as \`sigmoid\` for \`dpo\` are accepted):

\`\`\`yaml
loss: { name: minor-dpo, beta: 0.1 }
\`\`\`

A weighted mixture (MPO; dpo + sft is RPO):

\`\`\`yaml
loss:
  - { name: dpo, weight: 1.0, beta: 0.1 }
  - { name: sft, weight: 0.2 }
\`\`\`

\`plugins: [./my-loss.ts]\` registers third-party losses before validation, so their params are
checked the same way (docs/writing-a-plugin.md).

## train

${p.train!.description}

${table('train.', p.train!)}

## reference

${p.reference!.description}

${table('reference.', p.reference!)}
`;
}
