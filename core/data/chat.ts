/**
 * Chat templates rendered as transformers' `apply_chat_template` renders them (through
 * @huggingface/jinja, the engine transformers.js uses): the template sees `messages` (each message
 * as the record holds it, `tool_calls` and all), `add_generation_prompt`, `tools`, `documents`, the
 * tokenizer's special tokens (`bos_token`, `eos_token`, ...) and the chat_template_kwargs.
 * Template choice follows transformers' `get_chat_template`.
 */
import { Template } from '@huggingface/jinja';
import { lineError, UserError } from '../errors.ts';
import type { Message, RecordSource } from './records.ts';
import type { Tokenizer } from './tokenizer.ts';

/**
 * The template used when a tokenizer has none (e.g. the built-in character tokenizer): ChatML,
 * as Qwen2 and SmolLM2 use it.
 */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Extra template variables (transformers' chat_template_kwargs), e.g. `{ enable_thinking: false }`. */
export type TemplateContext = Record<string, unknown>;

const compiled = new Map<string, Template>();

function compile(template: string): Template {
  let t = compiled.get(template);
  if (!t) {
    try {
      t = new Template(template);
    } catch (error) {
      throw new UserError(`cannot parse the chat template: ${(error as Error).message}`);
    }
    compiled.set(template, t);
  }
  return t;
}

/**
 * The template to render with, as transformers chooses it. `template` (data.chatTemplate) is the
 * name of one of the tokenizer's named templates, or Jinja text. Otherwise, among named templates
 * `tool_use` when there are tools, then `default`; else the tokenizer's one template; else
 * DEFAULT_CHAT_TEMPLATE (ChatML).
 */
export function selectChatTemplate(tokenizer: Pick<Tokenizer, 'chatTemplate' | 'chatTemplates'>, options: { template?: string; tools?: boolean } = {}): string {
  const named = tokenizer.chatTemplates;
  if (options.template !== undefined) {
    const byName = named?.[options.template] ?? (options.template === 'default' ? tokenizer.chatTemplate : undefined);
    if (byName !== undefined) return byName;
    if (/\{[{%]/.test(options.template)) return options.template;
    const names = named ? Object.keys(named).join(', ') : tokenizer.chatTemplate !== undefined ? 'default' : 'none';
    throw new UserError(`data.chatTemplate '${options.template}' is neither one of the tokenizer's chat templates (${names}) nor Jinja text`);
  }
  if (named) {
    if (options.tools && named.tool_use !== undefined) return named.tool_use;
    if (named.default !== undefined) return named.default;
    throw new UserError(
      `the tokenizer has several chat templates (${Object.keys(named).join(', ')}) and none named 'default'; choose one with data.chatTemplate`,
    );
  }
  return tokenizer.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
}

export interface RenderOptions {
  addGenerationPrompt: boolean;
  /** The record's `tools` (function schemas), `null` when it has none. */
  tools?: unknown[] | null;
  /** The tokenizer's special tokens (`bos_token`, `eos_token`, ...). */
  specialTokens?: Readonly<Record<string, string>>;
  /** chat_template_kwargs: extra variables; they win over everything else, as in transformers. */
  kwargs?: TemplateContext;
  source?: RecordSource;
}

/** Renders `messages` with a Jinja chat template, with apply_chat_template's variables. */
export function renderChat(template: string, messages: Message[], options: RenderOptions): string {
  try {
    return compile(template).render({
      messages,
      add_generation_prompt: options.addGenerationPrompt,
      tools: options.tools ?? null,
      documents: null,
      ...options.specialTokens,
      ...options.kwargs,
    });
  } catch (error) {
    if (error instanceof UserError) throw error;
    const message = `the chat template failed: ${(error as Error).message}`;
    throw options.source ? lineError(options.source.file, options.source.line, message) : new UserError(message);
  }
}

/**
 * Rejects inputs the template would silently drop: `tool_calls` in messages, or a non-empty
 * `tools` list, when the template never reads them (the error names file, line and field).
 */
export function checkTemplateUses(template: string, fields: Record<string, Message[]>, tools: unknown[] | undefined, source: RecordSource): void {
  if (tools !== undefined && tools.length > 0 && !/\btools\b/.test(template)) {
    throw lineError(source.file, source.line, "field 'tools': the chat template does not render tools (it never reads `tools`); use a template that does, or drop the column");
  }
  if (/\btool_calls\b/.test(template)) return;
  for (const [name, messages] of Object.entries(fields)) {
    const i = messages.findIndex((m) => Array.isArray(m.tool_calls) && m.tool_calls.length > 0);
    if (i >= 0) {
      throw lineError(
        source.file,
        source.line,
        `field '${name}[${i}].tool_calls': the chat template does not render tool calls (it never reads \`tool_calls\`), so they would be dropped; use a template that does`,
      );
    }
  }
}
